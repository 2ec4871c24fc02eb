"""`kinerja remind` against a real SMTP server process (aiosmtpd writing a Maildir).

The first run finds no server listening: the notifications are stored and every email is
left for the next run. With the server up, the next run sends one message per recipient
with an address; a third run sends nothing again.
"""

from __future__ import annotations

import mailbox
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from click.testing import Result
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.cli import main
from service.db.models import Notification
from service.db.models import NotificationPreference
from service.db.models import User
from service.domain.entities import NotificationKind
from tests.service.api.world import World


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class SmtpServer:
    """`python -m aiosmtpd` in its own process, storing what it receives in a Maildir."""

    def __init__(self, port: int, maildir: Path) -> None:
        self.port, self.maildir = port, maildir
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        command = [sys.executable, "-m", "aiosmtpd", "-n", "-l", f"127.0.0.1:{self.port}"]
        command += ["-c", "aiosmtpd.handlers.Mailbox", str(self.maildir)]
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return
            except OSError:
                if self.process.poll() is not None:
                    raise RuntimeError(self.process.stderr.read().decode()) from None  # type: ignore[union-attr]
                time.sleep(0.1)
        raise RuntimeError(f"aiosmtpd did not listen on port {self.port}")

    def stop(self) -> None:
        if self.process is not None:
            if self.process.poll() is None:
                self.process.terminate()
            self.process.communicate(timeout=10)  # reaps it and closes its stderr pipe

    def messages(self) -> list[mailbox.MaildirMessage]:
        if not self.maildir.exists():
            return []
        return list(mailbox.Maildir(self.maildir, create=False))


@pytest.fixture
def smtp(tmp_path: Path) -> Iterator[SmtpServer]:
    server = SmtpServer(_free_port(), tmp_path / "maildir")
    yield server
    server.stop()


def _remind(database_url: str, tmp_path: Path, port: int) -> Result:
    env = {
        "KINERJA_ENV": "test",
        "KINERJA_HOME": str(tmp_path / "home"),
        "DATABASE_URL": database_url,
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(port),
        "SMTP_FROM": "kinerja@bkpsdm.example.go.id",
        "SMTP_STARTTLS": "false",
    }
    return CliRunner().invoke(main, ["remind", "--as-of", "2026-07-05"], env=env)


def _set_email(database_url: str, tmp_path: Path, username: str, email: str) -> None:
    env = {
        "KINERJA_ENV": "test",
        "KINERJA_HOME": str(tmp_path / "home"),
        "DATABASE_URL": database_url,
    }
    result = CliRunner().invoke(
        main, ["set-email", "--username", username, "--email", email], env=env
    )
    assert result.exit_code == 0, result.output


def test_remind_emails_once_and_retries_after_a_failure(
    session: Session, world: World, database_url: str, tmp_path: Path, smtp: SmtpServer
) -> None:
    addresses = {"user-supervisor": "s@example.go.id", "user-employee": "e1@example.go.id"}
    for username, email in addresses.items():
        _set_email(database_url, tmp_path, username, email)

    down = _remind(database_url, tmp_path, smtp.port)
    assert down.exit_code == 1
    assert "4 new" in down.output and "2 left for the next run" in down.output
    assert session.scalars(select(Notification.emailed_at)).all() == [None] * 4

    smtp.start()
    up = _remind(database_url, tmp_path, smtp.port)
    assert up.exit_code == 0, up.output
    assert "0 new" in up.output and "Emailed 2 notifications in 2 emails" in up.output
    received = {message["To"]: message for message in smtp.messages()}
    assert set(received) == set(addresses.values())
    body = received["s@example.go.id"].get_payload(decode=True).decode()
    assert "Evaluasi kinerja Pegawai E1 untuk 2026-Q2 belum dibuat." in body
    assert "The performance evaluation of Pegawai E1 for 2026-Q2 is not recorded yet." in body
    session.expire_all()
    emailed = session.execute(
        select(User.username)
        .join(Notification, Notification.recipient_user_id == User.id)
        .where(Notification.emailed_at.is_not(None))
    )
    assert sorted(emailed.scalars()) == sorted(addresses)

    again = _remind(database_url, tmp_path, smtp.port)
    assert again.exit_code == 0, again.output
    assert "Emailed 0 notifications" in again.output
    assert len(smtp.messages()) == 2


def test_kinds_switched_off_are_not_emailed_and_not_retried(
    client: FlaskClient,
    session: Session,
    world: World,
    database_url: str,
    tmp_path: Path,
    smtp: SmtpServer,
) -> None:
    """The supervisor switched evaluation reminders off: theirs is marked skipped, stays
    unread in the app and is not picked up again. The employee's stored choice also names an
    objection outcome, which is mandatory and emailed all the same."""
    addresses = {"user-supervisor": "s@example.go.id", "user-employee": "e1@example.go.id"}
    for username, email in addresses.items():
        _set_email(database_url, tmp_path, username, email)
    path = "/api/v1/users/me/notification-preferences"
    headers = world.headers("supervisor") | {"If-Match": '"1"'}
    off = client.put(path, json={"email_on": {"evaluation_due": False}}, headers=headers)
    assert off.status_code == 200, off.get_json()
    employee = world.users["employee"]
    session.add(
        NotificationPreference(user_id=employee, email_off=["evaluation_due", "objection_decided"])
    )
    session.add(
        Notification(
            recipient_user_id=employee,
            kind=NotificationKind.OBJECTION_DECIDED,
            subject_key="objection:1",
            message="Keberatan Anda telah diputus.",
            message_en="Your objection was decided.",
        )
    )
    session.commit()

    smtp.start()
    sent = _remind(database_url, tmp_path, smtp.port)
    assert sent.exit_code == 0, sent.output
    assert "Emailed 1 notifications in 1 emails; 2 not emailed" in sent.output
    [message] = smtp.messages()
    assert message["To"] == "e1@example.go.id"
    body = message.get_payload(decode=True).decode()
    assert "Keberatan Anda telah diputus." in body and "Evaluasi kinerja" not in body
    session.expire_all()
    states = session.execute(
        select(User.username, Notification.kind, Notification.emailed_at.is_not(None),
               Notification.email_skipped_at.is_not(None), Notification.read_at)
        .join(User, User.id == Notification.recipient_user_id)
        .where(User.username.in_(addresses))
    )  # fmt: skip
    assert sorted(tuple(row) for row in states) == [
        ("user-employee", "evaluation_due", False, True, None),
        ("user-employee", "objection_decided", True, False, None),
        ("user-supervisor", "evaluation_due", False, True, None),
    ]
    mine = client.get("/api/v1/notifications/me", headers=world.headers("supervisor"))
    assert mine.get_json()["unread"] == 1  # the in-app entry is untouched
    (skipped,) = mine.get_json()["items"]
    assert skipped["email_skipped_at"] is not None and skipped["emailed_at"] is None

    # Switched on again: what was skipped stays skipped, and nothing is sent twice.
    headers["If-Match"] = off.headers["ETag"]
    on = client.put(path, json={"email_on": {"evaluation_due": True}}, headers=headers)
    assert on.status_code == 200, on.get_json()
    again = _remind(database_url, tmp_path, smtp.port)
    assert again.exit_code == 0, again.output
    assert "Emailed 0 notifications in 0 emails\n" in again.output
    assert len(smtp.messages()) == 1
