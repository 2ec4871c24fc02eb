"""Daily attendance rows and the monthly summaries built from them; never commits.

Both writes are upserts on the natural key ((employee, day) and (employee, month)), so a
re-import of the same days replaces them instead of adding to them.
"""

from __future__ import annotations

from collections.abc import Iterator
from collections.abc import Sequence
from datetime import date
from datetime import time
from typing import Any

from sqlalchemy import Table
from sqlalchemy import select
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects import sqlite
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from service.db.models import AttendanceDay
from service.db.models import AttendanceMonth
from service.db.models import Employee
from service.db.repositories.risk import add_dated
from service.db.repositories.risk import forget_scores
from service.db.repositories.risk import month_ordinal

CHUNK = 1000


def employees_by_nip(session: Session, nips: Sequence[str]) -> dict[str, Employee]:
    """The employees whose NIP is listed, in chunks of CHUNK."""
    found: dict[str, Employee] = {}
    for part in _chunks(list(nips)):
        for employee in session.scalars(select(Employee).where(Employee.nip.in_(part))):
            found[employee.nip] = employee
    return found


def upsert_days(session: Session, rows: list[dict[str, Any]]) -> None:
    """Insert `{employee_id, day, check_in, check_out}` rows, replacing the same days."""
    _upsert(session.connection(), AttendanceDay.__table__, rows, ("employee_id", "day"))  # type: ignore[arg-type]


def upsert_months(session: Session, rows: list[dict[str, Any]]) -> None:
    """Insert `{employee_id, month, work_days, present_days, late_days}`, replacing a month.

    Written on the session's connection, so `serving.freshness`'s watch (which a command-line
    process need not have loaded) does not see it: the stored risk scores of these employees
    are outdated here, in the same transaction (attendance reaches no rater's statistics), those
    of the periods ending in the earliest month written or later.
    """
    if not rows:
        return
    connection = session.connection()
    _upsert(connection, AttendanceMonth.__table__, rows, ("employee_id", "month"))  # type: ignore[arg-type]
    dated: dict[int, int | None] = {}
    for row in rows:
        add_dated(dated, row["employee_id"], month_ordinal(row["month"]))
    forget_scores(connection, dated=dated)


def check_ins(
    session: Session, employee_ids: Sequence[int], first: date, last: date
) -> Iterator[tuple[int, date, time | None]]:
    """Every stored (employee, day, check-in) of the employees between two days."""
    for part in _chunks(list(employee_ids)):
        query = select(AttendanceDay.employee_id, AttendanceDay.day, AttendanceDay.check_in).where(
            AttendanceDay.employee_id.in_(part), AttendanceDay.day.between(first, last)
        )
        yield from session.execute(query).tuples()


def _upsert(
    connection: Connection, table: Table, rows: list[dict[str, Any]], keys: tuple[str, ...]
) -> None:
    if not rows:
        return
    insert = postgresql.insert if connection.dialect.name == "postgresql" else sqlite.insert
    statement = insert(table)
    changed = {name: statement.excluded[name] for name in rows[0] if name not in keys}
    upsert = statement.on_conflict_do_update(index_elements=list(keys), set_=changed)
    connection.execute(upsert, rows)


def _chunks(items: list[Any]) -> Iterator[list[Any]]:
    for start in range(0, len(items), CHUNK):
        yield items[start : start + CHUNK]
