"""The reads of the evaluation sheet (`domain.evaluation_sheet`): signatories, the plan of
the evaluated year and its realisations (its RHK and indicators: `plans.skp_detail`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Row
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.db.models import Employee
from service.db.models import Indicator
from service.db.models import Position
from service.db.models import Realisation
from service.db.models import Rhk
from service.db.models import Skp
from service.db.models import Unit
from service.domain.entities import SkpStatus


def signatory_row(session: Session, employee_id: int) -> Row[Any] | None:
    """(id, name, nip, grade, position title, unit name) of one employee."""
    query = (
        select(Employee.id, Employee.name, Employee.nip, Employee.grade, Position.title, Unit.name)
        .join(Position, Position.id == Employee.position_id)
        .join(Unit, Unit.id == Employee.unit_id)
        .where(Employee.id == employee_id)
    )
    return session.execute(query).first()


def supervisor_of(session: Session, employee_id: int | None) -> int | None:
    if employee_id is None:
        return None
    return session.scalar(select(Employee.supervisor_id).where(Employee.id == employee_id))


def plan_of_year(session: Session, employee_id: int, year: int) -> Skp | None:
    """The employee's SKP of `year` that is not cancelled, the latest created if several
    (a move to another position during the year starts a second one)."""
    query = (
        select(Skp)
        .where(
            Skp.employee_id == employee_id,
            Skp.year == year,
            Skp.status != SkpStatus.DIBATALKAN,
        )
        .order_by(Skp.id.desc())
        .limit(1)
    )
    return session.scalar(query)


def realisations_of_plan(session: Session, skp_id: int) -> Sequence[Realisation]:
    """Every realisation of the plan's indicators."""
    query = (
        select(Realisation)
        .join(Indicator, Indicator.id == Realisation.indicator_id)
        .join(Rhk, Rhk.id == Indicator.rhk_id)
        .where(Rhk.skp_id == skp_id)
        .order_by(Realisation.id)
    )
    return session.scalars(query).all()
