"""Use cases wrapping the evaluation import and export with access rules and audit.

Imports are for admin and hr; hr only for employees of its own units (checked on the file's
`nip` column before anything is written). The rater of imported rows without a `rater_nip`
is the importing user's employee. Exports are for admin and hr over a unit they see.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from service.auth import policy
from service.db.models import Employee
from service.db.repositories import organisation as repo
from service.domain.audit import Actor
from service.domain.audit import AuditAction
from service.domain.audit import record
from service.domain.entities import Role
from service.domain.errors import FieldError
from service.domain.errors import Invalid
from service.domain.exports import ExportFormat
from service.domain.exports import export_evaluations
from service.domain.imports import ImportResult
from service.domain.imports import import_evaluations
from service.domain.imports import read_table

MAX_SCOPE_ERRORS = 100


def import_file(session: Session, actor: Actor, content: bytes, filename: str) -> ImportResult:
    """Import a CSV/XLSX file of evaluations, all rows or none; the caller commits."""
    if actor.role is Role.HR:
        _check_scope(session, actor, content, filename)
    result = import_evaluations(session, content, filename, rater_id=actor.employee_id)
    record(session, actor, AuditAction.IMPORT, "evaluation", resource_id=f"{result.count} rows")
    return result


def export_file(
    session: Session, actor: Actor, unit_id: int, period: str, fmt: ExportFormat
) -> bytes:
    """Export a visible unit's evaluations of a period (with its subunits)."""
    policy.managed_unit(session, actor, unit_id)
    content = export_evaluations(session, unit_id, period, fmt)
    record(
        session, actor, AuditAction.EXPORT, "evaluation", resource_id=f"unit {unit_id} {period}"
    )
    return content


def _check_scope(session: Session, actor: Actor, content: bytes, filename: str) -> None:
    header, rows = read_table(content, filename)
    names = [str(cell).strip().lower() if cell is not None else "" for cell in header]
    if "nip" not in names:
        return  # the import itself reports the missing column
    column = names.index("nip")
    errors = [
        FieldError("nip", "no employee with this NIP in your units", number)
        for number, cells in rows
        if not _in_scope(session, actor, cells[column] if column < len(cells) else None)
    ]
    if errors:
        raise Invalid(errors=errors[:MAX_SCOPE_ERRORS])


def _in_scope(session: Session, actor: Actor, nip: Any) -> bool:
    if not isinstance(nip, str):
        return True  # not a NIP at all: the import names the problem
    employee: Employee | None = repo.employee_by_nip(session, nip)
    return employee is None or policy.may_manage(session, actor, employee)
