"""Reads behind the allowance report: a unit's employees, their predikat and attendance.

Only SELECTs: the allowance never changes evaluation or attendance data.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.db.models import AttendanceMonth
from service.db.models import Employee
from service.db.models import Evaluation
from service.db.models import Unit
from service.db.repositories import Page
from service.db.repositories import paginate
from service.db.repositories.organisation import unit_subtree_ids
from service.domain.entities import Predikat


def unit_employees(
    session: Session, unit_id: int, limit: int | None, offset: int
) -> Page[Employee]:
    """The employees of the unit and its subunits, by NIP (all of them when limit is None)."""
    query = (
        select(Employee)
        .where(Employee.unit_id.in_(unit_subtree_ids(unit_id)))
        .order_by(Employee.nip)
    )
    if limit is None:
        items = list(session.scalars(query))
        return Page(items, len(items))
    return paginate(session, query, limit, offset)


def unit_tree(session: Session) -> dict[int, tuple[int | None, str | None]]:
    """Every unit's (parent id, code), to find the nearest unit with its own rule."""
    rows = session.execute(select(Unit.id, Unit.parent_id, Unit.code)).tuples()
    return {unit_id: (parent, code) for unit_id, parent, code in rows}


def predikat_by_period(
    session: Session, employee_ids: Sequence[int], periods: Sequence[str]
) -> dict[int, dict[str, Predikat]]:
    """The predikat of each employee's evaluations of the given periods."""
    found: dict[int, dict[str, Predikat]] = {}
    if not employee_ids:
        return found
    query = select(Evaluation.employee_id, Evaluation.period, Evaluation.predikat).where(
        Evaluation.employee_id.in_(employee_ids), Evaluation.period.in_(periods)
    )
    for employee_id, period, predikat in session.execute(query).tuples():
        found.setdefault(employee_id, {})[period] = predikat
    return found


def attendance_totals(
    session: Session, employee_ids: Sequence[int], months: Sequence[str]
) -> dict[int, tuple[int, int, int, int]]:
    """Per employee: (months recorded, work days, days present, days late) over `months`."""
    if not employee_ids:
        return {}
    query = (
        select(
            AttendanceMonth.employee_id,
            func.count(),
            func.sum(AttendanceMonth.work_days),
            func.sum(AttendanceMonth.present_days),
            func.sum(AttendanceMonth.late_days),
        )
        .where(AttendanceMonth.employee_id.in_(employee_ids), AttendanceMonth.month.in_(months))
        .group_by(AttendanceMonth.employee_id)
    )
    return {
        employee_id: (int(n), int(work), int(present), int(late))
        for employee_id, n, work, present, late in session.execute(query).tuples()
    }
