"""The fairness report of a unit and period: ratings and risk flags by group, and the raters'
gender gaps (hr and admin only)."""

from __future__ import annotations

from typing import Any
from typing import Literal

from pydantic import Field

from service.api.schemas.common import Model
from service.api.schemas.common import Out
from service.api.schemas.common import PeriodCode
from service.api.schemas.risk import RiskModelOut
from service.domain.entities import Gender
from service.domain.rater_gaps import RaterGap
from service.domain.rater_gaps import RaterGaps
from service.domain.rating_fairness import FairnessReport
from service.domain.rating_fairness import GroupFigure
from service.domain.rating_fairness import GroupTable


class FairnessQuery(Model):
    period: PeriodCode


class GroupFigureOut(Out):
    group: str = Field(description="L/P, an age band, a golongan group, a unit id; or unknown")
    name: str | None = Field(description="the unit's name (attribute `unit`), else null")
    too_small: bool = Field(description="fewer than min_group people: no figures")
    size: int | None
    value: float | None = Field(description="the group's share (0-1) or mean score (-1 to 1)")
    difference: float | None = Field(description="the group's value minus the rest's")
    ci_low: float | None
    ci_high: float | None
    marked: bool = Field(description="the interval excludes zero")


class GroupTableOut(Out):
    attribute: Literal["gender", "age_band", "grade_group", "unit"]
    measure: Literal["poor_share", "mean_score", "flagged_share"]
    size: int
    overall: float | None
    groups: list[GroupFigureOut]


class RaterGapOut(Out):
    rater_id: int
    name: str
    rated: dict[Gender, int]
    gap: float = Field(description="the rater's mean score of L minus that of P")
    difference: float = Field(description="the gap minus the rest of the unit's gap")
    ci_low: float
    ci_high: float
    lower_group: Gender | None = Field(description="the gender the rater rates lower, if marked")


class RaterGapsOut(Out):
    critical_z: float | None
    sd: float | None = Field(description="spread of scores within each rater's gender group")
    items: list[RaterGapOut]


class FairnessOut(Out):
    unit_id: int
    period: str
    evaluations: int
    scored: int = Field(description="risk scores of the period by the served model")
    model: RiskModelOut = Field(description="whose flags are counted: the served model's")
    min_group: int
    critical_z: float | None = Field(description="Bonferroni-adjusted over all group rows")
    tables: list[GroupTableOut]
    raters: RaterGapsOut | None = Field(description="null for the data team")


def fairness_out(report: FairnessReport, min_group: int, model: dict[str, Any]) -> FairnessOut:
    return FairnessOut(
        unit_id=report.unit_id,
        period=report.period,
        evaluations=report.evaluations,
        scored=report.scored,
        model=RiskModelOut(**model),
        min_group=min_group,
        critical_z=report.critical_z,
        tables=[_table_out(table) for table in report.tables],
        raters=None if report.raters is None else _raters_out(report.raters),
    )


def _table_out(table: GroupTable) -> GroupTableOut:
    return GroupTableOut(
        attribute=table.attribute,  # type: ignore[arg-type]
        measure=table.measure,  # type: ignore[arg-type]
        size=table.size,
        overall=table.overall,
        groups=[_figure_out(figure) for figure in table.groups],
    )


def _figure_out(figure: GroupFigure) -> GroupFigureOut:
    interval = figure.interval
    return GroupFigureOut(
        group=figure.group,
        name=figure.name,
        too_small=figure.size is None,
        size=figure.size,
        value=figure.value,
        difference=interval.difference if interval else None,
        ci_low=interval.low if interval else None,
        ci_high=interval.high if interval else None,
        marked=figure.marked,
    )


def _raters_out(gaps: RaterGaps) -> RaterGapsOut:
    return RaterGapsOut(
        critical_z=gaps.critical_z, sd=gaps.sd, items=[_rater_out(g) for g in gaps.raters]
    )


def _rater_out(gap: RaterGap) -> RaterGapOut:
    return RaterGapOut(
        rater_id=gap.rater_id,
        name=gap.name,
        rated=gap.rated,
        gap=gap.gap,
        difference=gap.interval.difference,
        ci_low=gap.interval.low,
        ci_high=gap.interval.high,
        lower_group=gap.lower_group,
    )
