"""Reopenings of the realisation window (`domain.entry_windows`): which cover an employee
(their own, or one of their unit or a unit above it), and those of a unit's subtree."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import ColumnElement
from sqlalchemy import or_
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.db.models import Employee
from service.db.models import WindowReopening
from service.db.repositories import Page
from service.db.repositories import paginate
from service.db.repositories.organisation import unit_chain_ids
from service.db.repositories.organisation import unit_subtree_ids


def _covering(session: Session, employee_id: int) -> ColumnElement[bool]:
    """The reopenings of the employee, or of their unit or a unit above it."""
    unit_id = session.scalar(select(Employee.unit_id).where(Employee.id == employee_id))
    if unit_id is None:
        return WindowReopening.employee_id == employee_id
    return or_(
        WindowReopening.employee_id == employee_id,
        WindowReopening.unit_id.in_(unit_chain_ids(unit_id)),
    )


def running(session: Session, employee_id: int, today: date) -> list[tuple[date, str | None]]:
    """(until, period) of the reopenings covering the employee that have not ended by
    `today`; period None reopens every period."""
    query = select(WindowReopening.until, WindowReopening.period).where(
        _covering(session, employee_id), WindowReopening.until >= today
    )
    return [(until, period) for until, period in session.execute(query)]


def of_employee(session: Session, employee_id: int, limit: int, offset: int) -> Page[Any]:
    """The reopenings covering the employee, the latest granted first."""
    query = select(WindowReopening).where(_covering(session, employee_id))
    return paginate(session, query.order_by(WindowReopening.id.desc()), limit, offset)


def of_unit(session: Session, unit_id: int, limit: int, offset: int) -> Page[Any]:
    """The reopenings of the unit and the units below it, and of their employees, the latest
    granted first."""
    subtree = unit_subtree_ids(unit_id)
    staff = select(Employee.id).where(Employee.unit_id.in_(subtree))
    query = select(WindowReopening).where(
        or_(WindowReopening.unit_id.in_(subtree), WindowReopening.employee_id.in_(staff))
    )
    return paginate(session, query.order_by(WindowReopening.id.desc()), limit, offset)
