"""Use cases for the organisation grade of a unit and period (SE 3/2023 stage 1) and the
distribution check of its employees' predikat against it (a warning list, never a change;
a standing calibration closing of the period at or above the unit locks the grade,
`calibration_lock`);
periodic grades are checked unless `settings.distribution_periodic` is off. A grade covers
the employees of the unit and of the units below it that have no grade of their own for the
period (`graded_population`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import flag_modified

from service.auth import policy
from service.db.models import Employee
from service.db.models import Unit
from service.db.models import UnitGrade
from service.db.repositories import performance as repo
from service.db.repositories.organisation import unit_subtree_ids
from service.domain.audit import Actor
from service.domain.audit import AuditAction
from service.domain.audit import record
from service.domain.calibration_lock import check_grade_open
from service.domain.distribution import DistributionWarning
from service.domain.distribution import check_distribution
from service.domain.entities import OrganisationGrade
from service.domain.entities import PeriodKind
from service.domain.entities import Predikat
from service.domain.errors import Conflict
from service.domain.errors import NotFound
from service.domain.evaluation_input import ensure_period
from service.domain.organisation import check_version
from service.domain.periods import ensure_started
from service.domain.periods import parse_period
from service.domain.settings import RuleSettings


@dataclass(frozen=True)
class GradeReport:
    """A unit's grade, the predikat counts of its employees and the broken clauses.

    `withheld`: the counts and warnings are left out because the caller sees aggregates of
    larger groups only (`policy.shows_group`); `size` is still the number evaluated.
    """

    grade: UnitGrade
    counts: dict[Predikat, int]
    warnings: list[DistributionWarning]
    size: int
    withheld: bool = False


def set_unit_grade(
    session: Session,
    actor: Actor,
    unit_id: int,
    period: str,
    grade: OrganisationGrade,
    settings: RuleSettings,
    basis: str | None = None,
) -> GradeReport:
    """Set the organisation grade of a unit for a period that has started (once) and check
    the distribution."""
    parsed = parse_period(period)
    policy.managed_unit(session, actor, unit_id)
    ensure_started(parsed)
    check_grade_open(session, unit_id, parsed.code)
    if repo.get_unit_grade(session, unit_id, parsed.code) is not None:
        raise Conflict(f"unit {unit_id} already has a grade for {parsed.code}")
    ensure_period(session, parsed)
    row = UnitGrade(
        unit_id=unit_id, period=parsed.code, grade=grade, basis=basis, set_by_id=actor.employee_id
    )
    session.add(row)
    session.flush()
    record(session, actor, AuditAction.CREATE, "unit_grade", resource_id=row.id)
    return _report(session, row, settings)


def update_unit_grade(
    session: Session,
    actor: Actor,
    unit_id: int,
    period: str,
    expected_version: int | None,
    changes: Mapping[str, Any],
    settings: RuleSettings,
) -> GradeReport:
    """Correct the grade or its basis of a unit and period at `expected_version` (a grade
    set in error could not be set again) and check the distribution against it."""
    parsed = parse_period(period)
    policy.managed_unit(session, actor, unit_id)
    row = repo.get_unit_grade(session, unit_id, parsed.code)
    if row is None:
        raise NotFound(f"unit {unit_id} has no grade for {parsed.code}")
    check_version(row.version, expected_version)
    check_grade_open(session, unit_id, parsed.code)
    if "grade" in changes:
        row.grade = OrganisationGrade(changes["grade"])
    if "basis" in changes:
        row.basis = changes["basis"]
    row.set_by_id = actor.employee_id
    flag_modified(row, "grade")  # one new version (ETag), also for the basis alone
    session.flush()
    record(session, actor, AuditAction.UPDATE, "unit_grade", resource_id=row.id)
    return _report(session, row, settings)


def unit_grade_report(
    session: Session, actor: Actor, unit_id: int, period: str, settings: RuleSettings
) -> GradeReport:
    """Return the unit's grade with the predikat counts (aggregated: no names)."""
    parsed = parse_period(period)
    policy.visible_unit(session, actor, unit_id)
    row = repo.get_unit_grade(session, unit_id, parsed.code)
    if row is None:
        raise NotFound(f"unit {unit_id} has no grade for {parsed.code}")
    report = _report(session, row, settings)
    if not policy.shows_group(actor, report.size):
        return GradeReport(row, {}, [], report.size, withheld=True)
    return report


def covering_grade_report(
    session: Session, employee_id: int, period: str, settings: RuleSettings
) -> tuple[GradeReport, str] | None:
    """The report of the grade that covers the employee's unit in `period` (the nearest
    graded unit at or above it, as `graded_population` assigns employees), with that unit's
    name; None when no unit above is graded. No access rule: the caller decides what of
    it to show."""
    employee = session.get(Employee, employee_id)
    found = repo.nearest_unit_grade(session, employee.unit_id, period) if employee else None
    if found is None:
        return None
    row, name = found
    return _report(session, row, settings), name


def _report(session: Session, row: UnitGrade, settings: RuleSettings) -> GradeReport:
    units = graded_population(session, row.unit_id, row.period)
    counts = repo.predikat_counts(session, units, row.period)
    checked = settings.distribution_periodic or parse_period(row.period).kind is PeriodKind.YEAR
    warnings = check_distribution(row.grade, counts, settings) if checked else []
    return GradeReport(row, counts, warnings, sum(counts.values()))


def graded_population(session: Session, unit_id: int, period: str) -> list[int]:
    """The units whose employees a grade of `unit_id` for `period` covers: the unit and every
    unit below it, except a unit graded itself for the period and everything below that one
    (its employees follow their own unit's grade)."""
    tree = select(Unit.id, Unit.parent_id).where(Unit.id.in_(unit_subtree_ids(unit_id)))
    children: dict[int, list[int]] = {}
    for child, parent in session.execute(tree):
        if child != unit_id and parent is not None:
            children.setdefault(parent, []).append(child)
    below = [child for kids in children.values() for child in kids]
    graded = set(
        session.scalars(
            select(UnitGrade.unit_id).where(
                UnitGrade.period == period, UnitGrade.unit_id.in_(below)
            )
        )
    )
    covered, waiting = [], [unit_id]
    while waiting:
        unit = waiting.pop()
        covered.append(unit)
        waiting.extend(child for child in children.get(unit, ()) if child not in graded)
    return covered
