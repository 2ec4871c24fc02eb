"""The training catalogue (GET all roles, POST admin and hr) and employees' enrolments."""

from __future__ import annotations

from typing import Any

from flask import Response

from service.api import bp
from service.api.http import EMPLOYEE_ID
from service.api.http import listing
from service.api.http import run
from service.api.idempotency import create
from service.api.openapi import responses
from service.api.openapi import spec
from service.api.schemas.common import IdempotencyHeader
from service.api.schemas.common import PageQuery
from service.api.schemas.development import EnrolmentIn
from service.api.schemas.development import EnrolmentList
from service.api.schemas.development import EnrolmentOut
from service.api.schemas.development import TrainingCompetencyOut
from service.api.schemas.development import TrainingIn
from service.api.schemas.development import TrainingList
from service.api.schemas.development import TrainingOut
from service.auth.decorators import allow
from service.auth.policy import PEOPLE
from service.db import get_session
from service.domain.entities import Role
from service.domain.records import EnrolmentDetail
from service.domain.records import TrainingDetail
from service.domain.records import create_training
from service.domain.records import enrol
from service.domain.records import list_enrolments
from service.domain.records import list_trainings


def training_out(detail: TrainingDetail) -> TrainingOut:
    row = detail.training
    links = [TrainingCompetencyOut(competency=c, max_level=lv) for c, lv in detail.competencies]
    return TrainingOut(
        id=row.id,
        code=row.code,
        title=row.title,
        jp=row.jp,
        mode=row.mode,
        kind=row.kind,
        provider=row.provider,
        competencies=links,
    )


def enrolment_out(detail: EnrolmentDetail) -> EnrolmentOut:
    row = detail.enrolment
    return EnrolmentOut(
        id=row.id,
        employee_id=row.employee_id,
        training_code=detail.training_code,
        start_date=row.start_date,
        end_date=row.end_date,
        status=row.status,
        jp_earned=row.jp_earned,
    )


@bp.get("/trainings")
@allow()
@spec.validate(resp=responses(HTTP_200=TrainingList), tags=["trainings"])
def get_trainings(query: PageQuery) -> Any:
    """List the training catalogue with the competencies each programme develops."""
    page = list_trainings(get_session(), query.limit, query.offset)
    return listing(TrainingList, page, training_out)


@bp.post("/trainings")
@allow(Role.ADMIN, Role.HR)
@spec.validate(
    headers=IdempotencyHeader,
    resp=responses(errors=(409,), HTTP_201=TrainingOut),
    tags=["trainings"],
)
def post_training(json: TrainingIn) -> Response:
    """Add a programme to the catalogue."""
    fields = json.model_dump()
    return create(lambda s, a: training_out(create_training(s, a, **fields)))


@bp.post(f"/employees/{EMPLOYEE_ID}/trainings")
@allow(*PEOPLE)
@spec.validate(
    headers=IdempotencyHeader,
    resp=responses(errors=(409,), HTTP_201=EnrolmentOut),
    tags=["enrolments"],
)
def post_enrolment(employee_id: int, json: EnrolmentIn) -> Response:
    """Enrol an employee in a programme (admin, hr); completed enrolments earn its JP."""
    fields = json.model_dump()
    return create(lambda s, a: enrolment_out(enrol(s, a, employee_id, **fields)))


@bp.get(f"/employees/{EMPLOYEE_ID}/trainings")
@allow(*PEOPLE)
@spec.validate(resp=responses(HTTP_200=EnrolmentList), tags=["enrolments"])
def get_enrolments(employee_id: int, query: PageQuery) -> Any:
    """List an employee's enrolments."""
    page = run(list_enrolments, employee_id, query.limit, query.offset)
    return listing(EnrolmentList, page, enrolment_out)
