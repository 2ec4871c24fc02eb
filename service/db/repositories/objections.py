"""Reads of objections (*keberatan*) with what their access rule needs: the evaluation, the
employee and the superior of the evaluation's rater."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement
from sqlalchemy import Select
from sqlalchemy import func
from sqlalchemy import or_
from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm import aliased

from service.db.models import Employee
from service.db.models import Evaluation
from service.db.models import Objection
from service.db.models import User
from service.db.repositories import Page
from service.db.repositories.organisation import unit_chain_ids
from service.domain.entities import Role
from service.domain.objection_terms import ObjectionStatus

_RATER = aliased(Employee, name="rater")


@dataclass(frozen=True)
class Found:
    """An objection, its evaluation and employee, and who decides it (the rater's superior:
    None when the evaluation names no rater or the rater has no superior)."""

    objection: Objection
    evaluation: Evaluation
    employee: Employee
    rater_superior_id: int | None


def _found() -> Select[Any]:
    return (
        select(Objection, Evaluation, Employee, _RATER.supervisor_id)
        .join(Evaluation, Evaluation.id == Objection.evaluation_id)
        .join(Employee, Employee.id == Objection.employee_id)
        .outerjoin(_RATER, _RATER.id == Evaluation.rater_id)
    )


def get_objection(session: Session, objection_id: int) -> Found | None:
    row = session.execute(_found().where(Objection.id == objection_id)).first()
    return None if row is None else Found(*row)


def objection_of(session: Session, evaluation_id: int) -> Objection | None:
    """The objection filed against an evaluation, if any (there is at most one)."""
    query = select(Objection).where(Objection.evaluation_id == evaluation_id)
    return session.scalars(query).first()


def objections_of(session: Session, evaluation_ids: list[int]) -> dict[int, Objection]:
    """The objections filed against these evaluations, by evaluation id (at most one each)."""
    if not evaluation_ids:
        return {}
    query = select(Objection).where(Objection.evaluation_id.in_(evaluation_ids))
    return {objection.evaluation_id: objection for objection in session.scalars(query)}


def rater_superior(session: Session, rater_id: int | None) -> int | None:
    """The supervisor of an evaluation's rater (who decides an objection), or None."""
    if rater_id is None:
        return None
    return session.scalar(select(Employee.supervisor_id).where(Employee.id == rater_id))


def login_of(session: Session, employee_id: int | None) -> int | None:
    """The active login of an employee that may be told about people (not the data team)."""
    if employee_id is None:
        return None
    query = select(User.id).where(
        User.employee_id == employee_id, User.is_active.is_(True), User.role != Role.DATA
    )
    return session.scalar(query)


def unit_deciders(session: Session, unit_id: int, excluded: set[int]) -> list[int]:
    """Active hr logins over unit `unit_id` (theirs, or their employee's, is it or a unit
    above it), else active admin logins; none of them an employee in `excluded`.

    Who decides an objection whose rater has no superior (`policy.may_decide_objection`).
    """
    unit = func.coalesce(User.unit_id, Employee.unit_id)
    logins = (
        select(User.id)
        .outerjoin(Employee, Employee.id == User.employee_id)
        .where(
            User.is_active.is_(True),
            or_(User.employee_id.is_(None), User.employee_id.not_in(sorted(excluded))),
        )
        .order_by(User.id)
    )
    over_unit = unit.in_(unit_chain_ids(unit_id))
    hr = list(session.scalars(logins.where(User.role == Role.HR, over_unit)))
    return hr or list(session.scalars(logins.where(User.role == Role.ADMIN)))


def list_objections(
    session: Session,
    visible: ColumnElement[bool] | None,
    decider_id: int | None,
    status: ObjectionStatus | None,
    limit: int,
    offset: int,
) -> Page[Found]:
    """Objections of the employees `visible` selects (None: everyone) or that `decider_id`
    decides, newest first."""
    query = _found()
    conditions = []
    if visible is not None:
        by_rater = _RATER.supervisor_id == decider_id if decider_id is not None else None
        conditions.append(visible if by_rater is None else visible | by_rater)
    if status is not None:
        conditions.append(Objection.status == status)
    query = query.where(*conditions)
    total = session.scalar(select(func.count()).select_from(query.subquery()))
    rows = session.execute(query.order_by(Objection.id.desc()).limit(limit).offset(offset))
    return Page([Found(*row) for row in rows], int(total or 0))
