"""Continuous feedback notes (by the rater) and self-assessments (by the employee)."""

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
from service.api.schemas.performance import FeedbackIn
from service.api.schemas.performance import FeedbackList
from service.api.schemas.performance import FeedbackOut
from service.api.schemas.performance import SelfAssessmentIn
from service.api.schemas.performance import SelfAssessmentList
from service.api.schemas.performance import SelfAssessmentOut
from service.auth.decorators import allow
from service.auth.policy import PEOPLE
from service.domain.feedback import add_feedback
from service.domain.feedback import list_feedback
from service.domain.feedback import list_self_assessments
from service.domain.feedback import record_self_assessment


@bp.post(f"/employees/{EMPLOYEE_ID}/feedback")
@allow(*PEOPLE)
@spec.validate(
    headers=IdempotencyHeader,
    resp=responses(errors=(409,), HTTP_201=FeedbackOut),
    tags=["feedback"],
)
def post_feedback(employee_id: int, json: FeedbackIn) -> Response:
    """Give feedback on results (rhk) or behaviour (perilaku): the direct supervisor or rater."""
    fields = json.model_dump()
    return create(
        lambda s, a: FeedbackOut.model_validate(add_feedback(s, a, employee_id, **fields))
    )


@bp.get(f"/employees/{EMPLOYEE_ID}/feedback")
@allow(*PEOPLE)
@spec.validate(resp=responses(HTTP_200=FeedbackList), tags=["feedback"])
def get_feedback(employee_id: int, query: PageQuery) -> Any:
    """List the feedback notes on an employee."""
    page = run(list_feedback, employee_id, query.limit, query.offset)
    return listing(FeedbackList, page, FeedbackOut.model_validate)


@bp.post(f"/employees/{EMPLOYEE_ID}/self-assessments")
@allow(*PEOPLE)
@spec.validate(
    headers=IdempotencyHeader,
    resp=responses(errors=(409,), HTTP_201=SelfAssessmentOut),
    tags=["self-assessments"],
)
def post_self_assessment(employee_id: int, json: SelfAssessmentIn) -> Response:
    """Rate your own period (only the employee, once per period)."""
    fields = json.model_dump()
    return create(
        lambda s, a: SelfAssessmentOut.model_validate(
            record_self_assessment(s, a, employee_id, **fields)
        )
    )


@bp.get(f"/employees/{EMPLOYEE_ID}/self-assessments")
@allow(*PEOPLE)
@spec.validate(resp=responses(HTTP_200=SelfAssessmentList), tags=["self-assessments"])
def get_self_assessments(employee_id: int, query: PageQuery) -> Any:
    """List an employee's self-assessments."""
    page = run(list_self_assessments, employee_id, query.limit, query.offset)
    return listing(SelfAssessmentList, page, SelfAssessmentOut.model_validate)
