"""GET /units/{id}/training-needs (hr, admin): a unit's gaps, a training plan, the 20 JP rule.

Query: `jp_budget` (person-JP for the whole plan; default the yearly minimum per employee),
`max_seats` (per programme), `year` (for the JP rule; default this year), `format` (`json`,
or `xlsx` for a workbook). Audited as a read (JSON) or an export (XLSX) of the unit.

The 200 answer is JSON (`TrainingNeedsOut`) or an XLSX file, so spectree does not validate
it (HTTP_200=None, as for the evaluations export); the OpenAPI document should name both.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated
from typing import Any

from flask import Response
from pydantic import Field

from service.api import bp
from service.api.http import UNIT_ID
from service.api.http import rule_settings
from service.api.http import run
from service.api.openapi import responses
from service.api.openapi import spec
from service.api.recommendations import ModelOut
from service.api.recommendations import served_recommender
from service.api.schemas.common import Model
from service.api.schemas.common import Out
from service.auth.decorators import allow
from service.domain.entities import Role
from service.domain.training_plan import DEFAULT_SEATS
from service.domain.training_plan import TrainingPlan
from service.domain.training_plan import plan_workbook
from service.domain.training_plan import unit_training_plan

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class PlanFormat(StrEnum):
    JSON = "json"
    XLSX = "xlsx"


class TrainingNeedsQuery(Model):
    jp_budget: Annotated[float | None, Field(ge=0, le=1e9, allow_inf_nan=False)] = None
    max_seats: Annotated[int, Field(ge=1, le=100_000)] = DEFAULT_SEATS
    year: Annotated[int | None, Field(ge=1990, le=2100)] = None
    format: PlanFormat = PlanFormat.JSON


class NeedOut(Out):
    competency: str
    name: str
    name_en: str
    employees: int
    below_standard: int
    mean_gap: float
    total_gap: float


class ParticipantOut(Out):
    employee_id: int
    name: str
    expected_closure: float


class PlannedProgramOut(Out):
    training_code: str
    title: str
    jp: float
    seats: int
    jp_total: float
    expected_closure: float
    participants: list[ParticipantOut]


class BelowMinimumOut(Out):
    employee_id: int
    name: str
    jp_completed: float
    required: float
    remaining: float


class TrainingNeedsOut(Out):
    unit_id: int
    year: int
    employees: int
    jp_budget: float
    max_seats: int
    needs: list[NeedOut]
    programs: list[PlannedProgramOut]
    jp_total: float
    expected_closure: float
    below_minimum: list[BelowMinimumOut]
    model: ModelOut


def plan_out(plan: TrainingPlan) -> TrainingNeedsOut:
    """Serialize a plan; programme JP totals are JP x seats."""
    return TrainingNeedsOut(
        unit_id=plan.unit_id,
        year=plan.year,
        employees=plan.employees,
        jp_budget=plan.jp_budget,
        max_seats=plan.max_seats,
        needs=[NeedOut.model_validate(need) for need in plan.needs],
        programs=[
            PlannedProgramOut(
                training_code=p.training_code,
                title=p.title,
                jp=p.jp,
                seats=len(p.participants),
                jp_total=p.jp_total,
                expected_closure=p.expected_closure,
                participants=[ParticipantOut.model_validate(x) for x in p.participants],
            )
            for p in plan.programs
        ],
        jp_total=plan.jp_used,
        expected_closure=plan.expected_closure,
        below_minimum=[BelowMinimumOut.model_validate(b) for b in plan.below_minimum],
        model=ModelOut.model_validate(plan.model),
    )


@bp.get(f"/units/{UNIT_ID}/training-needs")
@allow(Role.ADMIN, Role.HR)
@spec.validate(resp=responses(HTTP_200=None), tags=["recommendations"])
def get_training_needs(unit_id: int, query: TrainingNeedsQuery) -> Any:
    """Aggregate the unit's gaps and propose programmes with participants within a JP budget."""
    gains, model = served_recommender()
    export = query.format is PlanFormat.XLSX
    plan = run(
        unit_training_plan,
        unit_id,
        jp_budget=query.jp_budget,
        max_seats=query.max_seats,
        year=query.year,
        settings=rule_settings(),
        gains=gains,
        model=model,
        export=export,
    )
    if not export:
        return plan_out(plan).model_dump(mode="json")
    response = Response(plan_workbook(plan), mimetype=XLSX)
    filename = f"training-needs-unit{unit_id}-{plan.year}.xlsx"
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
