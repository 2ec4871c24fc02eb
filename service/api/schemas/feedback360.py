"""360-degree feedback: rounds, nominations, requests, answers and aggregated results."""

from __future__ import annotations

from datetime import date

from pydantic import Field

from service.api.schemas.common import Id
from service.api.schemas.common import LongText
from service.api.schemas.common import Model
from service.api.schemas.common import Moment
from service.api.schemas.common import Out
from service.api.schemas.common import PeriodCode
from service.api.schemas.common import listing
from service.domain.entities import BerakhlakValue
from service.domain.entities import Rating
from service.domain.feedback360 import FeedbackRequest
from service.domain.feedback360 import RoundDetail
from service.domain.feedback360_results import RoundResults
from service.domain.feedback360_terms import ANONYMOUS_GROUPS
from service.domain.feedback360_terms import RaterGroup
from service.domain.feedback360_terms import RoundStatus

MAX_RATERS = 100


class RaterIn(Model):
    employee_id: Id
    group: RaterGroup


class FeedbackRoundIn(Model):
    """A round for `period` with its raters; `closes_on` ends it automatically (optional)."""

    period: PeriodCode
    raters: list[RaterIn] = Field(min_length=1, max_length=MAX_RATERS)
    closes_on: date | None = None


class GroupCountOut(Out):
    group: RaterGroup
    anonymous: bool
    nominated: int
    answered: int


class FeedbackRoundOut(Out):
    """Counts per group only: who was nominated or answered is never shown."""

    id: int
    employee_id: int
    period: str
    status: RoundStatus
    closes_on: date | None
    created_at: Moment | None
    closed_at: Moment | None
    groups: list[GroupCountOut]


class FeedbackRequestOut(Out):
    round_id: int
    employee_id: int
    employee_name: str
    period: str
    group: RaterGroup
    anonymous: bool
    closes_on: date | None


class FeedbackAnswerIn(Model):
    """A rating for each of the seven BerAKHLAK values, and an optional comment."""

    ratings: dict[BerakhlakValue, Rating] = Field(min_length=7, max_length=7)
    comment: LongText | None = None


class FeedbackAnswerOut(Out):
    id: int
    round_id: int
    group: RaterGroup
    answered_at: Moment | None


class ValueSummaryOut(Out):
    value: BerakhlakValue
    counts: dict[Rating, int]
    mean: float


class GroupResultOut(Out):
    group: RaterGroup
    anonymous: bool
    nominated: int
    answered: int
    shown: bool
    reason: str | None = Field(
        description="why the group is hidden: round_open, no_answers or too_few_answers"
    )
    values: list[ValueSummaryOut]
    comments: list[str]


class FeedbackResultsOut(Out):
    """Aggregates per rater group only; see README "360-degree feedback" for the rule."""

    round_id: int
    employee_id: int
    period: str
    status: RoundStatus
    min_group_answers: int
    groups: list[GroupResultOut]


FeedbackRoundList = listing(FeedbackRoundOut)
FeedbackRequestList = listing(FeedbackRequestOut)


def round_out(detail: RoundDetail) -> FeedbackRoundOut:
    feedback_round = detail.round
    groups = [
        GroupCountOut(
            group=group,
            anonymous=group in ANONYMOUS_GROUPS,
            nominated=detail.groups[group][0],
            answered=detail.groups[group][1],
        )
        for group in RaterGroup
        if group in detail.groups
    ]
    return FeedbackRoundOut(
        id=feedback_round.id,
        employee_id=feedback_round.employee_id,
        period=feedback_round.period,
        status=detail.status,
        closes_on=feedback_round.closes_on,
        created_at=feedback_round.created_at,
        closed_at=feedback_round.closed_at,
        groups=groups,
    )


def request_out(item: FeedbackRequest) -> FeedbackRequestOut:
    return FeedbackRequestOut.model_validate(item)


def results_out(results: RoundResults) -> FeedbackResultsOut:
    return FeedbackResultsOut.model_validate(results)
