"""The statistics the calibration checks share: how an evaluation is scored, and the interval
of a difference of means that marks a rater or a group only when chance is an unlikely
explanation, over every comparison of one report together (Bonferroni).

The interval is the z-test's: under the hypothesis that the compared people were drawn like
the others, a difference of means has the standard error sd * sqrt(sum of 1/n), with sd the
spread of single scores. For 0/1 values (poor or not, flagged or not) with sd over the whole
population it is the pooled two-proportion z-test. A difference is marked when its interval
excludes zero: `rater_calibration` (a rater against the rest of the unit) and
`rating_fairness` (a group against the rest, a rater's gender gap against the unit's).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from statistics import NormalDist
from statistics import fmean
from typing import Any

from service.domain.entities import Rating

#: Chance, over all the comparisons of one report together, of marking a difference that
#: is only chance.
FAMILY_ERROR = 0.05
_SCORE = {
    Rating.DI_ATAS_EKSPEKTASI: 1.0,
    Rating.SESUAI_EKSPEKTASI: 0.0,
    Rating.DI_BAWAH_EKSPEKTASI: -1.0,
}


@dataclass(frozen=True)
class Interval:
    """A difference and its confidence interval."""

    difference: float
    low: float
    high: float

    @property
    def sign(self) -> int:
        """+1 when the interval lies above zero, -1 below, 0 when it holds zero (not marked)."""
        return 1 if self.low > 0 else -1 if self.high < 0 else 0


def rating_score(row: Any) -> float:
    """The mean of an evaluation's two ratings: di atas +1, sesuai 0, di bawah -1."""
    return (_SCORE[row.work_result_rating] + _SCORE[row.behavior_rating]) / 2


def critical_z(compared: int) -> float | None:
    """The two-sided normal quantile at FAMILY_ERROR shared over `compared` comparisons."""
    if compared == 0:
        return None
    return NormalDist().inv_cdf(1 - FAMILY_ERROR / (2 * compared))


def contrast(difference: float, sizes: Iterable[int], sd: float, z: float) -> Interval:
    """The interval of `difference`, a sum of +-means over groups of `sizes` single scores of
    spread `sd`: difference +- z * sd * sqrt(sum of 1/n)."""
    half = z * sd * math.sqrt(sum(1 / n for n in sizes))
    return Interval(difference, difference - half, difference + half)


def against_rest(
    own: list[float], rest_total: float, rest_size: int, sd: float, z: float
) -> Interval:
    """The interval of mean(own) minus the rest's mean, the rest given by its sum and size:
    a report takes them from everyone's total instead of listing the rest for each
    comparison (scores are halves and shares 0/1, so the sums are exact)."""
    return contrast(fmean(own) - rest_total / rest_size, (len(own), rest_size), sd, z)
