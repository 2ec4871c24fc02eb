"""Position SKP templates, what bulk drafting reads about a unit's employees, and the runs
it keeps (whom each left without a draft)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Row
from sqlalchemy import exists
from sqlalchemy import insert
from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm import aliased

from service.db.models import Employee
from service.db.models import Rhk
from service.db.models import Skp
from service.db.models import SkpDraftingRun
from service.db.models import SkpDraftingSkip
from service.db.models import SkpTemplate
from service.db.repositories.organisation import unit_subtree_ids
from service.domain.entities import SkpStatus


def get_template(session: Session, position_id: int) -> SkpTemplate | None:
    return session.scalar(select(SkpTemplate).where(SkpTemplate.position_id == position_id))


def templates_of(session: Session, position_ids: set[int]) -> dict[int, SkpTemplate]:
    """The templates of these positions, by position id (positions without one are absent)."""
    query = select(SkpTemplate).where(SkpTemplate.position_id.in_(position_ids))
    return {template.position_id: template for template in session.scalars(query)}


def drafting_candidates(
    session: Session, unit_id: int, include_subunits: bool, year: int
) -> list[Row[Any]]:
    """The active employees of the unit (and the units below it): `id`, `position_id`,
    `supervisor_id`, `supervisor_active` (None without a supervisor), `has_skp` (any SKP
    of `year`), `hire_date`, and `nip` and `name` (to name whoever gets no draft), in id
    order."""
    boss = aliased(Employee)
    units = unit_subtree_ids(unit_id) if include_subunits else select(unit_id)
    has_skp = exists().where(Skp.employee_id == Employee.id, Skp.year == year)
    query = (
        select(
            Employee.id,
            Employee.position_id,
            Employee.supervisor_id,
            boss.is_active.label("supervisor_active"),
            has_skp.label("has_skp"),
            Employee.hire_date,
            Employee.nip,
            Employee.name,
        )
        .outerjoin(boss, boss.id == Employee.supervisor_id)
        .where(Employee.unit_id.in_(units), Employee.is_active.is_(True))
        .order_by(Employee.id)
    )
    return list(session.execute(query))


def plan_rhks(session: Session, employee_id: int, year: int) -> dict[int, int]:
    """RHK id by place (ordinal) in the employee's newest live SKP of `year` (empty: none)."""
    newest = (
        select(Skp.id)
        .where(Skp.employee_id == employee_id, Skp.year == year)
        .where(Skp.status != SkpStatus.DIBATALKAN)
        .order_by(Skp.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    query = select(Rhk.ordinal, Rhk.id).where(Rhk.skp_id == newest).order_by(Rhk.id.desc())
    return {ordinal: rhk_id for ordinal, rhk_id in session.execute(query)}


def add_run(session: Session, run: SkpDraftingRun, skips: list[tuple[int, str]]) -> None:
    """Store a drafting run and its (employee_id, reason) skips (one multi-row INSERT)."""
    session.add(run)
    session.flush()
    if skips:
        rows = [{"run_id": run.id, "employee_id": e, "reason": r} for e, r in skips]
        session.execute(insert(SkpDraftingSkip), rows)


def get_run(session: Session, run_id: int) -> SkpDraftingRun | None:
    return session.get(SkpDraftingRun, run_id)


def run_skips(session: Session, run_id: int) -> list[Row[Any]]:
    """Whom the run left without a draft: `id`, `nip`, `name` and `reason`, by name and id."""
    query = (
        select(Employee.id, Employee.nip, Employee.name, SkpDraftingSkip.reason)
        .join(SkpDraftingSkip, SkpDraftingSkip.employee_id == Employee.id)
        .where(SkpDraftingSkip.run_id == run_id)
        .order_by(Employee.name, Employee.id)
    )
    return list(session.execute(query))
