"""Rater calibration of a unit and period: each rater against the rest of the unit."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from service.api.schemas.common import Model
from service.api.schemas.common import Out
from service.api.schemas.common import PeriodCode
from service.domain.entities import Predikat
from service.domain.rater_calibration import CalibrationReport
from service.domain.rater_calibration import RaterCalibration


class CalibrationQuery(Model):
    period: PeriodCode


class RaterCalibrationOut(Out):
    rater_id: int
    name: str
    rated: int
    predikat_counts: dict[Predikat, int]
    mean: float = Field(description="mean score of the rater's evaluations, -1 to 1")
    difference: float | None = Field(description="mean minus the rest of the unit's mean")
    ci_low: float | None
    ci_high: float | None
    flag: Literal["lenient", "harsh"] | None


class CalibrationOut(Out):
    unit_id: int
    period: str
    evaluations: int
    mean: float | None
    critical_z: float | None = Field(description="the Bonferroni-adjusted normal quantile")
    min_rated: int
    not_compared: int = Field(description="evaluations of raters of too few people, or none")
    raters: list[RaterCalibrationOut]


def calibration_out(report: CalibrationReport, min_rated: int) -> CalibrationOut:
    return CalibrationOut(
        unit_id=report.unit_id,
        period=report.period,
        evaluations=report.evaluations,
        mean=report.mean,
        critical_z=report.critical_z,
        min_rated=min_rated,
        not_compared=report.not_compared,
        raters=[_rater_out(r) for r in report.raters],
    )


def _rater_out(rater: RaterCalibration) -> RaterCalibrationOut:
    return RaterCalibrationOut(
        rater_id=rater.rater_id,
        name=rater.name,
        rated=rater.rated,
        predikat_counts=rater.predikat_counts,
        mean=rater.mean,
        difference=rater.difference,
        ci_low=rater.low,
        ci_high=rater.high,
        flag=rater.flag,
    )
