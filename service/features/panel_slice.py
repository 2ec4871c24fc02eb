"""What a panel held for one employee, kept so that the next period's panel needs only its rows.

A batch scoring of period P reads every employee's look-back (`serving_axis(P)`) and builds
a `Panel`. Every per-period cell of it is computed from rows dated in that period alone
(evaluations, realisations, attendance, programmes, activity, 360 answers and dialogue
actions by their period or date; the raters' statistics per rater and period), except the
assessments, which hold the latest assessment as of each period's end (carried forward,
earlier ones folded into the first column): those are the same on any axis that holds the
period, so the carried values of P's axis are those of P+1's. The axis of P+1 is P's
shifted by one, so its first `lookback - 1` columns are P's last ones. A slice keeps them
(`encode`), with the statistics of the employee's latest rater in those columns, the only
rater the features of P+1 read unless period P+1 names another one (then `combine` leaves
the employee to a full read). `combine` rebuilds P+1's panel from the slices and a panel
of period P+1 alone, cell for cell what a full read gives: the tests compare the feature
rows to the bit.

A slice keeps every cell's float64 bits (`float32` would round the ratios), packed by
`slice_codec`: most cells are NaN, small whole numbers or the previous period's value,
about 395 bytes an employee of the 25k sample (quarters: 7 periods of 26 arrays and the
rater's 6 sums). The employee attributes (hire date, grade) are not kept: they come with
the new period's read.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import numpy as np

from service.features.panel import _RATER_SUMS
from service.features.panel import Panel
from service.features.panel import PeriodAxis
from service.features.panel import forward_fill
from service.features.slice_codec import pack
from service.features.slice_codec import unpack

#: The per-employee (n, m) panel arrays a slice keeps, then the seven BerAKHLAK ratings.
CELLS = (
    "predikat", "work", "behavior", "achievement", "output", "quality", "work_days",
    "present_days", "late_days", "jpm", "max_gap", "gap_count", "balance", "jp", "rater",
    "activity_months", "peer360", "actions_reviewed", "actions_done",
)  # fmt: skip
#: Arrays that carry the latest assessment forward (`panel._fill_assessments`).
CARRIED = ("jpm", "max_gap", "gap_count", "balance")
RATER_SUMS = tuple(_RATER_SUMS)
_VALUES = 7
#: Groups of `kept` cells in a slice: the cells, the ratings, the latest rater, the sums.
GROUPS = len(CELLS) + _VALUES + 1 + len(RATER_SUMS)


def _kept(panel: Panel) -> int:
    """Columns a slice keeps: all of the axis but the first."""
    return panel.axis.length - 1


def encode(panel: Panel) -> list[bytes]:
    """One slice per employee of `panel` (in its order): its last `length - 1` columns."""
    kept = _kept(panel)
    n = panel.shape[0]
    rater = panel.rater[:, 1:]
    known = np.where(~np.isnan(rater), np.arange(kept), -1).max(axis=1)
    latest = np.where(known >= 0, rater[np.arange(n), np.maximum(known, 0)], np.nan)
    sums = np.zeros((n, len(RATER_SUMS), kept))
    if len(panel.rater_ids):
        ids = np.nan_to_num(latest).astype(np.int64)
        at = np.minimum(np.searchsorted(panel.rater_ids, ids), len(panel.rater_ids) - 1)
        found = ~np.isnan(latest) & (panel.rater_ids[at] == ids)
        for k, name in enumerate(RATER_SUMS):
            sums[found, k] = getattr(panel, name)[at[found], 1:]
    rows = np.concatenate(
        [
            np.stack([getattr(panel, name)[:, 1:] for name in CELLS], axis=1),
            panel.values[:, 1:, :].transpose(0, 2, 1),
            np.repeat(latest[:, None, None], kept, axis=2),  # one group: the latest rater
            sums,
        ],
        axis=1,
    )
    return pack(np.ascontiguousarray(rows))


def combine(slices: Sequence[bytes], new: Panel, axis_length: int) -> tuple[Panel, np.ndarray]:
    """The panel of `new`'s employees over the axis of `axis_length` periods ending at `new`'s
    one period, from their slices (aligned on `new.employee_ids`) and `new`; and which
    employees it holds wrongly: those whose new period names a rater other than the one
    their slice kept (their history must be read in full).
    """
    kept = axis_length - 1
    rows = unpack(slices, GROUPS, kept)
    ratings = len(CELLS) + _VALUES
    cells, values = rows[:, : len(CELLS)], rows[:, len(CELLS) : ratings].transpose(0, 2, 1)
    latest, sums = rows[:, ratings, 0], rows[:, ratings + 1 :]
    one = new.axis
    axis = PeriodAxis(one.kind, one.first - kept, axis_length)
    arrays = {
        name: np.concatenate([cells[:, k, :], getattr(new, name)], axis=1)
        for k, name in enumerate(CELLS)
    }
    for name in CARRIED:
        arrays[name] = forward_fill(arrays[name])
    arrays["values"] = np.concatenate([values, new.values], axis=1)
    now = new.rater[:, 0]
    moved = ~np.isnan(now) & (now != latest)
    raters = np.unique(latest[~np.isnan(latest)]).astype(np.int64)
    first = np.searchsorted(raters, np.nan_to_num(latest).astype(np.int64))
    owner = np.full(len(raters), -1)
    stored = np.flatnonzero(~np.isnan(latest))
    owner[first[stored][::-1]] = stored[::-1]  # one employee's slice per rater
    at = np.minimum(np.searchsorted(new.rater_ids, raters), max(len(new.rater_ids) - 1, 0))
    found = new.rater_ids[at] == raters if len(new.rater_ids) else np.zeros(len(raters), bool)
    for k, name in enumerate(RATER_SUMS):
        block = np.zeros((len(raters), axis_length))
        block[:, :kept] = sums[owner, k, :]
        block[found, kept] = getattr(new, name)[at[found], 0]
        arrays[name] = block
    panel = replace(new, axis=axis, rater_ids=raters, **arrays)
    return panel, moved
