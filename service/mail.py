"""Email the stored notifications through SMTP: one message per recipient and run, each
notification at most once.

Settings (environment, `.env` or the app config): SMTP_HOST (unset: no email is sent),
SMTP_PORT (default 587), SMTP_USER and SMTP_PASSWORD (login when set), SMTP_FROM (the sender,
required with SMTP_HOST), SMTP_STARTTLS (default true: upgrade the connection before logging
in or sending).

At most once: before a message is sent its notifications are claimed (`emailed_at` set where
it is still empty, and committed), so a second run at the same moment cannot send them too;
a failed send releases them (`emailed_at` empty again) and the next run retries. A crash
between claim and send therefore loses that email (the in-app notification stays) instead of
ever sending it twice.

A notification whose kind its recipient switched off (`notification_preferences`) is not
emailed: it is marked `email_skipped_at` so no run picks it up again, and its in-app entry
stays as it was (unread until read). Mandatory kinds (objections) are always emailed.
"""

from __future__ import annotations

import smtplib
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field
from datetime import UTC
from datetime import datetime
from email.message import EmailMessage
from email.utils import formatdate
from email.utils import make_msgid
from itertools import groupby
from typing import Any

from sqlalchemy.orm import Session

from service.config import ConfigError
from service.db.repositories import notifications as repo
from service.db.repositories.notifications import Outgoing
from service.domain.notification_preferences import emails_switched_off

SUBJECT = "Kinerja: pengingat / reminders"
_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off"})
_BATCH = 1000


@dataclass(frozen=True)
class SmtpSettings:
    """Where and how to send; `from_mapping` returns None when SMTP_HOST is not set."""

    host: str
    sender: str
    port: int = 587
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    starttls: bool = True
    timeout: float = 30.0

    @classmethod
    def from_mapping(cls, config: Mapping[str, Any]) -> SmtpSettings | None:
        """Read the SMTP_* settings; ConfigError says which one is wrong and how to fix it."""
        host = str(config.get("SMTP_HOST") or "").strip()
        if not host:
            return None
        sender = str(config.get("SMTP_FROM") or "").strip()
        if "@" not in sender:
            raise ConfigError("SMTP_FROM must be the sender's address (kinerja@agency.go.id)")
        return cls(
            host=host,
            sender=sender,
            port=_port(config.get("SMTP_PORT")),
            user=config.get("SMTP_USER") or None,
            password=config.get("SMTP_PASSWORD") or None,
            starttls=_flag(config.get("SMTP_STARTTLS")),
        )


@dataclass
class MailReport:
    """What a run sent, and what it left for the next run (with the reasons)."""

    emails: int = 0
    notifications: int = 0
    failed: int = 0
    skipped: int = 0
    errors: list[str] = field(default_factory=list)

    def describe(self) -> str:
        text = f"Emailed {self.notifications} notifications in {self.emails} emails"
        if self.skipped:
            text += f"; {self.skipped} not emailed (switched off by their recipients)"
        return text + (f"; {self.failed} left for the next run" if self.failed else "")


def send_pending(session: Session, settings: SmtpSettings) -> MailReport:
    """Email every notification not emailed yet to its recipient (one message each), but
    those of kinds the recipient switched off, which are marked skipped."""
    report = MailReport()
    outgoing = _skip_switched_off(session, repo.outbox(session), report)
    session.commit()
    if not outgoing:
        return report
    try:
        connection = connect(settings)
    except (OSError, smtplib.SMTPException) as exc:
        report.failed = len(outgoing)
        report.errors.append(f"SMTP {settings.host}:{settings.port}: {exc}")
        return report
    with connection:
        for email, items in groupby(outgoing, key=lambda item: item.email):
            _send_one(session, connection, settings.sender, email, list(items), report)
    return report


def _skip_switched_off(
    session: Session, outgoing: list[Outgoing], report: MailReport
) -> list[Outgoing]:
    """Mark the notifications of kinds their recipient switched off; return the others."""
    off = emails_switched_off(session, {item.recipient_user_id for item in outgoing})
    skipped = [item.id for item in outgoing if item.kind in off.get(item.recipient_user_id, ())]
    if not skipped:
        return outgoing
    now = datetime.now(UTC)
    marked: set[int] = set()
    for start in range(0, len(skipped), _BATCH):
        marked.update(repo.skip(session, skipped[start : start + _BATCH], now))
    report.skipped = len(marked)
    dropped = set(skipped)
    return [item for item in outgoing if item.id not in dropped]


def connect(settings: SmtpSettings) -> smtplib.SMTP:
    """Open the SMTP connection, with STARTTLS and login as configured."""
    connection = smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout)
    try:
        if settings.starttls:
            connection.starttls()
        if settings.user:
            connection.login(settings.user, settings.password or "")
    except (OSError, smtplib.SMTPException):
        connection.close()
        raise
    return connection


def compose(sender: str, recipient: str, items: Sequence[Outgoing]) -> EmailMessage:
    """One plain-text message with every reminder, in Indonesian and then in English."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = recipient
    message["Subject"] = SUBJECT
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2])
    indonesian = "\n".join(f"- {item.message}" for item in items)
    english = "\n".join(f"- {item.message_en}" for item in items)
    message.set_content(
        f"Pengingat dari Kinerja:\n\n{indonesian}\n\nReminders from Kinerja:\n\n{english}\n"
    )
    return message


def _send_one(
    session: Session,
    connection: smtplib.SMTP,
    sender: str,
    email: str,
    items: list[Outgoing],
    report: MailReport,
) -> None:
    claimed = set(repo.claim(session, [item.id for item in items], datetime.now(UTC)))
    session.commit()
    mine = [item for item in items if item.id in claimed]
    if not mine:
        return
    try:
        connection.send_message(compose(sender, email, mine))
    except (OSError, smtplib.SMTPException) as exc:
        repo.release(session, claimed)
        session.commit()
        report.failed += len(mine)
        report.errors.append(f"{email}: {exc}")
    else:
        report.emails += 1
        report.notifications += len(mine)


def _port(value: Any) -> int:
    if value is None or str(value).strip() == "":
        return 587
    text = str(value).strip()
    if not text.isdecimal() or not 1 <= int(text) <= 65535:
        raise ConfigError(f"SMTP_PORT must be a port number from 1 to 65535; got {value!r}")
    return int(text)


def _flag(value: Any) -> bool:
    if value is None or value == "":
        return True
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text not in _TRUE | _FALSE:
        raise ConfigError(f"SMTP_STARTTLS must be true or false; got {value!r}")
    return text in _TRUE
