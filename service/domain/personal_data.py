"""A person's copy of everything the service holds about them (UU 27/2022 on personal data
protection: the rights of access, copy and portability, exercised by a recorded request,
domain.md 7).

The person asks for it themselves, or an admin exports it on their recorded request; either
way the export leaves one audit row under the person. What is left out, and why, is said in
`repositories.personal_data`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from service.auth import policy
from service.db.repositories.personal_data import personal_rows
from service.domain.audit import Actor
from service.domain.audit import AuditAction
from service.domain.audit import record
from service.domain.moments import as_utc

RESOURCE = "personal_data"


@dataclass(frozen=True)
class PersonalData:
    """The export: the person, when it was made, and each table's rows about them."""

    employee_id: int
    generated_at: datetime
    sections: dict[str, list[dict[str, Any]]]


def export_personal_data(session: Session, actor: Actor, employee_id: int) -> PersonalData:
    """Every record about the employee, for the employee or an admin, audited as an export."""
    employee = policy.data_subject(session, actor, employee_id)
    sections = {
        name: [{key: _stored(value) for key, value in row.items()} for row in rows]
        for name, rows in personal_rows(session, employee.id).items()
    }
    record(session, actor, AuditAction.EXPORT, RESOURCE, employee_id=employee.id)
    return PersonalData(employee.id, datetime.now(UTC), sections)


def _stored(value: Any) -> Any:
    return as_utc(value) if isinstance(value, datetime) else value
