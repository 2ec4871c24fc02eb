"""Notifications: insert-once, a user's list (unread first), and the email outbox.

`insert_new` relies on the UNIQUE (recipient, kind, subject) constraint with ON CONFLICT DO
NOTHING (SQLite and PostgreSQL), so two reminder runs, even at the same moment, store a
reminder once. `claim` marks rows as emailed with UPDATE ... WHERE emailed_at IS NULL
RETURNING id, so two senders never both own a row; `skip` marks the rows of kinds their
recipient switched off the same way, so they leave the outbox without an email.
"""

from __future__ import annotations

from collections.abc import Iterable
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import case
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy import update
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects import sqlite
from sqlalchemy.orm import Session

from service.db.models import Notification
from service.db.models import User
from service.db.repositories import Page
from service.db.repositories import paginate

_UNIQUE = ["recipient_user_id", "kind", "subject_key"]
_BATCH = 1000


@dataclass(frozen=True)
class Outgoing:
    """A notification waiting for its email, with the recipient's address."""

    id: int
    recipient_user_id: int
    kind: str
    email: str
    message: str
    message_en: str


def insert_new(session: Session, rows: Sequence[dict[str, Any]]) -> list[str]:
    """Insert the rows whose (recipient, kind, subject) is not stored yet; return the kinds
    of those inserted (one per row), read back with RETURNING in batches of many rows."""
    if not rows:
        return []
    dialect = session.get_bind().dialect.name
    upsert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = (
        upsert(Notification.__table__)
        .on_conflict_do_nothing(index_elements=_UNIQUE)
        .returning(Notification.kind)
    )
    inserted: list[str] = []
    for start in range(0, len(rows), _BATCH):
        inserted += session.scalars(statement, list(rows[start : start + _BATCH])).all()
    return inserted


def get_notification(session: Session, notification_id: int) -> Notification | None:
    return session.get(Notification, notification_id)


def list_for_user(
    session: Session, user_id: int, limit: int, offset: int, unread_only: bool = False
) -> Page[Notification]:
    """A user's notifications: unread first, then newest first."""
    query = select(Notification).where(Notification.recipient_user_id == user_id)
    if unread_only:
        query = query.where(Notification.read_at.is_(None))
    unread_first = case((Notification.read_at.is_(None), 0), else_=1)
    order = (unread_first, Notification.created_at.desc(), Notification.id.desc())
    return paginate(session, query.order_by(*order), limit, offset)


def count_unread(session: Session, user_id: int) -> int:
    query = select(func.count()).where(
        Notification.recipient_user_id == user_id, Notification.read_at.is_(None)
    )
    return int(session.scalar(query) or 0)


def outbox(session: Session) -> list[Outgoing]:
    """Notifications not emailed (nor skipped) yet whose active recipient has an address."""
    query = (
        select(
            Notification.id,
            Notification.recipient_user_id,
            Notification.kind,
            User.email,
            Notification.message,
            Notification.message_en,
        )
        .join(User, User.id == Notification.recipient_user_id)
        .where(
            Notification.emailed_at.is_(None),
            Notification.email_skipped_at.is_(None),
            User.email.is_not(None),
            User.is_active,
        )
        .order_by(Notification.recipient_user_id, Notification.id)
    )
    return [Outgoing(*row) for row in session.execute(query)]


def claim(session: Session, ids: Iterable[int], now: datetime) -> list[int]:
    """Mark these notifications emailed at `now` unless another sender did; return ours."""
    return _take(session, ids, emailed_at=now)


def skip(session: Session, ids: Iterable[int], now: datetime) -> list[int]:
    """Mark these notifications as not to be emailed (their kind is switched off) unless a
    sender claimed them; return those marked."""
    return _take(session, ids, email_skipped_at=now)


def _take(session: Session, ids: Iterable[int], **values: datetime) -> list[int]:
    """Set `values` on the notifications still pending (neither emailed nor skipped)."""
    statement = (
        update(Notification)
        .where(
            Notification.id.in_(list(ids)),
            Notification.emailed_at.is_(None),
            Notification.email_skipped_at.is_(None),
        )
        .values(**values)
        .returning(Notification.id)
    )
    return sorted(session.scalars(statement))


def release(session: Session, ids: Iterable[int]) -> None:
    """Undo a claim after a failed send, so the next run tries again."""
    statement = update(Notification).where(Notification.id.in_(list(ids)))
    session.execute(statement.values(emailed_at=None))
