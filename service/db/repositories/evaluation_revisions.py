"""Revisions of evaluations: stored once, never changed (the database refuses it)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import case
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.db.models import Employee
from service.db.models import Evaluation
from service.db.models import EvaluationRevision
from service.db.repositories import Page
from service.db.repositories import paginate
from service.domain.entities import Predikat


def revisions_of(
    session: Session, evaluation_id: int, limit: int, offset: int
) -> Page[EvaluationRevision]:
    """The evaluation's replaced versions, oldest first."""
    query = (
        select(EvaluationRevision)
        .where(EvaluationRevision.evaluation_id == evaluation_id)
        .order_by(EvaluationRevision.id)
    )
    return paginate(session, query, limit, offset)


def first_given_counts(
    session: Session, unit_ids: list[int], period: str
) -> tuple[dict[Predikat, int], int]:
    """Count the predikat as first given of the units' employees' evaluations of a period:
    each evaluation's oldest revision, else its current row; and how many of them were
    changed before revisions were kept (the oldest version known is not the first)."""
    given = (
        select(
            func.coalesce(_oldest(EvaluationRevision.predikat), Evaluation.predikat).label("p"),
            func.coalesce(_oldest(EvaluationRevision.version), Evaluation.version).label("v"),
        )
        .select_from(Evaluation)
        .join(Employee, Employee.id == Evaluation.employee_id)
        .where(Employee.unit_id.in_(unit_ids), Evaluation.period == period)
        .subquery()
    )
    unknown = func.sum(case((given.c.v > 1, 1), else_=0))
    query = select(given.c.p, func.count(), unknown).group_by(given.c.p)
    rows = session.execute(query).all()
    return {Predikat(p): int(n) for p, n, _ in rows}, sum(int(u) for _, _, u in rows)


def _oldest(column: Any) -> Any:
    """`column` of the evaluation's oldest revision (correlated to `Evaluation`; null when it
    has none). The index on (evaluation_id, id) finds it without a scan."""
    query = (
        select(column)
        .where(EvaluationRevision.evaluation_id == Evaluation.id)
        .order_by(EvaluationRevision.id)
        .limit(1)
        .correlate(Evaluation)
    )
    return query.scalar_subquery()
