"""Calibration closings (`domain.calibration_closings`): the standing closing of a unit and
period, the one covering an employee's unit (at or above it, nearest first), those covering
the units of an import's periods, a unit's list, the changes recorded against one, and the
predikat counts of the people a closing covers."""

from __future__ import annotations

import json
from collections.abc import Collection
from dataclasses import dataclass
from dataclasses import field
from datetime import datetime
from typing import Any
from typing import cast

from sqlalchemy import ARRAY
from sqlalchemy import ColumnElement
from sqlalchemy import Integer
from sqlalchemy import Row
from sqlalchemy import Select
from sqlalchemy import any_
from sqlalchemy import bindparam
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy import update
from sqlalchemy.orm import Session

from service.db.models import CalibrationChange
from service.db.models import CalibrationClosing
from service.db.models import Employee
from service.db.models import Evaluation
from service.db.models import Unit
from service.db.models import User
from service.db.repositories import Page
from service.db.repositories import paginate
from service.db.repositories.organisation import unit_chain
from service.db.repositories.organisation import unit_subtree_ids
from service.db.thread_connections import LoneSelect
from service.domain.entities import Predikat

_STANDING = CalibrationClosing.reopened_at.is_(None)
#: What a refusal names: the closing, its unit, who closed it and when.
_NAMED = (
    CalibrationClosing.id,
    CalibrationClosing.unit_id,
    Unit.name.label("unit_name"),
    CalibrationClosing.period,
    User.username.label("closed_by"),
    CalibrationClosing.closed_at,
)


_PROBE = (
    select(CalibrationClosing.id)
    .where(CalibrationClosing.period.in_(bindparam("periods", expanding=True)), _STANDING)
    .limit(1)
)
#: The probe of one period (every evaluation write's): without an IN list it is prepared
#: once (`LoneSelect`).
_PROBE_ONE = LoneSelect(
    select(CalibrationClosing.id)
    .where(CalibrationClosing.period == bindparam("period"), _STANDING)
    .limit(1)
)
_UNIT_OF = select(Employee.unit_id).where(Employee.id == bindparam("employee_id"))
_CHAIN = unit_chain(cast(int, bindparam("unit_id")))
#: Built once: building the statement with its recursive chain cost ten times its run.
_COVERING = (
    select(*_NAMED)
    .join(_CHAIN, _CHAIN.c.id == CalibrationClosing.unit_id)
    .join(Unit, Unit.id == CalibrationClosing.unit_id)
    .outerjoin(User, User.id == CalibrationClosing.closed_by_user_id)
    .where(CalibrationClosing.period == bindparam("period"), _STANDING)
    .order_by(_CHAIN.c.depth)
    .limit(1)
)


def standing(session: Session, unit_id: int, period: str) -> CalibrationClosing | None:
    """The closing of this unit and period that has not been reopened, if any."""
    query = select(CalibrationClosing).where(
        CalibrationClosing.unit_id == unit_id, CalibrationClosing.period == period, _STANDING
    )
    return session.scalar(query)


def any_standing(session: Session, periods: Collection[str]) -> bool:
    """Whether any closing of these periods stands: one probe of the period index, built
    once (every evaluation write asks; through the ORM it cost a tenth of the write's CPU).

    One period's probe is a `LoneSelect`: before the session's first statement (an
    evaluation write's, after its access check) it runs alone on this thread's own SQLite
    connection, as the access check's card does, at a third of the CPU of its run on the
    session (whose start then comes with the write's first statement). On SQLite that read
    was outside any transaction already (the driver begins one at the first write).
    """
    if not periods:
        return False
    if len(periods) == 1:
        if session.autoflush and (session.new or session.dirty or session.deleted):
            session.flush()  # as `session.execute`'s autoflush (a closing just added)
        (period,) = periods
        return _PROBE_ONE.first(session, {"period": period}) is not None
    found = session.connection().execute(_PROBE, {"periods": list(periods)}).first()
    return found is not None


def covering(session: Session, employee_id: int, period: str) -> Row[Any] | None:
    """The standing closing of `period` nearest at or above the employee's unit (`_NAMED`
    columns), or None."""
    connection = session.connection()
    unit_id = connection.execute(_UNIT_OF, {"employee_id": employee_id}).scalar()
    if unit_id is None:
        return None
    return covering_unit(session, unit_id, period)


def units_of(session: Session, employee_ids: Collection[int]) -> list[int]:
    """The distinct units these employees sit in."""
    if not employee_ids:
        return []
    query = select(Employee.unit_id).where(Employee.id.in_(list(employee_ids))).distinct()
    return sorted(session.scalars(query))


def covering_unit(session: Session, unit_id: int, period: str) -> Row[Any] | None:
    """The standing closing of `period` nearest at or above the unit (`_NAMED` columns),
    or None."""
    params = {"unit_id": unit_id, "period": period}
    return session.connection().execute(_COVERING, params).first()


