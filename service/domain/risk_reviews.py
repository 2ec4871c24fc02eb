"""Supervisors' reviews of risk flags, and the track record of past flags.

A flag is advice: the supervisor above the employee, who knows them, records whether they
agree with the answer and, when they do not, why (peers.md 8.4: a log of human overrides).
The review keeps the answer it judged (probability, flag, model version), taken from the
same read as `GET /employees/{id}/risk`, once per employee and period.

The track record sets each scored period's batch flags, and the reviews, against the next
period's predikat once it is given (peers.md 8.1: how past flags turned out): how many
flagged turned out poor (precision), how many poor were flagged (recall), the mean
probability against the rate observed, and whether the supervisors who disagreed were
right. The data team sees it with cells under `policy.SMALL_GROUP` people left out.
"""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field

from sqlalchemy.orm import Session

from service.auth import policy
from service.db.models import RiskReview
from service.db.repositories import Page
from service.db.repositories import risk_reviews as repo
from service.domain.audit import Actor
from service.domain.audit import AuditAction
from service.domain.audit import record
from service.domain.audit import record_read
from service.domain.errors import Conflict
from service.domain.errors import Invalid
from service.domain.periods import parse_period
from service.domain.risk import MODEL_ROLES
from service.domain.risk import RiskModels
from service.domain.risk import visible_risk
from service.domain.risk_review_terms import ReviewDecision

RESOURCE = "risk_review"
MAX_REASON = 5000


def review_risk(
    session: Session,
    actor: Actor,
    employee_id: int,
    decision: ReviewDecision,
    reason: str | None,
    models: RiskModels,
) -> RiskReview:
    """Record a supervisor's review of the employee's current risk answer (403 for anyone
    not above the employee, 409 without an answer to review or with one reviewed already)."""
    policy.supervised_employee(session, actor, employee_id)
    if reason is not None and len(reason) > MAX_REASON:
        raise Invalid.field("reason", f"at most {MAX_REASON} characters")
    if decision is ReviewDecision.DISAGREE and not (reason or "").strip():
        raise Invalid.field(
            "reason", "say why you disagree: what you know that the model does not"
        )
    answer = visible_risk(session, actor, employee_id, models)
    if answer["status"] != "ok":
        raise Conflict(
            f"employee {employee_id} has too little history for a risk answer to review"
        )
    period = answer["as_of_period"]
    earlier = repo.review_of(session, employee_id, period)
    if earlier is not None:
        raise Conflict(f"the risk of employee {employee_id} for {period} is reviewed already")
    review = RiskReview(
        employee_id=employee_id,
        period=period,
        decision=decision,
        reason=reason,
        probability=answer["probability"],
        flagged=answer["flagged"],
        model_version=answer["model"]["version"],
        fallback=answer["model"]["fallback"],
        reviewer_id=actor.employee_id,
    )
    session.add(review)
    session.flush()
    record(
        session,
        actor,
        AuditAction.CREATE,
        RESOURCE,
        employee_id=employee_id,
        resource_id=review.id,
    )
    return review


def list_reviews(
    session: Session, actor: Actor, employee_id: int, limit: int, offset: int
) -> Page[RiskReview]:
    """The reviews of a visible employee's risk (whoever may read the risk reads them)."""
    policy.require_role(actor, policy.PERSONAL_DATA_ROLES)
    policy.visible_employee(session, actor, employee_id)
    record_read(session, actor, RESOURCE, employee_id)
    return repo.list_reviews(session, employee_id, limit, offset)


def current_reviews(session: Session, answers: dict[int, str | None]) -> dict[int, RiskReview]:
    """The review of each employee's current answer (`answers`: employee id -> the answer's
    as_of_period), for a page that already shows those answers."""
    reviews = repo.reviews_of(session, list(answers))
    return {r.employee_id: r for r in reviews if answers.get(r.employee_id) == r.period}


@dataclass
class Outcomes:
    """People in one cell, how many of them have the next period's predikat, how many of
    those are poor; None where the cell is too small for the caller to see."""

    count: int | None = 0
    evaluated: int | None = 0
    poor: int | None = 0

    def add(self, count: int, evaluated: int, poor: int) -> None:
        self.count = (self.count or 0) + count
        self.evaluated = (self.evaluated or 0) + evaluated
        self.poor = (self.poor or 0) + poor

    def rate(self) -> float | None:
        """The share of the evaluated who turned out poor."""
        return None if not self.evaluated or self.poor is None else self.poor / self.evaluated

    def hidden_from(self, actor: Actor) -> Outcomes:
        if policy.shows_group(actor, self.count or 0):
            return self
        return Outcomes(None, None, None)


@dataclass
class PeriodRecord:
    """How one period's flags turned out in the next period."""

    period: str
    outcome_period: str
    flagged: Outcomes = field(default_factory=Outcomes)
    not_flagged: Outcomes = field(default_factory=Outcomes)
    mean_probability: float | None = None
    reviews: dict[str, Outcomes] = field(default_factory=dict)

    @property
    def precision(self) -> float | None:
        return self.flagged.rate()

    @property
    def recall(self) -> float | None:
        caught, missed = self.flagged.poor, self.not_flagged.poor
        if caught is None or missed is None or caught + missed == 0:
            return None
        return caught / (caught + missed)

    @property
    def observed_poor_rate(self) -> float | None:
        both = Outcomes()
        for cell in (self.flagged, self.not_flagged):
            both.add(cell.count or 0, cell.evaluated or 0, cell.poor or 0)
        return both.rate()


def track_record(session: Session, actor: Actor, limit: int, offset: int) -> Page[PeriodRecord]:
    """The scored periods, the latest first, each set against the next period's predikat."""
    policy.require_role(actor, MODEL_ROLES)
    periods = repo.reviewed_periods(session, limit, offset)
    return Page([_period_record(session, actor, code) for code in periods.items], periods.total)


def _period_record(session: Session, actor: Actor, code: str) -> PeriodRecord:
    outcome_period = parse_period(code).next().code
    result = PeriodRecord(code, outcome_period)
    probability, evaluated = 0.0, 0
    for row in repo.flag_outcomes(session, code, outcome_period):
        cell = result.flagged if row.flagged else result.not_flagged
        cell.add(row.scored, row.evaluated, int(row.poor))
        probability += row.probability or 0.0
        evaluated += row.evaluated
    result.mean_probability = probability / evaluated if evaluated else None
    for row in repo.review_outcomes(session, code, outcome_period):
        key = f"{row.decision.value}_{'flagged' if row.flagged else 'not_flagged'}"
        result.reviews.setdefault(key, Outcomes()).add(row.reviewed, row.evaluated, int(row.poor))
    result.flagged = result.flagged.hidden_from(actor)
    result.not_flagged = result.not_flagged.hidden_from(actor)
    result.reviews = {key: cell.hidden_from(actor) for key, cell in result.reviews.items()}
    return result
