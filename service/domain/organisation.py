"""Use cases for the organisation: units, positions with their standard, employees.

Use cases check access through `service.auth.policy`, validate references, add rows and one
audit entry, and flush; the caller commits once (the API commits together with the
idempotency record, so a retried create finds either everything or nothing).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import flag_modified

from service.auth import policy
from service.db.models import CompetencyStandard
from service.db.models import Employee
from service.db.models import Position
from service.db.models import Unit
from service.db.repositories import Page
from service.db.repositories import development as dev_repo
from service.db.repositories import organisation as repo
from service.domain.audit import Actor
from service.domain.audit import AuditAction
from service.domain.audit import record
from service.domain.audit import record_read
from service.domain.entities import PPPK_STATUSES
from service.domain.entities import EmploymentStatus
from service.domain.entities import PositionKind
from service.domain.entities import PositionLevel
from service.domain.entities import Role
from service.domain.errors import Conflict
from service.domain.errors import Forbidden
from service.domain.errors import Invalid
from service.domain.errors import NotFound
from service.domain.errors import PreconditionFailed
from service.domain.errors import PreconditionRequired
from service.domain.nip import MINIMUM_AGE
from service.domain.nip import NipParts
from service.domain.nip import check_nip

#: If-Match `*`: any stored version (versions start at 1).
ANY_VERSION = 0
#: Golongan of a PNS or CPNS (I/a to IV/e) and of a PPPK (I to XVII, Perpres 98/2020).
PNS_GRADE = r"(?:I|II|III)/[a-d]|IV/[a-e]"
PPPK_GRADE = "|".join("I II III IV V VI VII VIII IX X XI XII XIII XIV XV XVI XVII".split())
_GRADES = {False: re.compile(PNS_GRADE), True: re.compile(PPPK_GRADE)}
_LEVELS = [level.value for level in PositionLevel]


@dataclass(frozen=True)
class PositionDetail:
    """A position and its competency standard as (code, required level) pairs."""

    position: Position
    standards: list[tuple[str, int]]


def check_version(current: int, expected: int | None) -> None:
    """Refuse an edit without a version (428) or based on another version than stored (412).

    `expected` is the version of the caller's If-Match, ANY_VERSION for `*`, None when absent.
    """
    if expected is None:
        raise PreconditionRequired("send If-Match with the ETag of your last GET")
    if expected != ANY_VERSION and expected != current:
        raise PreconditionFailed(
            f"the object is at version {current}, not {expected}; GET it again and retry"
        )


def create_unit(
    session: Session,
    actor: Actor,
    name: str,
    parent_id: int | None = None,
    code: str | None = None,
    region: str | None = None,
) -> Unit:
    """Add a unit; hr may only add units below a unit of its own."""
    if parent_id is not None and (
        repo.get_unit(session, parent_id) is None
        or not policy.unit_in_scope(session, actor, parent_id)
    ):
        raise Invalid.field("parent_id", f"no unit {parent_id} visible to you")
    if parent_id is None and actor.role is not Role.ADMIN:
        raise Forbidden("only admin may add a top-level unit; give a parent_id")
    if code is not None and repo.unit_code_taken(session, code):
        raise Conflict(f"unit code {code!r} is already used")
    unit = Unit(name=name, parent_id=parent_id, code=code, region=region)
    session.add(unit)
    session.flush()
    record(session, actor, AuditAction.CREATE, "unit", resource_id=unit.id)
    return unit


def update_unit(
    session: Session,
    actor: Actor,
    unit_id: int,
    expected_version: int | None,
    changes: Mapping[str, Any],
) -> Unit:
    """Rename, recode or move a unit (hr: within its units) at `expected_version`."""
    unit = policy.managed_unit(session, actor, unit_id)
    check_version(unit.version, expected_version)
    if "parent_id" in changes and changes["parent_id"] != unit.parent_id:
        _check_new_parent(session, actor, unit, changes["parent_id"])
    code = changes.get("code")
    if code is not None and code != unit.code and repo.unit_code_taken(session, code):
        raise Conflict(f"unit code {code!r} is already used")
    for name, value in changes.items():
        setattr(unit, name, value)
    session.flush()
    record(session, actor, AuditAction.UPDATE, "unit", resource_id=unit.id)
    return unit


def _check_new_parent(session: Session, actor: Actor, unit: Unit, parent_id: int | None) -> None:
    """A unit moves only under a unit the caller sees, never below itself (no cycles)."""
    if parent_id is None:
        if actor.role is not Role.ADMIN:
            raise Forbidden("only admin may make a unit top-level")
        return
    if not _unit_visible(session, actor, parent_id):
        raise Invalid.field("parent_id", f"no unit {parent_id} visible to you")
    if repo.is_unit_within(session, parent_id, unit.id):
        raise Invalid.field("parent_id", f"unit {parent_id} is unit {unit.id} or below it")


def list_units(session: Session, actor: Actor, limit: int, offset: int) -> Page[Unit]:
    """List the units the caller sees (hr: its subtree)."""
    root = actor.unit_id if actor.role is Role.HR else None
    if actor.role is Role.HR and root is None:
        return Page([], 0)
    return repo.list_units(session, root, limit, offset)


def create_position(
    session: Session,
    actor: Actor,
    title: str,
    kind: PositionKind,
    level: str | None = None,
    unit_id: int | None = None,
    competency_standards: list[Mapping[str, Any]] | None = None,
) -> PositionDetail:
    """Add a position with its competency standard (known codes, each once)."""
    standards = [(s["competency"], s["required_level"]) for s in competency_standards or []]
    check_competency_codes(session, [code for code, _ in standards], "competency_standards")
    if unit_id is not None and not _unit_visible(session, actor, unit_id):
        raise Invalid.field("unit_id", f"no unit {unit_id} visible to you")
    level = position_level(level)
    position = Position(title=title, kind=kind, level=level, unit_id=unit_id)
    session.add(position)
    session.flush()
    for code, required in standards:
        session.add(
            CompetencyStandard(
                position_id=position.id, competency_code=code, required_level=required
            )
        )
    session.flush()
    record(session, actor, AuditAction.CREATE, "position", resource_id=position.id)
    return PositionDetail(position, standards)


def update_position(
    session: Session,
    actor: Actor,
    position_id: int,
    expected_version: int | None,
    changes: Mapping[str, Any],
) -> PositionDetail:
    """Change a position at `expected_version`; a new standard replaces the old one.

    hr changes positions that belong to no unit or to one of its units (403 otherwise).
    """
    position = managed_position(session, actor, position_id)
    check_version(position.version, expected_version)
    if changes.get("unit_id") is not None and not _unit_visible(
        session, actor, changes["unit_id"]
    ):
        raise Invalid.field("unit_id", f"no unit {changes['unit_id']} visible to you")
    fields = {name: value for name, value in changes.items() if name != "competency_standards"}
    if "level" in fields:
        fields["level"] = position_level(fields["level"])
    for name, value in fields.items():
        setattr(position, name, value)
    flag_modified(position, "title")  # one new version (ETag), also for a new standard alone
    session.flush()
    if "competency_standards" in changes:
        standards = [
            (s["competency"], s["required_level"]) for s in changes["competency_standards"]
        ]
        check_competency_codes(session, [code for code, _ in standards], "competency_standards")
        repo.replace_competency_standards(session, position.id, standards)
    record(session, actor, AuditAction.UPDATE, "position", resource_id=position.id)
    return position_details(session, [position])[0]


def position_level(level: str | None) -> str | None:
    """The jenjang a level names ('Ahli Pertama', 'jpt-pratama': case, spaces and hyphens
    aside), as stored; Invalid when it names none (the recommender matches the stored value
    against the leadership tiers, so an unknown spelling would silently change its advice)."""
    if level is None:
        return None
    key = "_".join(level.strip().lower().replace("-", " ").split())
    if key not in _LEVELS:
        raise Invalid.field("level", f"must be a jenjang: {', '.join(_LEVELS)}; got {level!r}")
    return key


def managed_position(session: Session, actor: Actor, position_id: int) -> Position:
    """Return a position `actor` may change: admin any, hr one that belongs to no unit or to
    one of its units (404 unknown, 403 outside)."""
    position = repo.get_position(session, position_id)
    if position is None:
        raise NotFound(f"no position {position_id}")
    if position.unit_id is not None and not policy.unit_in_scope(session, actor, position.unit_id):
        raise Forbidden(f"position {position_id} belongs to a unit outside your units")
    return position


def position_detail(session: Session, position_id: int) -> PositionDetail | None:
    """Return a position with its standard, or None."""
    position = repo.get_position(session, position_id)
    if position is None:
        return None
    return position_details(session, [position])[0]


def position_details(session: Session, positions: list[Position]) -> list[PositionDetail]:
    """Attach the standards to each position (one query for the page)."""
    by_position: dict[int, list[tuple[str, int]]] = {p.id: [] for p in positions}
    for row in repo.competency_standards(session, list(by_position)):
        by_position[row.position_id].append((row.competency_code, row.required_level))
    return [PositionDetail(p, by_position[p.id]) for p in positions]


def create_employee(session: Session, actor: Actor, **fields: Any) -> Employee:
    """Add an employee after checking the NIP and that every referenced row is visible."""
    parts = check_nip(
        fields["nip"], fields.get("birth_date"), fields.get("gender"), _status(fields)
    )
    _check_hire_date(fields.get("hire_date"), parts)
    check_grade(fields.get("grade"), _status(fields))
    _check_references(session, actor, fields)
    if repo.nip_taken(session, fields["nip"]):
        raise Conflict(f"an employee with NIP {fields['nip']} already exists")
    employee = Employee(**fields)
    session.add(employee)
    session.flush()
    record(session, actor, AuditAction.CREATE, "employee", employee_id=employee.id)
    return employee


def update_employee(
    session: Session,
    actor: Actor,
    employee_id: int,
    expected_version: int | None,
    changes: Mapping[str, Any],
) -> Employee:
    """Apply `changes` to an employee at `expected_version` (412 when it moved on)."""
    employee = policy.managed_employee(session, actor, employee_id)
    check_version(employee.version, expected_version)
    merged = {name: getattr(employee, name) for name in _EMPLOYEE_FIELDS} | dict(changes)
    if {"nip", "birth_date", "gender", "employment_status", "hire_date"} & set(changes):
        parts = check_nip(merged["nip"], merged["birth_date"], merged["gender"], _status(merged))
        _check_hire_date(merged["hire_date"], parts)
    if {"grade", "employment_status"} & set(changes):
        check_grade(merged["grade"], _status(merged))
    _check_references(session, actor, dict(changes))
    supervisor_id = changes.get("supervisor_id")
    if supervisor_id is not None and (
        supervisor_id == employee.id or repo.is_subordinate(session, supervisor_id, employee.id)
    ):
        raise Invalid.field("supervisor_id", f"employee {supervisor_id} reports to this employee")
    if (
        "nip" in changes
        and changes["nip"] != employee.nip
        and repo.nip_taken(session, merged["nip"])
    ):
        raise Conflict(f"an employee with NIP {merged['nip']} already exists")
    for name, value in changes.items():
        setattr(employee, name, value)
    session.flush()
    record(session, actor, AuditAction.UPDATE, "employee", employee_id=employee.id)
    return employee


def read_employee(session: Session, actor: Actor, employee_id: int) -> Employee:
    """Return a visible employee and audit the read when it is someone else."""
    employee = policy.visible_employee(session, actor, employee_id)
    record_read(session, actor, "employee", employee.id)
    return employee


_EMPLOYEE_FIELDS = (
    "nip",
    "name",
    "unit_id",
    "position_id",
    "supervisor_id",
    "gender",
    "birth_date",
    "hire_date",
    "grade",
    "employment_status",
    "is_active",
)


def _check_hire_date(hire_date: date | None, nip: NipParts) -> None:
    """Refuse a hire date before the 18th birthday of the birth date the NIP encodes."""
    born = nip.birth_date
    if hire_date is not None and hire_date < _birthday(born, born.year + MINIMUM_AGE):
        raise Invalid.field(
            "hire_date", f"{hire_date} is before the {MINIMUM_AGE}th birthday (born {born})"
        )


def _birthday(born: date, year: int) -> date:
    """The birthday in `year` (28 February for someone born on 29 February)."""
    if (born.month, born.day) == (2, 29):
        return date(year, 2, 28)
    return born.replace(year=year)


def check_grade(grade: str | None, status: EmploymentStatus) -> None:
    """Refuse a golongan of the other kind: III/c is a PNS/CPNS one, IX a PPPK one."""
    pppk = status in PPPK_STATUSES
    if grade is not None and not _GRADES[pppk].fullmatch(grade):
        expected = "I to XVII" if pppk else "I/a to IV/e, such as III/c"
        raise Invalid.field("grade", f"a {status.value} has a golongan {expected}; got {grade!r}")


def _status(fields: Mapping[str, Any]) -> EmploymentStatus:
    """The employment status the NIP must fit (the column's default, PNS, when absent)."""
    return EmploymentStatus(fields.get("employment_status") or EmploymentStatus.PNS)


def _check_references(session: Session, actor: Actor, fields: Mapping[str, Any]) -> None:
    if "unit_id" in fields and not _unit_visible(session, actor, fields["unit_id"]):
        raise Invalid.field("unit_id", f"no unit {fields['unit_id']} within your units")
    position_id = fields.get("position_id")
    if position_id is not None and repo.get_position(session, position_id) is None:
        raise Invalid.field("position_id", f"no position {position_id}")
    supervisor_id = fields.get("supervisor_id")
    if supervisor_id is not None:
        supervisor = repo.get_employee(session, supervisor_id)
        if supervisor is None or not policy.can_see(session, actor, supervisor):
            raise Invalid.field("supervisor_id", f"no employee {supervisor_id} visible to you")


def _unit_visible(session: Session, actor: Actor, unit_id: int) -> bool:
    unit = repo.get_unit(session, unit_id)
    return unit is not None and policy.unit_in_scope(session, actor, unit_id)


def check_competency_codes(session: Session, codes: list[str], field: str) -> None:
    """Refuse (422) unknown competency codes and codes given twice."""
    if len(set(codes)) != len(codes):
        raise Invalid.field(field, "names a competency more than once")
    unknown = sorted(set(codes) - dev_repo.known_competency_codes(session, codes))
    if unknown:
        raise Invalid.field(field, f"unknown competency codes {', '.join(unknown)}")
