"""Audit rows of reads are written when the session commits, and only then."""

from __future__ import annotations

from datetime import UTC
from datetime import datetime

import pytest
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from service.db import QUEUE_BLOCK
from service.db import insert_on_commit
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


def test_reads_of_a_whole_large_unit_are_written(session: Session) -> None:
    """More rows than one statement may bind (PostgreSQL: 65,535 parameters, 8,191 audit
    rows; SQLite: 32,766) are still written, all on the commit."""
    people = list(range(2, 10_002))
    record_reads(session, HR, "evaluation", people)
    record_read(session, HR, "risk", 2)
    session.commit()
    found = _rows(session)
    assert len(found) == len(people) + 1
    assert sorted(employee for _, employee in found) == sorted([*people, 2])


def test_a_long_queue_that_fails_in_its_last_block_writes_nothing(session: Session) -> None:
    """The blocks of a long queue commit together: a refused row in the last leaves none."""
    rows = [
        {"at": datetime.now(UTC), "actor_user_id": 7, "actor_username": "hr", "action": "read",
         "resource": "evaluation", "resource_id": None, "employee_id": person, "request_id": "r"}
        for person in range(2, 2 + 2 * QUEUE_BLOCK + 10)
    ]  # fmt: skip
    rows[-1]["action"] = None  # NOT NULL
    insert_on_commit(session, AuditEntry.__table__, rows)
    with pytest.raises(IntegrityError):
        session.commit()
    session.rollback()
    assert _rows(session) == []
