"""Supervisors' reviews of risk answers, and the counts behind the risk track record: the
batch flags and the reviews of one period set against the next period's predikat."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement
from sqlalchemy import Row
from sqlalchemy import and_
from sqlalchemy import case
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy import union
from sqlalchemy.orm import Session

from service.db.models import Evaluation
from service.db.models import RiskReview
from service.db.models import RiskScore
from service.db.repositories import Page
from service.db.repositories import paginate
from service.domain.entities import Predikat

#: The predikat the risk model's label calls poor (DESIGN.md "Models").
POOR = (Predikat.BUTUH_PERBAIKAN, Predikat.KURANG, Predikat.SANGAT_KURANG)


def review_of(session: Session, employee_id: int, period: str) -> RiskReview | None:
    query = select(RiskReview).where(
        RiskReview.employee_id == employee_id, RiskReview.period == period
    )
    return session.scalars(query).first()


def reviews_of(session: Session, employee_ids: list[int]) -> list[RiskReview]:
    """Every review of these employees (a page of a team: a few rows each)."""
    if not employee_ids:
        return []
    query = select(RiskReview).where(RiskReview.employee_id.in_(employee_ids))
    return list(session.scalars(query))


def list_reviews(session: Session, employee_id: int, limit: int, offset: int) -> Page[RiskReview]:
    """One employee's reviews, the latest period first."""
    query = (
        select(RiskReview)
        .where(RiskReview.employee_id == employee_id)
        .order_by(RiskReview.period.desc(), RiskReview.id.desc())
    )
    return paginate(session, query, limit, offset)


def reviewed_periods(session: Session, limit: int, offset: int) -> Page[str]:
    """The periods with a batch score or a review, the latest first."""
    scored = select(RiskScore.period).where(RiskScore.status == "ok")
    periods = union(scored, select(RiskReview.period)).subquery()
    return paginate(
        session, select(periods.c.period).order_by(periods.c.period.desc()), limit, offset
    )


def _outcome(person: Any, outcome_period: str) -> tuple[Any, ColumnElement[Any]]:
    """The join to the next period's evaluation, and 1 where its predikat is poor."""
    joined = and_(Evaluation.employee_id == person, Evaluation.period == outcome_period)
    return joined, case((Evaluation.predikat.in_(POOR), 1), else_=0)


def flag_outcomes(session: Session, period: str, outcome_period: str) -> list[Row[Any]]:
    """Batch scores of `period` by flag: how many, how many evaluated in `outcome_period`,
    how many of those poor, and the sum of their probabilities."""
    joined, poor = _outcome(RiskScore.employee_id, outcome_period)
    evaluated = Evaluation.id.is_not(None)
    query = (
        select(
            RiskScore.flagged,
            func.count().label("scored"),
            func.count(Evaluation.id).label("evaluated"),
            func.coalesce(func.sum(poor), 0).label("poor"),
            func.sum(case((evaluated, RiskScore.probability))).label("probability"),
        )
        .outerjoin(Evaluation, joined)
        .where(RiskScore.period == period, RiskScore.status == "ok")
        .group_by(RiskScore.flagged)
    )
    return list(session.execute(query))


def review_outcomes(session: Session, period: str, outcome_period: str) -> list[Row[Any]]:
    """Reviews of `period` by decision and the flag they reviewed: how many, how many
    evaluated in `outcome_period`, how many of those poor."""
    joined, poor = _outcome(RiskReview.employee_id, outcome_period)
    query = (
        select(
            RiskReview.decision,
            RiskReview.flagged,
            func.count().label("reviewed"),
            func.count(Evaluation.id).label("evaluated"),
            func.coalesce(func.sum(poor), 0).label("poor"),
        )
        .outerjoin(Evaluation, joined)
        .where(RiskReview.period == period)
        .group_by(RiskReview.decision, RiskReview.flagged)
    )
    return list(session.execute(query))
