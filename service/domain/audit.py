"""Who touched whose personal data: the caller of a use case, and the audit entries it leaves.

Every write to a person's data and every read of another person's evaluation data adds one
`audit_log` row (who, action, resource, employee, when, request id; never the content). The row
of a write is inserted in the use case's transaction, so it commits or rolls back with the
write it records. The row of a read is queued on the session (`insert_on_commit`) and inserted
as the request commits, after the data was read and before it is answered: a read that fails
leaves no row, an answered read always has one, and a read-only request holds SQLite's write
lock for that one INSERT only. A read-only use case whose answer is complete may instead
commit its row at once on its own (`record_read_now`, the API's risk read): no session
transaction is opened for it. The database refuses to change or delete audit rows (0002).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC
from datetime import datetime
from enum import StrEnum

from sqlalchemy.orm import Session

from service.db import insert_on_commit
from service.db.models import AuditEntry
from service.db.repositories.access import insert_audit
from service.db.repositories.access import insert_audit_at
from service.db.repositories.access import insert_audit_now
from service.domain.entities import Role

_TABLE = AuditEntry.__table__
_INSERT = _TABLE.insert()


class AuditAction(StrEnum):
    READ = "read"
    CREATE = "create"
    UPDATE = "update"
    IMPORT = "import"
    EXPORT = "export"
    DELETE = "delete"


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

    A plain INSERT in the session's transaction (no ORM unit of work: it runs on reads too),
    compiled once (`insert_audit`). Pending ORM changes are flushed first, as the session's
    own execution of the INSERT did (autoflush): the row may name an employee just added.
    """
    row = _row(actor, action, resource, employee_id, resource_id)
    if session.new or session.dirty or session.deleted:
        session.execute(_INSERT, row)
        return
    insert_audit(session.connection(), row)


def entry(
    actor: Actor, action: AuditAction, resource: str, *, resource_id: object = None
) -> dict[str, object]:
    """The stored values of one audit row as `record` inserts it, its `employee_id` None:
    for a bulk writer that adds one such row per employee (the evaluation import)."""
    return _row(actor, action, resource, None, resource_id)


def _row(
    actor: Actor, action: AuditAction, resource: str, employee_id: int | None, resource_id: object
) -> dict[str, object]:
    return {
        "at": datetime.now(UTC),
        "actor_user_id": actor.user_id,
        "actor_username": actor.username,
        "action": action.value,
        "resource": resource,
        "resource_id": None if resource_id is None else str(resource_id)[:60],
        "employee_id": employee_id,
        "request_id": actor.request_id,
    }


def record_read(session: Session, actor: Actor, resource: str, employee_id: int) -> None:
    """Audit a read of another person's data when the session commits; one's own leaves none."""
    if not actor.is_self(employee_id):
        row = _row(actor, AuditAction.READ, resource, employee_id, None)
        insert_on_commit(session, _TABLE, [row])


def record_read_now(session: Session, actor: Actor, resource: str, employee_id: int) -> None:
    """Audit a read of another person's data now, committed before this returns.

    For a read-only use case whose answer is complete (the risk read): the row is written
    in a transaction of its own, without opening the session's, so it is durable before
    the answer leaves as with `record_read`; a failure after it (serializing the answer)
    would leave a row for a read that was made but not sent. One's own read leaves none.
    """
    if not actor.is_self(employee_id):
        row = _row(actor, AuditAction.READ, resource, employee_id, None)
        insert_audit_now(session.get_bind(), row)


def record_read_at(
    session: Session, actor: Actor, resource: str, employee_id: int, generation: int
) -> bool:
    """`record_read_now` for someone else's data, written only while the change counter
    still reads `generation`; whether it was (nothing is written when it moved).

    For a read decided on what a worker kept at `generation` (the risk read's fast path):
    the row is then also the proof that those decisions still stand when it is written.
    """
    row = _row(actor, AuditAction.READ, resource, employee_id, None)
    return insert_audit_at(session.get_bind(), row, generation)


def record_reads(
    session: Session, actor: Actor, resource: str, employee_ids: Iterable[int]
) -> None:
    """Audit reads of several people's data in one multi-row INSERT (a team page, a list).

    One row per person, as `record_read` writes; reading one's own data leaves no row.
    """
    rows = [
        _row(actor, AuditAction.READ, resource, employee_id, None)
        for employee_id in employee_ids
        if not actor.is_self(employee_id)
    ]
    insert_on_commit(session, _TABLE, rows)
