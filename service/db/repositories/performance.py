"""SKP plans with their RHK, indicators and realisations; evaluations; feedback; unit grades."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any
from typing import NamedTuple

from sqlalchemy import Integer
from sqlalchemy import Row
from sqlalchemy import bindparam
from sqlalchemy import delete
from sqlalchemy import exists
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.db.base import Base
from service.db.models import Employee
from service.db.models import Evaluation
from service.db.models import Evidence
from service.db.models import FeedbackNote
from service.db.models import Indicator
from service.db.models import Realisation
from service.db.models import Rhk
from service.db.models import SelfAssessment
from service.db.models import Skp
from service.db.models import Unit
from service.db.models import UnitGrade
from service.db.repositories import Page
from service.db.repositories import paginate
from service.db.repositories.organisation import unit_chain
from service.db.repositories.risk import FORGOTTEN
from service.db.repositories.risk import forget_scores
from service.db.thread_connections import LoneSelect
from service.domain.entities import Predikat


def get_evaluation(session: Session, evaluation_id: int) -> tuple[Evaluation, Employee] | None:
    """Return an evaluation and its employee in one query (the access check needs both)."""
    row = session.execute(_EVALUATION_AND_EMPLOYEE, {"evaluation_id": evaluation_id}).first()
    return None if row is None else (row[0], row[1])


# Built once: constructing a statement costs more than running it on this hot path.
_EVALUATION_AND_EMPLOYEE = (
    select(Evaluation, Employee)
    .join(Employee, Employee.id == Evaluation.employee_id)
    .where(Evaluation.id == bindparam("evaluation_id", type_=Integer()))
)


class EmployeePlace(NamedTuple):
    """Where an employee sits: what the access rule reads (`policy.Placed`)."""

    id: int
    unit_id: int
    supervisor_id: int | None


def evaluation_row(session: Session, evaluation_id: int) -> tuple[Row[Any], EmployeePlace] | None:
    """Return an evaluation's columns and where its employee sits, for a read.

    Plain columns (the row reads like an `Evaluation`): no ORM objects to build, register and
    clean up, a tenth of the evaluation read's CPU; and outside the session when it has no
    transaction (`LoneSelect`: on SQLite, this thread's own connection), about a tenth more.
    Only for reads; `get_evaluation` gives the ORM object a correction changes.
    """
    row = _EVALUATION_ROW.first(session, {"evaluation_id": evaluation_id})
    if row is None:
        return None
    return row, EmployeePlace(row.employee_id, row.employee_unit_id, row.employee_supervisor_id)


_EVALUATIONS = Evaluation.__table__
_EMPLOYEES = Employee.__table__
_EVALUATION_ROW = LoneSelect(
    select(
        _EVALUATIONS,
        _EMPLOYEES.c.unit_id.label("employee_unit_id"),
        _EMPLOYEES.c.supervisor_id.label("employee_supervisor_id"),
    )
    .join(_EMPLOYEES, _EMPLOYEES.c.id == _EVALUATIONS.c.employee_id)
    .where(_EVALUATIONS.c.id == bindparam("evaluation_id", type_=Integer()))
)


def list_evaluations(
    session: Session, employee_id: int, limit: int, offset: int, period: str | None = None
) -> Page[Evaluation]:
    """List one employee's evaluations, oldest period first."""
    query = select(Evaluation).where(Evaluation.employee_id == employee_id)
    if period is not None:
        query = query.where(Evaluation.period == period)
    return paginate(session, query.order_by(Evaluation.period, Evaluation.id), limit, offset)


def evaluated_in_units(session: Session, unit_ids: Any, period: str) -> list[int]:
    """The employees of `unit_ids` (ids or a select of them) evaluated for `period`: whom an
    export of those units lists."""
    query = (
        select(Evaluation.employee_id)
        .join(Employee, Employee.id == Evaluation.employee_id)
        .where(Evaluation.period == period, Employee.unit_id.in_(unit_ids))
    )
    return list(session.scalars(query))


def predikat_counts(session: Session, unit_ids: list[int], period: str) -> dict[Predikat, int]:
    """Count the predikat of the evaluations of the units' employees in one period."""
    query = (
        select(Evaluation.predikat, func.count())
        .join(Employee, Employee.id == Evaluation.employee_id)
        .where(Employee.unit_id.in_(unit_ids), Evaluation.period == period)
        .group_by(Evaluation.predikat)
    )
    return {Predikat(predikat): int(count) for predikat, count in session.execute(query)}


def get_skp(session: Session, skp_id: int) -> Skp | None:
    return session.get(Skp, skp_id)


def skp_and_employee(session: Session, skp_id: int) -> Row[tuple[Skp, Employee]] | None:
    """The SKP and its employee, in one query (its access check and its answer read both)."""
    query = select(Skp, Employee).join(Employee, Employee.id == Skp.employee_id)
    return session.execute(query.where(Skp.id == skp_id)).first()


def skp_exists(session: Session, employee_id: int, year: int, position_id: int) -> bool:
    query = select(Skp.id).where(
        Skp.employee_id == employee_id, Skp.year == year, Skp.position_id == position_id
    )
    return session.scalar(select(exists(query))) or False


def list_skps(session: Session, employee_id: int, limit: int, offset: int) -> Page[Skp]:
    query = select(Skp).where(Skp.employee_id == employee_id).order_by(Skp.year, Skp.id)
    return paginate(session, query, limit, offset)


def rhks_of(session: Session, skp_id: int) -> list[Rhk]:
    query = select(Rhk).where(Rhk.skp_id == skp_id).order_by(Rhk.ordinal, Rhk.id)
    return list(session.scalars(query))


def indicators_of(session: Session, rhk_ids: list[int]) -> list[Indicator]:
    query = select(Indicator).where(Indicator.rhk_id.in_(rhk_ids)).order_by(Indicator.id)
    return list(session.scalars(query))


def get_rhk(session: Session, rhk_id: int) -> Rhk | None:
    return session.get(Rhk, rhk_id)


def rhk_owners(session: Session, rhk_ids: Collection[int]) -> dict[int, int]:
    """The employee whose SKP holds each RHK, by RHK id (an unknown RHK is absent)."""
    if not rhk_ids:
        return {}
    query = select(Rhk.id, Skp.employee_id).join(Skp, Rhk.skp_id == Skp.id)
    return {rhk_id: owner for rhk_id, owner in session.execute(query.where(Rhk.id.in_(rhk_ids)))}


def delete_indicators(session: Session, rhk_ids: list[int]) -> None:
    _forget_plan_scores(session, rhk_ids)
    statement = delete(Indicator).where(Indicator.rhk_id.in_(rhk_ids))
    session.execute(statement, execution_options={FORGOTTEN: True})


def delete_rhks(session: Session, rhk_ids: list[int]) -> None:
    _forget_plan_scores(session, rhk_ids)
    session.execute(delete(Rhk).where(Rhk.id.in_(rhk_ids)), execution_options={FORGOTTEN: True})


def _forget_plan_scores(session: Session, rhk_ids: list[int]) -> None:
    """Outdate the stored risk scores these RHKs' rows may change (their plan's employee and
    whoever that employee's raters rate), before the rows and so their owner are gone."""
    if rhk_ids:
        forget_scores(session.connection(), linked={"rhk": rhk_ids})


def rhk_references(session: Session, rhk_ids: list[int]) -> list[tuple[str, int]]:
    """Rows outside these RHKs that point at one of them, as (table, RHK id).

    Walks every foreign key to `rhks.id` in the metadata (child RHKs, feedback notes,
    activity entries, ... and tables added later), so no reference is forgotten.
    """
    target = Rhk.__table__.c.id
    found: list[tuple[str, int]] = []
    for table in Base.metadata.sorted_tables:
        for key in table.foreign_keys:
            if key.column is not target or table.name == Indicator.__tablename__:
                continue
            query = select(key.parent).where(key.parent.in_(rhk_ids)).distinct()
            if table.name == Rhk.__tablename__:
                query = query.where(table.c.id.not_in(rhk_ids))
            found += [(table.name, rhk_id) for rhk_id in session.scalars(query)]
    return found


def indicator_of_skp(session: Session, skp_id: int, indicator_id: int) -> Indicator | None:
    """Return the indicator when it belongs to an RHK of `skp_id`."""
    query = (
        select(Indicator)
        .join(Rhk, Rhk.id == Indicator.rhk_id)
        .where(Indicator.id == indicator_id, Rhk.skp_id == skp_id)
    )
    return session.scalar(query)


def evaluated_in(session: Session, employee_id: int, periods: tuple[str, ...]) -> str | None:
    """The earliest of `periods` that the employee already has an evaluation of, if any."""
    query = select(func.min(Evaluation.period)).where(
        Evaluation.employee_id == employee_id, Evaluation.period.in_(periods)
    )
    return session.scalar(query)


def evaluated_periods(session: Session, employee_id: int, periods: list[str]) -> set[str]:
    """Those of `periods` that the employee has an evaluation of (one query for many)."""
    query = select(Evaluation.period).where(
        Evaluation.employee_id == employee_id, Evaluation.period.in_(periods)
    )
    return set(session.scalars(query))


def realisation_exists(session: Session, indicator_id: int, period: str) -> bool:
    query = select(Realisation.id).where(
        Realisation.indicator_id == indicator_id, Realisation.period == period
    )
    return session.scalar(select(exists(query))) or False


def list_realisations(session: Session, skp_id: int, limit: int, offset: int) -> Page[Realisation]:
    """List the realisations recorded on the indicators of one SKP."""
    query = (
        select(Realisation)
        .join(Indicator, Indicator.id == Realisation.indicator_id)
        .join(Rhk, Rhk.id == Indicator.rhk_id)
        .where(Rhk.skp_id == skp_id)
        .order_by(Realisation.period, Realisation.id)
    )
    return paginate(session, query, limit, offset)


def evidence_of(session: Session, realisation_ids: list[int]) -> list[Evidence]:
    query = select(Evidence).where(Evidence.realisation_id.in_(realisation_ids))
    return list(session.scalars(query.order_by(Evidence.id)))


def list_feedback(
    session: Session, employee_id: int, limit: int, offset: int
) -> Page[FeedbackNote]:
    query = select(FeedbackNote).where(FeedbackNote.employee_id == employee_id)
    return paginate(session, query.order_by(FeedbackNote.id), limit, offset)


def self_assessment_exists(session: Session, employee_id: int, period: str) -> bool:
    query = select(SelfAssessment.id).where(
        SelfAssessment.employee_id == employee_id, SelfAssessment.period == period
    )
    return session.scalar(select(exists(query))) or False


def list_self_assessments(
    session: Session, employee_id: int, limit: int, offset: int
) -> Page[SelfAssessment]:
    query = select(SelfAssessment).where(SelfAssessment.employee_id == employee_id)
    return paginate(session, query.order_by(SelfAssessment.period), limit, offset)


def nearest_unit_grade(
    session: Session, unit_id: int, period: str
) -> tuple[UnitGrade, str] | None:
    """The grade for `period` of the nearest graded unit at or above `unit_id`, with that
    unit's name, in one statement (`unit_chain`, nearest first); None when none is graded."""
    chain = unit_chain(unit_id)
    query = (
        select(UnitGrade, Unit.name)
        .join(chain, chain.c.id == UnitGrade.unit_id)
        .join(Unit, Unit.id == UnitGrade.unit_id)
        .where(UnitGrade.period == period)
        .order_by(chain.c.depth)
        .limit(1)
    )
    found = session.execute(query).first()
    return None if found is None else (found[0], found[1])


def get_unit_grade(session: Session, unit_id: int, period: str) -> UnitGrade | None:
    query = select(UnitGrade).where(UnitGrade.unit_id == unit_id, UnitGrade.period == period)
    return session.scalar(query)
