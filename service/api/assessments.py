"""Competency assessments of an employee (admin and hr record them)."""

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
from service.api.schemas.development import AssessmentIn
from service.api.schemas.development import AssessmentList
from service.api.schemas.development import AssessmentOut
from service.auth.decorators import allow
from service.auth.policy import PEOPLE
from service.domain.records import AssessmentDetail
from service.domain.records import list_assessments
from service.domain.records import record_assessment

TAGS = ["competency assessments"]


def _out(detail: AssessmentDetail) -> AssessmentOut:
    row = detail.assessment
    return AssessmentOut(
        id=row.id,
        employee_id=row.employee_id,
        assessed_on=row.assessed_on,
        method=row.method,
        assessor=row.assessor,
        levels=detail.levels,
    )


@bp.post(f"/employees/{EMPLOYEE_ID}/competency-assessments")
@allow(*PEOPLE)
@spec.validate(
    headers=IdempotencyHeader, resp=responses(errors=(409,), HTTP_201=AssessmentOut), tags=TAGS
)
def post_assessment(employee_id: int, json: AssessmentIn) -> Response:
    """Record an assessment: `levels` maps competency codes to the level found (1-5)."""
    fields = json.model_dump()
    return create(lambda s, a: _out(record_assessment(s, a, employee_id, **fields)))


@bp.get(f"/employees/{EMPLOYEE_ID}/competency-assessments")
@allow(*PEOPLE)
@spec.validate(resp=responses(HTTP_200=AssessmentList), tags=TAGS)
def get_assessments(employee_id: int, query: PageQuery) -> Any:
    """List an employee's competency assessments."""
    page = run(list_assessments, employee_id, query.limit, query.offset)
    return listing(AssessmentList, page, _out)
