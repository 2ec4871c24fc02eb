"""Audit rows of reads are written when the session commits, and only then."""

from __future__ import annotations

import pytest
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.db.models import AuditEntry
from service.domain.audit import Actor
from service.domain.audit import AuditAction
from service.domain.audit import record
from service.domain.audit import record_read
from service.domain.audit import record_reads
from service.domain.entities import Role

HR = Actor(user_id=7, username="hr", role=Role.HR, employee_id=1, request_id="r-1")


def _rows(session: Session) -> list[tuple[str, int | None]]:
    query = select(AuditEntry.action, AuditEntry.employee_id).order_by(AuditEntry.id)
    return [(action, employee) for action, employee in session.execute(query)]


def test_reads_are_written_on_commit(session: Session) -> None:
    record_read(session, HR, "evaluation", 2)
    record_reads(session, HR, "risk", [1, 3, 4])  # 1 is the caller's own: no row
    assert session.scalar(select(func.count()).select_from(AuditEntry)) == 0
    session.commit()
    assert _rows(session) == [("read", 2), ("read", 3), ("read", 4)]


def test_reads_of_a_rolled_back_session_leave_nothing(session: Session) -> None:
    record_read(session, HR, "evaluation", 2)
    session.rollback()
    session.commit()
    assert _rows(session) == []


def test_reads_and_a_write_commit_together(session: Session) -> None:
    record_read(session, HR, "evaluation", 2)
    record(session, HR, AuditAction.UPDATE, "evaluation", employee_id=2, resource_id=5)
    session.commit()
    assert sorted(_rows(session)) == [("read", 2), ("update", 2)]


def test_a_failed_commit_writes_no_read(session: Session) -> None:
    record_read(session, HR, "evaluation", 2)
    session.execute(select(1))
    with pytest.raises(Exception):  # noqa: B017 (any database error)
        session.execute(AuditEntry.__table__.insert(), {"id": None, "action": None})
    session.rollback()
    session.commit()
    assert _rows(session) == []
