"""Use cases of in-app notifications: store the due reminders once, list and read one's own.

A notification belongs to its recipient alone: nobody else lists or marks it (404 for any
other caller, admins included: a reminder is addressed to a person, not a record to manage).
`remind` is the scheduled job's use case (`kinerja remind`); emailing is `service.mail`'s.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from datetime import UTC
from datetime import date
from datetime import datetime

from sqlalchemy.orm import Session

from service.db.models import Notification
from service.db.models import User
from service.db.repositories import Page
from service.db.repositories import access as access_repo
from service.db.repositories import notifications as repo
from service.domain.audit import Actor
from service.domain.audit import AuditAction
from service.domain.audit import record
from service.domain.entities import NotificationKind
from service.domain.errors import Forbidden
from service.domain.errors import Invalid
from service.domain.errors import NotFound
from service.domain.reminders import Reminder
from service.domain.reminders import ReminderSettings
from service.domain.reminders import due_reminders
from service.domain.settings import RuleSettings

RESOURCE = "notification"
#: One address, no display name: what `users.email` holds (at most 254 characters).
EMAIL = re.compile(r"[^@\s]{1,64}@[^@\s]{1,188}\.[^@\s]{2,}")


@dataclass(frozen=True)
class RemindResult:
    """How many reminders were due on a day, and how many of them were new."""

    due: int
    created: Counter[NotificationKind]

    def describe(self) -> str:
        parts = ", ".join(f"{kind.value} {n}" for kind, n in sorted(self.created.items()))
        total = sum(self.created.values())
        return f"{self.due} reminders due, {total} new" + (f" ({parts})" if parts else "")


def remind(
    session: Session,
    as_of: date,
    rules: RuleSettings,
    settings: ReminderSettings,
    model_version: str | None,
) -> RemindResult:
    """Store every reminder due on `as_of` that its recipient has not had; the caller commits.
    `model_version` is the risk model version served (None: the rule fallback)."""
    due = due_reminders(session, as_of, rules, settings, model_version)
    inserted = repo.insert_new(session, [_row(reminder) for reminder in due])
    return RemindResult(len(due), Counter(NotificationKind(kind) for kind in inserted))


def list_my_notifications(
    session: Session, actor: Actor, limit: int, offset: int, unread_only: bool = False
) -> Page[Notification]:
    """The caller's notifications, unread first, then newest first."""
    return repo.list_for_user(session, _user_id(actor), limit, offset, unread_only)


def unread_count(session: Session, actor: Actor) -> int:
    """How many of the caller's notifications are unread (for the pages' badge)."""
    return repo.count_unread(session, _user_id(actor))


def mark_read(session: Session, actor: Actor, notification_id: int) -> Notification:
    """Mark one of the caller's notifications read (again: the first time is kept)."""
    notification = repo.get_notification(session, notification_id)
    if notification is None or notification.recipient_user_id != _user_id(actor):
        raise NotFound(f"no notification {notification_id} of yours")
    if notification.read_at is None:
        notification.read_at = datetime.now(UTC)
        session.flush()
        record(
            session,
            actor,
            AuditAction.UPDATE,
            RESOURCE,
            employee_id=actor.employee_id,
            resource_id=notification.id,
        )
    return notification


def set_reminder_email(session: Session, username: str, email: str) -> User:
    """Set the address a login's reminders are emailed to ("" removes it); the caller commits."""
    user = access_repo.user_by_username(session, username)
    if user is None:
        raise NotFound(f"no user {username!r}")
    email = email.strip()
    if email and (len(email) > 254 or not EMAIL.fullmatch(email)):
        raise Invalid.field(
            "email", f"must be an address such as nama@instansi.go.id; got {email!r}"
        )
    user.email = email or None
    session.flush()
    return user


def _user_id(actor: Actor) -> int:
    if actor.user_id is None:
        raise Forbidden("notifications belong to a login; this caller has none")
    return actor.user_id


def _row(reminder: Reminder) -> dict[str, object]:
    return {
        "recipient_user_id": reminder.recipient_user_id,
        "kind": reminder.kind.value,
        "subject_key": reminder.subject_key,
        "message": reminder.message,
        "message_en": reminder.message_en,
        "created_at": datetime.now(UTC),
    }
