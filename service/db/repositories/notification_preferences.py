"""Notification preferences: a login's row (created with every kind on when first written),
and the kinds switched off of many logins at once for the mail sender."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects import sqlite
from sqlalchemy.orm import Session

from service.db.models import NotificationPreference

_BATCH = 1000


def get_preference(session: Session, user_id: int) -> NotificationPreference | None:
    return session.get(NotificationPreference, user_id)


def preference_for_update(session: Session, user_id: int) -> NotificationPreference:
    """The login's row, inserted with every kind on unless stored (a concurrent first write
    inserts it once: ON CONFLICT DO NOTHING), and locked for the caller's change."""
    dialect = session.get_bind().dialect.name
    upsert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = upsert(NotificationPreference.__table__).on_conflict_do_nothing(
        index_elements=["user_id"]
    )
    session.execute(statement, {"user_id": user_id, "email_off": [], "version": 1})
    query = select(NotificationPreference).where(NotificationPreference.user_id == user_id)
    return session.scalars(query.with_for_update().execution_options(populate_existing=True)).one()


def kinds_switched_off(session: Session, user_ids: Iterable[int]) -> dict[int, frozenset[str]]:
    """The kinds each of these logins does not want emailed (logins without a row: none)."""
    ids = sorted(set(user_ids))
    found: dict[int, frozenset[str]] = {}
    columns = (NotificationPreference.user_id, NotificationPreference.email_off)
    for start in range(0, len(ids), _BATCH):
        query = select(*columns).where(
            NotificationPreference.user_id.in_(ids[start : start + _BATCH])
        )
        found.update((user_id, frozenset(off)) for user_id, off in session.execute(query))
    return found
