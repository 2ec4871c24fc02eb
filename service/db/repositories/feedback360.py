"""360-degree feedback rounds, their nominated raters and answers; never commits.

Nothing here returns who answered to a caller outside the use cases: counts per group are
aggregated in SQL, and answers come back only for a whole round, for the results rule.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from datetime import datetime
from typing import Any

from sqlalchemy import Row
from sqlalchemy import exists
from sqlalchemy import func
from sqlalchemy import or_
from sqlalchemy import select
from sqlalchemy import update
from sqlalchemy.orm import Session

from service.db.models import Employee
from service.db.models import FeedbackAnswer
from service.db.models import FeedbackRater
from service.db.models import FeedbackRound
from service.db.repositories import Page
from service.db.repositories import paginate
from service.domain.feedback360_terms import RaterGroup
from service.domain.feedback360_terms import RoundStatus

#: (nominated, answered) per group of one round.
GroupCounts = dict[RaterGroup, tuple[int, int]]


def get_round(session: Session, round_id: int) -> FeedbackRound | None:
    return session.get(FeedbackRound, round_id)


def lock_round(session: Session, round_id: int) -> FeedbackRound | None:
    """The round as committed now, share-locked until the transaction ends (PostgreSQL).

    For an answer: a close in progress (its UPDATE holds the row) is waited for and then
    seen, and a close that starts later waits for the answer to commit, so no answer ever
    commits after its round's close (readers of the results could take the difference).
    """
    query = (
        select(FeedbackRound)
        .where(FeedbackRound.id == round_id)
        .with_for_update(read=True)
        .execution_options(populate_existing=True)
    )
    return session.scalar(query)


def round_exists(session: Session, employee_id: int, period: str) -> bool:
    query = select(FeedbackRound.id).where(
        FeedbackRound.employee_id == employee_id, FeedbackRound.period == period
    )
    return session.scalar(query) is not None


def group_counts(session: Session, round_ids: list[int]) -> dict[int, GroupCounts]:
    """Count the nominated and the answered raters per group of each round."""
    query = (
        select(
            FeedbackRater.round_id,
            FeedbackRater.rater_group,
            func.count(),
            func.count(FeedbackRater.answered_at),
        )
        .where(FeedbackRater.round_id.in_(round_ids))
        .group_by(FeedbackRater.round_id, FeedbackRater.rater_group)
    )
    counts: dict[int, GroupCounts] = defaultdict(dict)
    for round_id, group, nominated, answered in session.execute(query).tuples():
        counts[round_id][group] = (int(nominated), int(answered))
    return counts


def rater_of(session: Session, round_id: int, employee_id: int) -> FeedbackRater | None:
    """The nomination of `employee_id` in a round, if any."""
    query = select(FeedbackRater).where(
        FeedbackRater.round_id == round_id, FeedbackRater.rater_employee_id == employee_id
    )
    return session.scalar(query)


def mark_answered(session: Session, rater_id: int, at: datetime, today: date) -> bool:
    """Set `answered_at` unless it is set already or the round is no longer open on `today`;
    False when another request won or a close came first.

    The round's state is read again by this write: on SQLite the answer's first read and its
    write transaction are apart, and a close may commit in between.

    On the session's connection: no feature reads `answered_at`, and through the session
    `serving.freshness` would outdate every stored risk score for this statement (the answer
    itself, added through the session, outdates the rated employee's).
    """
    still_open = exists().where(
        FeedbackRound.id == FeedbackRater.round_id,
        FeedbackRound.status == RoundStatus.OPEN,
        or_(FeedbackRound.closes_on.is_(None), FeedbackRound.closes_on >= today),
    )
    statement = (
        update(FeedbackRater)
        .where(FeedbackRater.id == rater_id, FeedbackRater.answered_at.is_(None), still_open)
        .values(answered_at=at)
    )
    return session.connection().execute(statement).rowcount == 1


def pending_requests(
    session: Session, employee_id: int, today: date, limit: int, offset: int
) -> Page[Row[Any]]:
    """The caller's unanswered nominations in rounds still open: (rater, round, rated name)."""
    query = (
        select(FeedbackRater, FeedbackRound, Employee.name)
        .join(FeedbackRound, FeedbackRater.round_id == FeedbackRound.id)
        .join(Employee, FeedbackRound.employee_id == Employee.id)
        .where(
            FeedbackRater.rater_employee_id == employee_id,
            FeedbackRater.answered_at.is_(None),
            FeedbackRound.status == RoundStatus.OPEN,
            or_(FeedbackRound.closes_on.is_(None), FeedbackRound.closes_on >= today),
        )
        .order_by(FeedbackRound.closes_on, FeedbackRound.id)
    )
    total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    rows = list(session.execute(query.limit(limit).offset(offset)))
    return Page(rows, int(total or 0))


def rounds_of(session: Session, employee_id: int, limit: int, offset: int) -> Page[FeedbackRound]:
    query = (
        select(FeedbackRound)
        .where(FeedbackRound.employee_id == employee_id)
        .order_by(FeedbackRound.created_at.desc(), FeedbackRound.id.desc())
    )
    return paginate(session, query, limit, offset)


def latest_closed_round(session: Session, employee_id: int, today: date) -> FeedbackRound | None:
    """The employee's most recently created round that takes no more answers."""
    query = (
        select(FeedbackRound)
        .where(
            FeedbackRound.employee_id == employee_id,
            or_(FeedbackRound.status == RoundStatus.CLOSED, FeedbackRound.closes_on < today),
        )
        .order_by(FeedbackRound.created_at.desc(), FeedbackRound.id.desc())
        .limit(1)
    )
    return session.scalar(query)


def answers_of(session: Session, round_id: int) -> list[tuple[RaterGroup, int, FeedbackAnswer]]:
    """Every answer of a round with its rater's group and employee id (for the results rule)."""
    query = (
        select(FeedbackRater.rater_group, FeedbackRater.rater_employee_id, FeedbackAnswer)
        .join(FeedbackAnswer, FeedbackAnswer.rater_id == FeedbackRater.id)
        .where(FeedbackRater.round_id == round_id)
    )
    return [(group, rater, answer) for group, rater, answer in session.execute(query).tuples()]


def employees_by_id(session: Session, ids: list[int]) -> dict[int, Employee]:
    if not ids:
        return {}
    return {e.id: e for e in session.scalars(select(Employee).where(Employee.id.in_(ids)))}
