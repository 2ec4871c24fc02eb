"""360-degree feedback rounds: start, answer, close, and read the aggregated results.

The anonymity rule of the results lives in `service.domain.feedback360_results`; rounds and
lists show counts per rater group, never who was nominated or who answered.
"""

from __future__ import annotations

from typing import Any

from flask import Response

from service.api import bp
from service.api.http import EMPLOYEE_ID
from service.api.http import app_setting
from service.api.http import listing
from service.api.http import run
from service.api.idempotency import create
from service.api.openapi import responses
from service.api.openapi import spec
from service.api.schemas.common import IdempotencyHeader
from service.api.schemas.common import PageQuery
from service.api.schemas.feedback360 import FeedbackAnswerIn
from service.api.schemas.feedback360 import FeedbackAnswerOut
from service.api.schemas.feedback360 import FeedbackRequestList
from service.api.schemas.feedback360 import FeedbackResultsOut
from service.api.schemas.feedback360 import FeedbackRoundIn
from service.api.schemas.feedback360 import FeedbackRoundList
from service.api.schemas.feedback360 import FeedbackRoundOut
from service.api.schemas.feedback360 import request_out
from service.api.schemas.feedback360 import results_out
from service.api.schemas.feedback360 import round_out
from service.auth.decorators import allow
from service.auth.policy import PEOPLE
from service.domain.feedback360 import Nomination
from service.domain.feedback360 import answer_round
from service.domain.feedback360 import close_round
from service.domain.feedback360 import list_rounds
from service.domain.feedback360 import my_requests
from service.domain.feedback360 import read_round
from service.domain.feedback360 import round_results
from service.domain.feedback360 import start_round
from service.domain.feedback360_results import FeedbackSettings
from service.routing import id_segment

ROUND_ID = id_segment("round_id")
TAGS = ["feedback-360"]


def feedback_settings() -> FeedbackSettings:
    """Return the app's 360 feedback settings, parsed once from its config."""
    return app_setting("feedback360_settings", FeedbackSettings.from_mapping)


@bp.post(f"/employees/{EMPLOYEE_ID}/feedback-rounds")
@allow(*PEOPLE)
@spec.validate(
    headers=IdempotencyHeader, resp=responses(errors=(409,), HTTP_201=FeedbackRoundOut), tags=TAGS
)
def post_feedback_round(employee_id: int, json: FeedbackRoundIn) -> Response:
    """Start a round with nominated raters (a supervisor above, hr, admin; not the employee).

    Peers share the employee's direct supervisor and subordinates report to the employee (hr
    and admin may nominate more widely); a peer or subordinate group has none or at least
    the anonymity threshold of raters. One round per employee and period (409 on a second).
    """
    raters = [Nomination(r.employee_id, r.group) for r in json.raters]
    settings = feedback_settings()
    return create(
        lambda s, a: round_out(
            start_round(s, a, employee_id, json.period, raters, settings, json.closes_on)
        )
    )


@bp.get(f"/employees/{EMPLOYEE_ID}/feedback-rounds")
@allow(*PEOPLE)
@spec.validate(resp=responses(HTTP_200=FeedbackRoundList), tags=TAGS)
def get_feedback_rounds(employee_id: int, query: PageQuery) -> Any:
    """List the rounds on an employee, newest first, with counts per rater group."""
    page = run(list_rounds, employee_id, query.limit, query.offset)
    return listing(FeedbackRoundList, page, round_out)


@bp.get(f"/feedback-rounds/{ROUND_ID}")
@allow(*PEOPLE)
@spec.validate(resp=responses(HTTP_200=FeedbackRoundOut), tags=TAGS)
def get_feedback_round(round_id: int) -> Any:
    """Return one round: status and counts per group (nominated, answered)."""
    return round_out(run(read_round, round_id))


@bp.post(f"/feedback-rounds/{ROUND_ID}/close")
@allow(*PEOPLE)
@spec.validate(resp=responses(errors=(409,), HTTP_200=FeedbackRoundOut), tags=TAGS)
def post_close_feedback_round(round_id: int) -> Any:
    """Close an open round: it takes no more answers and its results become readable."""
    return round_out(run(close_round, round_id))


@bp.get("/feedback-requests/me")
@allow(*PEOPLE)
@spec.validate(resp=responses(HTTP_200=FeedbackRequestList), tags=TAGS)
def get_my_feedback_requests(query: PageQuery) -> Any:
    """List the open rounds waiting for the caller's answer."""
    page = run(my_requests, query.limit, query.offset)
    return listing(FeedbackRequestList, page, request_out)


@bp.post(f"/feedback-rounds/{ROUND_ID}/answers")
@allow(*PEOPLE)
@spec.validate(
    headers=IdempotencyHeader, resp=responses(errors=(409,), HTTP_201=FeedbackAnswerOut), tags=TAGS
)
def post_feedback_answer(round_id: int, json: FeedbackAnswerIn) -> Response:
    """Answer as a nominated rater: a rating per BerAKHLAK value, once (409 on a second)."""

    def produce(session: Any, actor: Any) -> FeedbackAnswerOut:
        answer, rater = answer_round(session, actor, round_id, json.ratings, json.comment)
        return FeedbackAnswerOut(
            id=answer.id, round_id=round_id, group=rater.rater_group, answered_at=rater.answered_at
        )

    return create(produce)


@bp.get(f"/feedback-rounds/{ROUND_ID}/results")
@allow(*PEOPLE)
@spec.validate(resp=responses(HTTP_200=FeedbackResultsOut), tags=TAGS)
def get_feedback_results(round_id: int) -> Any:
    """Aggregates per rater group, once the round is closed; anonymous groups only with
    enough answers (see README "360-degree feedback")."""
    return results_out(run(round_results, round_id, feedback_settings()))
