"""Raters who rate one gender lower than the other, more so than the rest of the unit does
(peers.md 8.3; the bias `harsh_rater_bias` of the synthetic data plants).

For a rater of at least `MIN_RATED` men (L) and women (P) in the period, the gap is the mean
score of the men they rated minus that of the women; the rest's gap is the same over every
other evaluation of the unit. Their difference nets out the rater's own leniency (it moves
both means) and a difference of performance between the genders of the unit (it moves both
gaps). Its standard error is sd * sqrt(1/n over the four groups) with sd the spread of
scores within each rater's gender group (pooled over the unit): the spread a mean of the
rater's people varies by when the rater rates both genders alike. A rater is marked when the
interval excludes zero at 95 % over all compared raters together (Bonferroni).
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from statistics import fmean
from statistics import pvariance
from typing import Any

from service.auth import policy
from service.domain.entities import Gender
from service.domain.rating_statistics import Interval
from service.domain.rating_statistics import contrast
from service.domain.rating_statistics import critical_z
from service.domain.rating_statistics import rating_score

MIN_RATED = policy.SMALL_GROUP
#: The gap is the mean of the first minus that of the second.
FIRST, SECOND = Gender.L, Gender.P
Cells = dict[tuple[int | None, Gender], list[float]]


@dataclass(frozen=True)
class RaterGap:
    """One rater's gender gap against the rest of the unit's."""

    rater_id: int
    name: str
    rated: dict[Gender, int]
    gap: float
    interval: Interval

    @property
    def lower_group(self) -> Gender | None:
        """The gender this rater rates lower than the rest of the unit does, if marked."""
        return {1: SECOND, -1: FIRST}.get(self.interval.sign)


@dataclass(frozen=True)
class RaterGaps:
    critical_z: float | None
    #: The within-group spread of scores (None: too few evaluations to measure it).
    sd: float | None
    raters: list[RaterGap]


def rater_gaps(rows: list[Any]) -> RaterGaps:
    """Compare the gender gap of each rater of enough people of both genders with the rest's.

    `rows` are `unit_ratings_of_people` rows; evaluations without a known gender are left
    out, those without a rater count in the rest only."""
    cells: Cells = defaultdict(list)
    for row in rows:
        if row.gender is not None:
            cells[(row.rater_id, row.gender)].append(rating_score(row))
    names = {row.rater_id: row.rater_name for row in rows}
    compared = [r for r in names if r is not None and _enough(cells, r)]
    z, sd = critical_z(len(compared)), _within_sd(cells)
    if z is None or sd is None:
        return RaterGaps(z, sd, [])
    totals = {g: _sum(cells, g) for g in (FIRST, SECOND)}
    gaps = [_gap(cells, totals, rater, names[rater], sd, z) for rater in compared]
    gaps = [gap for gap in gaps if gap is not None]
    gaps.sort(key=lambda g: (-abs(g.interval.difference), g.rater_id))
    return RaterGaps(z, sd, gaps)


def _enough(cells: Cells, rater: int) -> bool:
    return all(len(cells.get((rater, g), ())) >= MIN_RATED for g in (FIRST, SECOND))


def _sum(cells: Cells, gender: Gender) -> tuple[float, int]:
    """The sum and the number of the unit's scores of `gender`."""
    found = [scores for (_, g), scores in cells.items() if g is gender]
    return sum(map(sum, found)), sum(map(len, found))


def _gap(
    cells: Cells, totals: dict[Gender, tuple[float, int]], rater: int, name: str, sd: float,
    z: float,
) -> RaterGap | None:  # fmt: skip
    """The rater's gap and its interval against the rest (None: the rest is too small)."""
    own = {g: cells[(rater, g)] for g in (FIRST, SECOND)}
    rest = {g: (totals[g][0] - sum(own[g]), totals[g][1] - len(own[g])) for g in own}
    if any(count < MIN_RATED for _, count in rest.values()):
        return None
    gap = fmean(own[FIRST]) - fmean(own[SECOND])
    rest_gap = rest[FIRST][0] / rest[FIRST][1] - rest[SECOND][0] / rest[SECOND][1]
    sizes = [len(own[FIRST]), len(own[SECOND]), rest[FIRST][1], rest[SECOND][1]]
    rated = {g: len(scores) for g, scores in own.items()}
    return RaterGap(rater, name, rated, gap, contrast(gap - rest_gap, sizes, sd, z))


def _within_sd(cells: Cells) -> float | None:
    """The pooled spread of scores around their (rater, gender) group's mean."""
    count = sum(len(scores) for scores in cells.values())
    if count <= len(cells):
        return None
    squares = sum(pvariance(scores) * len(scores) for scores in cells.values())
    return math.sqrt(squares / (count - len(cells)))
