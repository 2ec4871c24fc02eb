"""The raters' statistics of a coded batch read, completed from the rows the read holds.

The raters' statistics (`risk_batch._RATER_STATS`) cover everyone each rater of the read's
employees rated in the look-back. Nearly all of those people are the read's own employees
(a chunk of 6,250 of the 25k sample: 6,272 people rated, 22 outside it), whose evaluations
(rater, period, scores) and pro-rated realisations the read has just fetched, coded. So the
coded statement aggregates only the people rated outside the read, and `complete` adds
what the read's own rows give: the ratings and their score sums (`given`), and each
person's share of their pro-rated targets (`output`). Every one of those is a whole number
(a share is one in billionths, `risk_history.SHARE_SCALE`), so the sums are those the text
statement makes over everyone, to the bit, in any order.
"""

from __future__ import annotations

import numpy as np

from service.db.repositories.risk_history import SHARE_SCALE
from service.db.repositories.risk_history import Columns
from service.domain.entities import POOR_PREDIKAT
from service.domain.entities import Rating
from service.features.distinct import distinct_sorted
from service.features.scales import PREDIKAT_SCORE
from service.features.scales import RATING_SCORE

#: The coded statement's columns: what the people rated outside the read add up to.
OUTSIDE_COLUMNS = (
    "rater_id", "period_index", "ratings", "work_sum", "behavior_sum", "poor_sum",
    "billionths", "people",
)  # fmt: skip
_SUMS = OUTSIDE_COLUMNS[2:]
#: The scores (`risk_coded` reads them, not the text) the statement counts +1, -1 and poor.
_ABOVE = RATING_SCORE[Rating.DI_ATAS_EKSPEKTASI.value]
_BELOW = RATING_SCORE[Rating.DI_BAWAH_EKSPEKTASI.value]
_POOR = sorted(PREDIKAT_SCORE[predikat.value] for predikat in POOR_PREDIKAT)

#: Keys (rater * periods + period position) and their sums, by column.
Sums = tuple[np.ndarray, dict[str, np.ndarray]]


def complete(
    outside: Columns, evaluations: Columns, achievements: Columns, width: int, dialect: str
) -> Columns:
    """The statistics of every rater and period (`rater_id`, `period_index`, the sums of
    `risk_batch._RATER_STATS_COLUMNS`; NaN output where nobody has a share, as the panel
    reads the text read's NULL): the `outside` rows (`OUTSIDE_COLUMNS`) plus the read's own
    coded `evaluations` and `achievements` over `width` periods."""
    parts = [
        _outside(outside, width),
        _given(evaluations, width),
        _output(evaluations, achievements, width, dialect),
    ]
    keys = distinct_sorted(np.concatenate([part_keys for part_keys, _ in parts]))
    sums = {name: np.zeros(len(keys)) for name in _SUMS}
    for part_keys, part_sums in parts:
        at = np.searchsorted(keys, part_keys)  # each key once in a part
        for name, values in part_sums.items():
            sums[name][at] += values
    billionths, people = sums.pop("billionths"), sums.pop("people")
    nobody = people == 0
    return {
        "rater_id": keys // width,
        "period_index": keys % width,
        **sums,
        "output_share_sum": np.where(nobody, np.nan, billionths / SHARE_SCALE),
        "output_people": np.where(nobody, np.nan, people),
    }


def _outside(rows: Columns, width: int) -> Sums:
    """The statement's rows by key (NULL output sums as 0)."""
    rater = np.asarray(rows["rater_id"], dtype=np.int64)
    keys = rater * width + np.asarray(rows["period_index"], dtype=np.int64)
    sums = {name: np.nan_to_num(np.asarray(rows[name], dtype=np.float64)) for name in _SUMS}
    return keys, sums


def _rated(evaluations: Columns, width: int) -> tuple[np.ndarray, np.ndarray]:
    """(evaluations with a rater, their rater * width + period position)."""
    rater = np.asarray(evaluations["rater_id"], dtype=np.float64)  # None (no rater) is NaN
    known = ~np.isnan(rater)
    period = np.asarray(evaluations["period_index"], dtype=np.int64)[known]
    return known, rater[known].astype(np.int64) * width + period


def _given(evaluations: Columns, width: int) -> Sums:
    """Ratings each rater gave the read's employees per period, and the statement's sums of
    them: +1 above expectations, -1 below, else 0 (unknown too); poor predikat."""
    known, key = _rated(evaluations, width)
    keys, group = np.unique(key, return_inverse=True)

    def count(column: str, scores: list[float]) -> np.ndarray:
        values = np.asarray(evaluations[column], dtype=np.float64)[known]
        return np.bincount(group, np.isin(values, scores), len(keys))

    work, behavior = (
        count(name, [_ABOVE]) - count(name, [_BELOW])
        for name in ("work_result_rating", "behavior_rating")
    )
    ratings = np.bincount(group, minlength=len(keys)).astype(np.float64)
    poor = count("predikat", _POOR)
    return keys, {"ratings": ratings, "work_sum": work, "behavior_sum": behavior, "poor_sum": poor}


def _output(evaluations: Columns, achievements: Columns, width: int, dialect: str) -> Sums:
    """The shares (billionths) of the read's employees each rater rated, and how many.

    A person's share in a period is ROUND(SUM(value) / SUM(target) * SHARE_SCALE) over their
    pro-rated realisations, as the statement computes it: the sums add in the order the
    realisations were read (`np.bincount`; the same in any order when they are whole numbers),
    and `rounded` rounds as the database does.
    """
    pro_rated = np.asarray(achievements["pro_rated"], dtype=np.int64) == 1
    employee = np.asarray(achievements["employee_id"], dtype=np.int64)[pro_rated]
    period = np.asarray(achievements["period_index"], dtype=np.int64)[pro_rated]
    cells, cell = np.unique(employee * width + period, return_inverse=True)
    value, target = (
        np.bincount(cell, np.asarray(achievements[name], np.float64)[pro_rated], len(cells))
        for name in ("value", "target_value")
    )
    share = rounded(value / target * SHARE_SCALE, dialect)
    known, key = _rated(evaluations, width)
    period = np.asarray(evaluations["period_index"], dtype=np.int64)[known]
    rated = np.asarray(evaluations["employee_id"], dtype=np.int64)[known] * width + period
    at = np.minimum(np.searchsorted(cells, rated), max(len(cells) - 1, 0))
    found = cells[at] == rated if len(cells) else np.zeros(len(rated), dtype=bool)
    keys, group = np.unique(key[found], return_inverse=True)
    billionths = np.bincount(group, share[at[found]], len(keys))
    people = np.bincount(group, minlength=len(keys)).astype(np.float64)
    return keys, {"billionths": billionths, "people": people}


#: Beyond this magnitude a double has no fraction, and SQLite's ROUND leaves it as it is.
_WHOLE = 4503599627370496.0


def rounded(values: np.ndarray, dialect: str) -> np.ndarray:
    """ROUND(values) as the database rounds a double, to the bit: PostgreSQL's `rint` (ties to
    even); SQLite adds a half away from zero and truncates through a 64-bit integer (a zero
    comes out +0.0)."""
    if dialect == "postgresql":
        return np.rint(values)
    half = np.where(values < 0, -0.5, 0.5)
    return np.where(np.abs(values) > _WHOLE, values, np.trunc(values + half) + 0.0)
