"""Who touched whose personal data: the caller of a use case, and the audit entries it leaves.

Every write to a person's data and every read of another person's evaluation data adds one
`audit_log` row (who, action, resource, employee, when, request id; never the content). The row
is added to the use case's session, so it commits or rolls back with the write it records.
The database refuses to change or delete audit rows (migration 0002).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC
from datetime import datetime
from enum import StrEnum

from sqlalchemy.orm import Session

from service.db.models import AuditEntry
from service.domain.entities import Role

_INSERT = AuditEntry.__table__.insert()


class AuditAction(StrEnum):
    READ = "read"
    CREATE = "create"
    UPDATE = "update"
    IMPORT = "import"
    EXPORT = "export"


@dataclass(frozen=True)
class Actor:
    """The authenticated caller: the user, its role, its linked employee and its HR unit."""

    user_id: int | None
    username: str | None
    role: Role
    employee_id: int | None = None
    unit_id: int | None = None
    request_id: str | None = None

    def is_self(self, employee_id: int | None) -> bool:
        """Whether `employee_id` is the caller's own employee record."""
        return employee_id is not None and employee_id == self.employee_id


def record(
    session: Session,
    actor: Actor,
    action: AuditAction,
    resource: str,
    *,
    employee_id: int | None = None,
    resource_id: object = None,
) -> None:
    """Add one audit row for `actor` doing `action` on `resource`; the caller commits.

    A plain INSERT in the session's transaction (no ORM unit of work: it runs on reads too).
    """
    values = {
        "at": datetime.now(UTC),
        "actor_user_id": actor.user_id,
        "actor_username": actor.username,
        "action": action.value,
        "resource": resource,
        "resource_id": None if resource_id is None else str(resource_id)[:60],
        "employee_id": employee_id,
        "request_id": actor.request_id,
    }
    session.execute(_INSERT, values)


def record_read(session: Session, actor: Actor, resource: str, employee_id: int) -> None:
    """Audit a read of another person's data; reading one's own data leaves no row."""
    if not actor.is_self(employee_id):
        record(session, actor, AuditAction.READ, resource, employee_id=employee_id)
