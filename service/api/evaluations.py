"""Evaluations: recorded by the direct supervisor or appointed SKP rater, with the predikat."""

from __future__ import annotations

from typing import Any

from flask import Response

from service.api import bp
from service.api.http import EMPLOYEE_ID
from service.api.http import EVALUATION_ID
from service.api.http import etag
from service.api.http import if_match
from service.api.http import listing
from service.api.http import run
from service.api.idempotency import create
from service.api.openapi import responses
from service.api.openapi import spec
from service.api.schemas.common import IdempotencyHeader
from service.api.schemas.common import IfMatchHeader
from service.api.schemas.common import PageQuery
from service.api.schemas.evaluation_revisions import RevisionList
from service.api.schemas.evaluation_revisions import revision_out
from service.api.schemas.performance import EvaluationIn
from service.api.schemas.performance import EvaluationList
from service.api.schemas.performance import EvaluationOut
from service.api.schemas.performance import EvaluationPatch
from service.api.schemas.performance import EvaluationQuery
from service.api.schemas.performance import evaluation_out
from service.auth.decorators import allow
from service.auth.policy import PEOPLE
from service.domain.evaluations import list_evaluations
from service.domain.evaluations import list_revisions
from service.domain.evaluations import read_evaluation
from service.domain.evaluations import record_evaluation
from service.domain.evaluations import update_evaluation

TAGS = ["evaluations"]


@bp.post(f"/employees/{EMPLOYEE_ID}/evaluations")
@allow(*PEOPLE)
@spec.validate(
    headers=IdempotencyHeader,
    resp=responses(errors=(409,), HTTP_201=EvaluationOut),
    tags=TAGS,
)
def post_evaluation(employee_id: int, json: EvaluationIn) -> Response:
    """Record the period's evaluation; the answer carries the computed predikat.

    Only the employee's direct supervisor or the appointed SKP rater may rate; a second
    evaluation for the same period is 409.
    """
    data = json.model_dump(mode="json", exclude_none=True)
    return create(lambda s, a: evaluation_out(record_evaluation(s, a, employee_id, data)))


@bp.get(f"/employees/{EMPLOYEE_ID}/evaluations")
@allow(*PEOPLE)
@spec.validate(resp=responses(HTTP_200=EvaluationList), tags=TAGS)
def get_evaluations(employee_id: int, query: EvaluationQuery) -> Any:
    """List an employee's evaluations (reads of someone else's are audited)."""
    page = run(list_evaluations, employee_id, query.limit, query.offset, query.period)
    return listing(EvaluationList, page, evaluation_out)


@bp.get(f"/evaluations/{EVALUATION_ID}")
@allow(*PEOPLE)
@spec.validate(resp=responses(HTTP_200=EvaluationOut), tags=TAGS)
def get_evaluation(evaluation_id: int) -> Any:
    """Return one evaluation with its ETag."""
    evaluation = run(read_evaluation, evaluation_id)
    return evaluation_out(evaluation), 200, etag(evaluation.version)


@bp.patch(f"/evaluations/{EVALUATION_ID}")
@allow(*PEOPLE)
@spec.validate(
    headers=IfMatchHeader, resp=responses(errors=(412, 428), HTTP_200=EvaluationOut), tags=TAGS
)
def patch_evaluation(evaluation_id: int, json: EvaluationPatch) -> Any:
    """Correct ratings or feedback (the rater); needs If-Match, answers with the new ETag."""
    changes = json.model_dump(mode="json", exclude_unset=True)
    evaluation = run(update_evaluation, evaluation_id, if_match(), changes)
    return evaluation_out(evaluation), 200, etag(evaluation.version)


@bp.get(f"/evaluations/{EVALUATION_ID}/revisions")
@allow(*PEOPLE)
@spec.validate(resp=responses(HTTP_200=RevisionList), tags=TAGS)
def get_revisions(evaluation_id: int, query: PageQuery) -> Any:
    """The versions of the evaluation that corrections and upheld objections replaced,
    oldest first: the values then, who replaced them, when and why (kept since migration
    0023). Readable, and audited, as the evaluation is."""
    page = run(list_revisions, evaluation_id, query.limit, query.offset)
    return listing(RevisionList, page, revision_out)