def covered_units(session: Session, periods: Collection[str]) -> dict[str, dict[int, Row[Any]]]:
    """Period -> unit id -> the standing closing nearest at or above that unit, for every
    unit a standing closing of these periods covers (the import's check)."""
    query = (
        select(*_NAMED)
        .join(Unit, Unit.id == CalibrationClosing.unit_id)
        .outerjoin(User, User.id == CalibrationClosing.closed_by_user_id)
        .where(CalibrationClosing.period.in_(list(periods)), _STANDING)
    )
    covered: dict[str, dict[int, tuple[int, Row[Any]]]] = {}
    for closing in session.execute(query):
        units = list(session.scalars(unit_subtree_ids(closing.unit_id)))
        of_period = covered.setdefault(closing.period, {})
        for unit in units:  # nested subtrees: the smaller one is the nearer closing
            if unit not in of_period or len(units) < of_period[unit][0]:
                of_period[unit] = (len(units), closing)
    return {p: {u: found[1] for u, found in units.items()} for p, units in covered.items()}


def of_unit(
    session: Session, unit_id: int, period: str | None, limit: int, offset: int
) -> Page[CalibrationClosing]:
    """The closings of the unit (of one period, when given), the latest first."""
    query = select(CalibrationClosing).where(CalibrationClosing.unit_id == unit_id)
    if period is not None:
        query = query.where(CalibrationClosing.period == period)
    return paginate(session, query.order_by(CalibrationClosing.id.desc()), limit, offset)


def reopen(
    session: Session, closing_id: int, user_id: int | None, at: datetime, reason: str
) -> bool:
    """Mark the closing reopened, only if it still stands (one conditional UPDATE, so two
    reopenings at once cannot both write their reason); whether it did."""
    done = session.execute(
        update(CalibrationClosing)
        .where(CalibrationClosing.id == closing_id, _STANDING)
        .values(reopened_by_user_id=user_id, reopened_at=at, reopen_reason=reason)
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(done, "rowcount", 0))


def get(session: Session, unit_id: int, closing_id: int) -> CalibrationClosing | None:
    """The closing `closing_id` of the unit (None for another unit's)."""
    closing = session.get(CalibrationClosing, closing_id)
    return closing if closing is not None and closing.unit_id == unit_id else None


def changes_of(session: Session, closing_ids: Collection[int]) -> list[CalibrationChange]:
    """The changes recorded against these closings, in the order they were made."""
    query = select(CalibrationChange).where(CalibrationChange.closing_id.in_(list(closing_ids)))
    return list(session.scalars(query.order_by(CalibrationChange.id)))


@dataclass(frozen=True)
class Covered:
    """Whose evaluations a closing counts: `employee_ids`, the people in its units at closing
    (kept in its snapshot), or for a closing made before they were kept (None), whoever
    sits in `unit_ids` (the unit and the units below it) now."""

    employee_ids: list[int] | None
    unit_ids: list[int] = field(default_factory=list)


def employees_in(session: Session, unit_ids: list[int]) -> list[int]:
    """The ids of the employees who sit in these units now, ascending."""
    query = select(Employee.id).where(Employee.unit_id.in_(unit_ids)).order_by(Employee.id)
    return list(session.scalars(query))


def narrowed(query: Select[Any], covered: Covered, dialect: str) -> Select[Any]:
    """`query` over `Evaluation` narrowed to the covered people's evaluations: those of the
    units' employees, or of the kept ids (`_among`)."""
    ids = covered.employee_ids
    if ids is None:
        return query.join(Employee, Employee.id == Evaluation.employee_id).where(
            Employee.unit_id.in_(covered.unit_ids)
        )
    return query.where(_among(Evaluation.employee_id, ids, dialect))


def _among(column: Any, ids: list[int], dialect: str) -> ColumnElement[bool]:
    """`column` is one of `ids`, bound as ONE value: an integer array on PostgreSQL, a JSON
    array read by `json_each` on SQLite. As an IN list of 3,000 bound values it cost each
    count ten times its CPU (every value compiled and adapted), and would need chunks under
    the databases' limits on bound values."""
    if dialect == "postgresql":
        return column == any_(bindparam("employee_ids", ids, type_=ARRAY(Integer)))
    listed = func.json_each(bindparam("employee_ids", json.dumps(ids))).table_valued("value")
    return column.in_(select(listed.c.value))


def predikat_counts(session: Session, covered: Covered, period: str) -> dict[Predikat, int]:
    """Count the predikat of the covered people's evaluations of one period."""
    query = select(Evaluation.predikat, func.count()).where(Evaluation.period == period)
    dialect = session.connection().dialect.name
    query = narrowed(query.group_by(Evaluation.predikat), covered, dialect)
    return {Predikat(predikat): int(count) for predikat, count in session.execute(query)}
