"""A supervisor's review of a risk answer, and the track record of past flags."""

from __future__ import annotations

from pydantic import Field

from service.api.schemas.common import LongText
from service.api.schemas.common import Model
from service.api.schemas.common import Moment
from service.api.schemas.common import Out
from service.api.schemas.common import listing
from service.domain.risk_review_terms import ReviewDecision
from service.domain.risk_reviews import Outcomes
from service.domain.risk_reviews import PeriodRecord


class RiskReviewIn(Model):
    decision: ReviewDecision = Field(description="whether you agree with the risk answer")
    reason: LongText | None = Field(
        None, description="why; required to disagree: what you know that the model does not"
    )


class RiskReviewOut(Out):
    id: int
    employee_id: int
    period: str = Field(description="the answer's as_of_period")
    decision: ReviewDecision
    reason: str | None
    probability: float | None = Field(description="the answer's probability when reviewed")
    flagged: bool
    model_version: str | None
    fallback: bool
    reviewer_id: int
    reviewed_at: Moment


RiskReviewList = listing(RiskReviewOut)


class OutcomesOut(Out):
    """null counts: a cell of fewer people than the data team may see."""

    count: int | None
    evaluated: int | None = Field(description="of them, with the next period's predikat")
    poor: int | None = Field(description="of the evaluated, with a poor predikat")
    poor_rate: float | None


class PeriodRecordOut(Out):
    period: str = Field(description="the scored period (as_of_period)")
    outcome_period: str = Field(description="the period whose predikat tells the outcome")
    flagged: OutcomesOut
    not_flagged: OutcomesOut
    precision: float | None = Field(description="share of the evaluated flagged who were poor")
    recall: float | None = Field(description="share of the evaluated poor who were flagged")
    mean_probability: float | None = Field(description="over the evaluated scored")
    observed_poor_rate: float | None
    reviews: dict[str, OutcomesOut] = Field(
        description="by review and flag: agree_flagged, disagree_flagged, agree_not_flagged, "
        "disagree_not_flagged"
    )


TrackRecordOut = listing(PeriodRecordOut)


def outcomes_out(cell: Outcomes) -> OutcomesOut:
    return OutcomesOut(
        count=cell.count, evaluated=cell.evaluated, poor=cell.poor, poor_rate=cell.rate()
    )


def period_record_out(record: PeriodRecord) -> PeriodRecordOut:
    return PeriodRecordOut(
        period=record.period,
        outcome_period=record.outcome_period,
        flagged=outcomes_out(record.flagged),
        not_flagged=outcomes_out(record.not_flagged),
        precision=record.precision,
        recall=record.recall,
        mean_probability=record.mean_probability,
        observed_poor_rate=record.observed_poor_rate,
        reviews={key: outcomes_out(cell) for key, cell in record.reviews.items()},
    )
