"""The reads of the cycle progress of a unit (`domain.cycle_progress`): per active employee
of the unit and the units below it, their unit, SKP statuses, realised periods and
evaluated periods of one year."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Row
from sqlalchemy import Select
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.db.models import Employee
from service.db.models import Evaluation
from service.db.models import Indicator
from service.db.models import Realisation
from service.db.models import Rhk
from service.db.models import Skp
from service.db.models import Unit
from service.db.repositories.organisation import unit_subtree_ids


def subtree_units(session: Session, unit_id: int) -> list[Row[Any]]:
    """(id, name, parent_id) of the unit and every unit below it."""
    query = select(Unit.id, Unit.name, Unit.parent_id).where(
        Unit.id.in_(unit_subtree_ids(unit_id))
    )
    return list(session.execute(query))


def _staff(unit_id: int) -> Select[Any]:
    """The active employees of the unit and below it."""
    return select(Employee.id).where(
        Employee.unit_id.in_(unit_subtree_ids(unit_id)), Employee.is_active.is_(True)
    )


def staff(session: Session, unit_id: int) -> list[Row[Any]]:
    """(employee id, unit id) of the active employees of the unit and below it."""
    query = select(Employee.id, Employee.unit_id).where(Employee.id.in_(_staff(unit_id)))
    return list(session.execute(query))


def plan_statuses(session: Session, unit_id: int, year: int) -> list[Row[Any]]:
    """(employee id, status, approved at, hire date) of every SKP of `year` of the unit's
    active employees."""
    query = (
        select(Skp.employee_id, Skp.status, Skp.approved_at, Employee.hire_date)
        .join(Employee, Employee.id == Skp.employee_id)
        .where(Skp.year == year, Skp.employee_id.in_(_staff(unit_id)))
    )
    return list(session.execute(query))


def realised_periods(session: Session, unit_id: int, year: int) -> list[Row[Any]]:
    """Distinct (employee id, period code) of the realisations recorded on the SKPs of
    `year` of the unit's active employees."""
    query = (
        select(Skp.employee_id, Realisation.period)
        .join(Rhk, Rhk.skp_id == Skp.id)
        .join(Indicator, Indicator.rhk_id == Rhk.id)
        .join(Realisation, Realisation.indicator_id == Indicator.id)
        .where(Skp.year == year, Skp.employee_id.in_(_staff(unit_id)))
        .distinct()
    )
    return list(session.execute(query))


def evaluated_periods(session: Session, unit_id: int, codes: Sequence[str]) -> list[Row[Any]]:
    """(employee id, period code) of the evaluations of `codes` of the unit's active
    employees."""
    query = select(Evaluation.employee_id, Evaluation.period).where(
        Evaluation.period.in_(list(codes)), Evaluation.employee_id.in_(_staff(unit_id))
    )
    return list(session.execute(query))
