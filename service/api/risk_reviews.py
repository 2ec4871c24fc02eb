"""Supervisors' reviews of risk answers, and how past flags turned out.

POST /employees/{id}/risk/reviews: a supervisor above the employee agrees or disagrees
(with the reason) with the current answer, once per period. GET of the same path: the
employee's reviews, for whoever reads the risk. GET /models/risk/track-record: data, admin.
"""

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
from service.api.schemas.risk_reviews import RiskReviewIn
from service.api.schemas.risk_reviews import RiskReviewList
from service.api.schemas.risk_reviews import RiskReviewOut
from service.api.schemas.risk_reviews import TrackRecordOut
from service.api.schemas.risk_reviews import period_record_out
from service.auth.decorators import allow
from service.auth.policy import PEOPLE
from service.domain.risk import MODEL_ROLES
from service.domain.risk_reviews import list_reviews
from service.domain.risk_reviews import review_risk
from service.domain.risk_reviews import track_record
from service.serving import provider

TAGS = ["risk"]


@bp.post(f"/employees/{EMPLOYEE_ID}/risk/reviews")
@allow(*PEOPLE)
@spec.validate(
    headers=IdempotencyHeader, resp=responses(errors=(409,), HTTP_201=RiskReviewOut), tags=TAGS
)
def post_risk_review(employee_id: int, json: RiskReviewIn) -> Response:
    """Agree or disagree with the employee's current risk answer (a supervisor above them;
    a reason is required to disagree); once per period (409 after)."""
    return create(
        lambda s, a: RiskReviewOut.model_validate(
            review_risk(s, a, employee_id, json.decision, json.reason, provider())
        )
    )


@bp.get(f"/employees/{EMPLOYEE_ID}/risk/reviews")
@allow(*PEOPLE)
@spec.validate(resp=responses(HTTP_200=RiskReviewList), tags=TAGS)
def get_risk_reviews(employee_id: int, query: PageQuery) -> Any:
    """The reviews of the employee's risk answers, the latest period first."""
    page = run(list_reviews, employee_id, query.limit, query.offset)
    return listing(RiskReviewList, page, RiskReviewOut.model_validate)


@bp.get("/models/risk/track-record")
@allow(*MODEL_ROLES)
@spec.validate(resp=responses(HTTP_200=TrackRecordOut), tags=TAGS)
def get_track_record(query: PageQuery) -> Any:
    """How each scored period's flags, and the supervisors' reviews of them, turned out in
    the next period's predikat, the latest period first."""
    page = run(track_record, query.limit, query.offset)
    return listing(TrackRecordOut, page, period_record_out)
