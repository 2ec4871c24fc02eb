"""Revisions of evaluations: stored once, never changed (the database refuses it)."""

from __future__ import annotations

from sqlalchemy import ColumnElement
from sqlalchemy import FromClause
from sqlalchemy import case
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy import true
from sqlalchemy.orm import Session

from service.db.models import Evaluation
from service.db.models import EvaluationRevision
from service.db.repositories import Page
from service.db.repositories import paginate
from service.db.repositories.calibration_closings import Covered
from service.db.repositories.calibration_closings import narrowed
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
    session: Session, covered: Covered, period: str
) -> tuple[dict[Predikat, int], int]:
    """Count the predikat as first given of the covered people's evaluations of a period:
    each evaluation's oldest revision, else its current row; and how many of them were
    changed before revisions were kept (the oldest version known is not the first)."""
    dialect = session.connection().dialect.name
    first, on = _first_revision(dialect)
    given = (
        select(
            func.coalesce(first.c.predikat, Evaluation.predikat).label("p"),
            func.coalesce(first.c.version, Evaluation.version).label("v"),
        )
        .select_from(Evaluation)
        .outerjoin(first, on)
        .where(Evaluation.period == period)
    )
    rows = narrowed(given, covered, dialect).subquery()
    unknown = func.sum(case((rows.c.v > 1, 1), else_=0))
    query = select(rows.c.p, func.count(), unknown).group_by(rows.c.p)
    found = session.execute(query).all()
    return {Predikat(p): int(n) for p, n, _ in found}, sum(int(u) for _, _, u in found)


def _first_revision(dialect: str) -> tuple[FromClause, ColumnElement[bool]]:
    """An evaluation's oldest revision, to outer-join to `Evaluation` (null columns when it
    has none), and the join's condition: one probe of the index on (evaluation_id, id).

    PostgreSQL reads its first row there through LATERAL. SQLite has no LATERAL: it joins
    the revision whose id is the evaluation's smallest (the probe covered by the index, then
    the row by primary key); on PostgreSQL that join hashes every revision instead, slower
    than the two correlated subqueries it replaced (3,000 evaluations, 67,000 revisions)."""
    if dialect == "postgresql":
        oldest = (
            select(EvaluationRevision.predikat, EvaluationRevision.version)
            .where(EvaluationRevision.evaluation_id == Evaluation.id)
            .order_by(EvaluationRevision.id)
            .limit(1)
            .lateral()
        )
        return oldest, true()
    first = EvaluationRevision.__table__.alias("first_revision")
    first_id = (
        select(func.min(EvaluationRevision.id))
        .where(EvaluationRevision.evaluation_id == Evaluation.id)
        .correlate(Evaluation)
        .scalar_subquery()
    )
    return first, first.c.id == first_id
