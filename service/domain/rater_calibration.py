"""Rater calibration: which raters of a unit rate markedly more leniently or harshly than the
rest of the unit in a period (peers.md 7.10 and 8.3: calibration with bias checks).

Each evaluation scores the mean of its two ratings (di atas +1, sesuai 0, di bawah -1). A
rater's mean is compared with the mean of everyone else's evaluations in the unit; under the
hypothesis that the rater's people were drawn like everyone else's, the difference has the
standard error sd * sqrt(1/n_rater + 1/n_rest), with sd over the whole unit. A rater is
flagged when the confidence interval excludes zero, at 95 % over all compared raters together
(Bonferroni), so a unit of many raters does not flag one by chance. Only raters of at least
`MIN_RATED` people are compared (`policy.SMALL_GROUP`: fewer give away individual ratings and
carry no evidence). A flag asks for a calibration discussion, not a correction: a rater's
team may really perform better or worse than the unit.
"""

from __future__ import annotations

from collections import Counter
from collections import defaultdict
from dataclasses import dataclass
from statistics import fmean
from statistics import pstdev
from typing import Any

from sqlalchemy.orm import Session

from service.auth import policy
from service.db.repositories.calibration import unit_ratings
from service.domain.audit import Actor
from service.domain.audit import record_reads
from service.domain.entities import Predikat
from service.domain.periods import parse_period
from service.domain.rating_statistics import against_rest
from service.domain.rating_statistics import critical_z
from service.domain.rating_statistics import rating_score

RESOURCE = "rater_calibration"
MIN_RATED = policy.SMALL_GROUP


@dataclass(frozen=True)
class RaterCalibration:
    """One rater against the rest of the unit: the difference of mean scores and its interval
    (None when there are fewer than `MIN_RATED` others to compare with)."""

    rater_id: int
    name: str
    rated: int
    predikat_counts: dict[Predikat, int]
    mean: float
    difference: float | None
    low: float | None
    high: float | None

    @property
    def flag(self) -> str | None:
        """`lenient` or `harsh` when the interval excludes zero."""
        if self.low is not None and self.low > 0:
            return "lenient"
        if self.high is not None and self.high < 0:
            return "harsh"
        return None


@dataclass(frozen=True)
class CalibrationReport:
    unit_id: int
    period: str
    evaluations: int
    mean: float | None
    critical_z: float | None
    raters: list[RaterCalibration]
    #: Raters of fewer than `MIN_RATED` people, and evaluations without a rater: not compared.
    not_compared: int


def rater_calibration(
    session: Session, actor: Actor, unit_id: int, period: str
) -> CalibrationReport:
    """Compare each rater of the unit (and the units below) with the rest, for hr and admin."""
    code = parse_period(period).code
    policy.managed_unit(session, actor, unit_id)
    rows = unit_ratings(session, unit_id, code)
    scores = [(row.rater_id, rating_score(row)) for row in rows]
    by_rater: dict[int, list[Any]] = defaultdict(list)
    for row in rows:
        if row.rater_id is not None:
            by_rater[row.rater_id].append(row)
    compared = {r: people for r, people in by_rater.items() if len(people) >= MIN_RATED}
    critical = critical_z(len(compared))
    sd = pstdev([s for _, s in scores]) if len(scores) > 1 else 0.0
    total = sum(s for _, s in scores)
    raters = [
        _against_rest(rater, people, (total, len(scores)), sd, critical)
        for rater, people in compared.items()
    ]
    raters.sort(key=lambda r: (-(abs(r.difference or 0.0)), r.rater_id))
    record_reads(session, actor, RESOURCE, sorted(compared))
    mean = fmean(s for _, s in scores) if scores else None
    not_compared = len(rows) - sum(r.rated for r in raters)
    return CalibrationReport(unit_id, code, len(rows), mean, critical, raters, not_compared)


def _against_rest(
    rater: int, people: list[Any], everyone: tuple[float, int], sd: float, z: float | None
) -> RaterCalibration:
    """The rater's people against everyone else of the unit (`everyone`: sum and number of
    all the unit's scores)."""
    own = [rating_score(row) for row in people]
    rest_total, rest_size = everyone[0] - sum(own), everyone[1] - len(own)
    counts = Counter(row.predikat for row in people)
    base = RaterCalibration(
        rater, people[0].rater_name, len(own), dict(counts), fmean(own), None, None, None
    )
    if rest_size < MIN_RATED or z is None:
        return base
    found = against_rest(own, rest_total, rest_size, sd, z)
    return RaterCalibration(
        rater, base.name, base.rated, base.predikat_counts, base.mean, found.difference,
        found.low, found.high,
    )  # fmt: skip
