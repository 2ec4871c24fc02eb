"""Use cases wrapping the evaluation import and export with access rules and audit.

Imports are for admin and hr; hr only for employees of its own units (each row's `nip` is
checked with the rest of the row, from one lookup of the file's NIPs). The rater of imported
rows without a `rater_nip` is the importing user's employee. Exports are for admin and hr over
a unit they see.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from service.auth import policy
from service.config import MAX_UNPACKED_BYTES
from service.domain.audit import Actor
from service.domain.audit import AuditAction
from service.domain.audit import record
from service.domain.entities import Role
from service.domain.exports import ExportFormat
from service.domain.exports import export_evaluations
from service.domain.import_lookup import units_below
from service.domain.imports import ImportResult
from service.domain.imports import import_evaluations


def import_file(
    session: Session,
    actor: Actor,
    content: bytes,
    filename: str,
    max_unpacked: int = MAX_UNPACKED_BYTES,
) -> ImportResult:
    """Import a CSV/XLSX file of evaluations, all rows or none, audited per employee written
    (an XLSX file unpacking to over `max_unpacked` bytes is refused); the caller commits."""
    units = units_below(session, actor.unit_id) if actor.role is Role.HR else None
    return import_evaluations(
        session,
        content,
        filename,
        rater_id=actor.employee_id,
        units=units,
        actor=actor,
        max_unpacked=max_unpacked,
    )


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
