"""Units, positions and employees, and the two trees access rules walk.

Trees are walked with recursive CTEs using UNION (not UNION ALL), so a cycle in bad data ends
the walk instead of looping (the walk up, which counts its levels, stops at `MAX_UNIT_DEPTH`).
A single check walks UP from the target (a chain is a handful of rows, by primary key); a
list walks DOWN from the caller's root (indexed parent columns).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import CTE
from sqlalchemy import ColumnElement
from sqlalchemy import Row
from sqlalchemy import Select
from sqlalchemy import bindparam
from sqlalchemy import delete
from sqlalchemy import exists
from sqlalchemy import false
from sqlalchemy import insert
from sqlalchemy import literal
from sqlalchemy import or_
from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm import aliased

from service.db.models import CompetencyStandard
from service.db.models import Employee
from service.db.models import Position
from service.db.models import Skp
from service.db.models import Unit
from service.db.repositories import Page
from service.db.repositories import paginate
from service.db.thread_connections import LoneSelect
from service.domain.entities import SkpStatus


@dataclass(frozen=True)
class EmployeeScope:
    """Which employees a caller may see: everyone, or the union of the parts that are set."""

    everyone: bool = False
    self_id: int | None = None
    supervisor_id: int | None = None  # direct and indirect subordinates of this employee
    unit_root: int | None = None  # employees of this unit and the units below it
    rater_id: int | None = None  # employees whose SKP names this employee as rater


def unit_subtree_ids(root_id: int) -> Select[Any]:
    """Select the ids of `root_id` and every unit below it."""
    tree = select(Unit.id).where(Unit.id == root_id).cte("unit_tree", recursive=True)
    child = aliased(Unit)
    tree = tree.union(select(child.id).join(tree, child.parent_id == tree.c.id))
    return select(tree.c.id)


def subordinate_ids(supervisor_id: int) -> Select[Any]:
    """Select the ids of the direct and indirect subordinates of `supervisor_id`."""
    tree = (
        select(Employee.id)
        .where(Employee.supervisor_id == supervisor_id)
        .cte("subs", recursive=True)
    )
    child = aliased(Employee)
    tree = tree.union(select(child.id).join(tree, child.supervisor_id == tree.c.id))
    return select(tree.c.id)


#: Deeper than any organisation chart: the walk up stops there, so a cycle in bad data ends
#: it (each level's `depth` differs, so UNION alone would not).
MAX_UNIT_DEPTH = 64


def unit_chain(unit_id: int) -> CTE:
    """The units from `unit_id` up to the top: `id` and `depth` (0 for `unit_id`, 1 for its
    parent, ...), walked up by primary key (a handful of rows). Order by `depth` for the
    nearest first."""
    first = select(Unit.id, Unit.parent_id, literal(0).label("depth"))
    chain = first.where(Unit.id == unit_id).cte("up", recursive=True)
    parent = aliased(Unit)
    return chain.union(
        select(parent.id, parent.parent_id, chain.c.depth + 1)
        .join(chain, parent.id == chain.c.parent_id)
        .where(chain.c.depth < MAX_UNIT_DEPTH)
    )


def unit_chain_ids(unit_id: int) -> Select[Any]:
    """Select the ids of `unit_id` and every unit above it, nearest first (`unit_chain`)."""
    chain = unit_chain(unit_id)
    return select(chain.c.id).order_by(chain.c.depth)


def is_unit_within(session: Session, unit_id: int, root_id: int) -> bool:
    """Whether `unit_id` is `root_id` or below it (walks up from `unit_id`)."""
    chain = unit_chain_ids(unit_id).subquery()
    return bool(session.scalar(select(exists().where(chain.c.id == root_id))))


def is_subordinate(session: Session, employee_id: int, supervisor_id: int) -> bool:
    """Whether `supervisor_id` is above `employee_id` in the supervisor chain."""
    chain = (
        select(Employee.id, Employee.supervisor_id)
        .where(Employee.id == employee_id)
        .cte("chain", recursive=True)
    )
    boss = aliased(Employee)
    chain = chain.union(
        select(boss.id, boss.supervisor_id).join(chain, boss.id == chain.c.supervisor_id)
    )
    return bool(session.scalar(select(exists().where(chain.c.supervisor_id == supervisor_id))))


#: An SKP whose named rater may see and rate its employee: any but a cancelled one (a
#: cancelled plan is kept as a record, and its rater may have been chosen in error).
_LIVE_PLAN = Skp.status != SkpStatus.DIBATALKAN


def rates_employee(session: Session, rater_id: int, employee_id: int, year: int | None) -> bool:
    """Whether a live SKP of `employee_id` (of `year`, when given) names `rater_id` as rater.

    A cancelled plan gives its named rater nothing (`_LIVE_PLAN`)."""
    query = select(Skp.id).where(
        Skp.employee_id == employee_id, Skp.rater_id == rater_id, _LIVE_PLAN
    )
    if year is not None:
        query = query.where(Skp.year == year)
    return session.scalar(select(exists(query))) or False


def employee_condition(scope: EmployeeScope) -> ColumnElement[bool]:
    """Build the WHERE condition selecting the employees of `scope`."""
    parts: list[ColumnElement[bool]] = []
    if scope.self_id is not None:
        parts.append(Employee.id == scope.self_id)
    if scope.supervisor_id is not None:
        parts.append(Employee.id.in_(subordinate_ids(scope.supervisor_id)))
    if scope.unit_root is not None:
        parts.append(Employee.unit_id.in_(unit_subtree_ids(scope.unit_root)))
    if scope.rater_id is not None:
        rated = select(Skp.employee_id).where(Skp.rater_id == scope.rater_id, _LIVE_PLAN)
        parts.append(Employee.id.in_(rated))
    return or_(*parts) if parts else false()


def get_unit(session: Session, unit_id: int) -> Unit | None:
    return session.get(Unit, unit_id)


def list_units(session: Session, root_id: int | None, limit: int, offset: int) -> Page[Unit]:
    """List all units, or only the subtree of `root_id`, by id."""
    query = select(Unit).order_by(Unit.id)
    if root_id is not None:
        query = query.where(Unit.id.in_(unit_subtree_ids(root_id)))
    return paginate(session, query, limit, offset)


def top_units(session: Session) -> list[Unit]:
    """The units above all others (each agency's root), by name."""
    return list(session.scalars(select(Unit).where(Unit.parent_id.is_(None)).order_by(Unit.name)))


def unit_code_taken(session: Session, code: str) -> bool:
    return session.scalar(select(exists().where(Unit.code == code))) or False


def get_position(session: Session, position_id: int) -> Position | None:
    return session.get(Position, position_id)


def list_positions(session: Session, limit: int, offset: int) -> Page[Position]:
    return paginate(session, select(Position).order_by(Position.id), limit, offset)


def competency_standards(session: Session, position_ids: list[int]) -> list[CompetencyStandard]:
    """Return the standards of the given positions, by position then competency code."""
    query = (
        select(CompetencyStandard)
        .where(CompetencyStandard.position_id.in_(position_ids))
        .order_by(CompetencyStandard.position_id, CompetencyStandard.competency_code)
    )
    return list(session.scalars(query))


def replace_competency_standards(
    session: Session, position_id: int, standards: list[tuple[str, int]]
) -> None:
    """Make `standards` (code, required level) the whole standard of a position."""
    session.execute(
        delete(CompetencyStandard).where(CompetencyStandard.position_id == position_id)
    )
    rows = [
        {"position_id": position_id, "competency_code": code, "required_level": level}
        for code, level in standards
    ]
    if rows:
        session.execute(insert(CompetencyStandard), rows)


def get_employee(session: Session, employee_id: int) -> Employee | None:
    return session.get(Employee, employee_id)


_EMPLOYEES = Employee.__table__
#: The columns access checks read (and the person-level features of a live risk answer).
_CARD = LoneSelect(
    select(
        _EMPLOYEES.c.id,
        _EMPLOYEES.c.unit_id,
        _EMPLOYEES.c.supervisor_id,
        _EMPLOYEES.c.hire_date,
        _EMPLOYEES.c.grade,
    ).where(_EMPLOYEES.c.id == bindparam("employee_id"))
)


def employee_card(session: Session, employee_id: int) -> Row[Any] | None:
    """One employee's `id`, `unit_id`, `supervisor_id`, `hire_date` and `grade`, or None.

    Plain table columns and a statement built once: a third of the CPU of `get_employee`,
    for the hot reads that only check access (no ORM object, nothing to change). Before a
    session's first statement (an evaluation POST's access check) it runs alone on this
    thread's own connection (`LoneSelect`), skipping SQLAlchemy's per-execution work and the
    session's start; on SQLite that read was outside any transaction already (the driver
    begins one at the first write), so it sees what it saw. Pending ORM changes are flushed
    first, as `session.execute`'s autoflush did (the card of an employee just added).
    """
    if session.autoflush and (session.new or session.dirty or session.deleted):
        session.flush()
    return _CARD.first(session, {"employee_id": employee_id})


def nip_taken(session: Session, nip: str) -> bool:
    return session.scalar(select(exists().where(Employee.nip == nip))) or False


def list_employees(
    session: Session,
    scope: EmployeeScope,
    limit: int,
    offset: int,
    *,
    unit_id: int | None = None,
    supervisor_id: int | None = None,
) -> Page[Employee]:
    """List the employees of `scope`, optionally of one unit or one direct supervisor."""
    query = select(Employee).order_by(Employee.id)
    if not scope.everyone:
        query = query.where(employee_condition(scope))
    if unit_id is not None:
        query = query.where(Employee.unit_id == unit_id)
    if supervisor_id is not None:
        query = query.where(Employee.supervisor_id == supervisor_id)
    return paginate(session, query, limit, offset)


def employees_of_unit(session: Session, unit_id: int) -> list[Employee]:
    """Return the active employees placed directly in `unit_id`."""
    query = select(Employee).where(Employee.unit_id == unit_id, Employee.is_active.is_(True))
    return list(session.scalars(query.order_by(Employee.id)))


def employee_by_nip(session: Session, nip: str) -> Employee | None:
    return session.scalar(select(Employee).where(Employee.nip == nip))
