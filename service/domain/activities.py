"""Use cases of the activity log (laporan kinerja harian): the employee writes, a supervisor
above acknowledges.

The employee records what they did on a day (or in a week, dated by its first day), linked to
an RHK of their own SKP for that year when it serves one, with an optional evidence link. An
entry can be edited by its author while it is `submitted`; once a supervisor above the
employee acknowledges it (with an optional comment) it is frozen, so what the supervisor saw
is what stays. Readers are those who see the employee (`policy.visible_employee`); reads of
someone else's log are audited.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC
from datetime import date
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from service.auth import policy
from service.db.models import ActivityLog
from service.db.repositories import Page
from service.db.repositories import activities as repo
from service.domain.audit import Actor
from service.domain.audit import AuditAction
from service.domain.audit import record
from service.domain.audit import record_read
from service.domain.entities import ActivityStatus
from service.domain.entities import SkpStatus
from service.domain.errors import Conflict
from service.domain.errors import Forbidden
from service.domain.errors import Invalid
from service.domain.organisation import check_version
from service.domain.periods import YEAR_MIN

RESOURCE = "activity"
EDITABLE = ("activity_date", "description", "rhk_id", "evidence_url")


def record_activity(
    session: Session,
    actor: Actor,
    employee_id: int,
    activity_date: date,
    description: str,
    rhk_id: int | None = None,
    evidence_url: str | None = None,
    *,
    today: date | None = None,
) -> ActivityLog:
    """Add an entry to the caller's own log (dated today or earlier)."""
    policy.own_employee(session, actor, employee_id)
    check_day(activity_date, "activity_date", today)
    check_rhk(session, employee_id, rhk_id, activity_date)
    entry = ActivityLog(
        employee_id=employee_id,
        activity_date=activity_date,
        description=description,
        rhk_id=rhk_id,
        evidence_url=evidence_url,
    )
    session.add(entry)
    return _saved(session, actor, AuditAction.CREATE, entry)


def list_activities(
    session: Session,
    actor: Actor,
    employee_id: int,
    limit: int,
    offset: int,
    status: ActivityStatus | None = None,
    since: date | None = None,
    until: date | None = None,
) -> Page[ActivityLog]:
    """A visible employee's log, most recent day first; reads of others are audited."""
    policy.visible_employee(session, actor, employee_id)
    record_read(session, actor, RESOURCE, employee_id)
    return repo.list_activities(session, employee_id, limit, offset, status, since, until)


def read_activity(session: Session, actor: Actor, activity_id: int) -> ActivityLog:
    """One visible entry; a read of someone else's is audited."""
    entry = _visible(session, actor, activity_id)
    record_read(session, actor, RESOURCE, entry.employee_id)
    return entry


def update_activity(
    session: Session,
    actor: Actor,
    activity_id: int,
    expected_version: int | None,
    changes: Mapping[str, Any],
    *,
    today: date | None = None,
) -> ActivityLog:
    """Correct one's own entry while it is not acknowledged (If-Match required)."""
    entry = _visible(session, actor, activity_id)
    if not actor.is_self(entry.employee_id):
        raise Forbidden(f"only the author may edit activity {activity_id}")
    check_version(entry.version, expected_version)
    if entry.status is ActivityStatus.ACKNOWLEDGED:
        raise Conflict(f"activity {activity_id} was acknowledged and can no longer change")
    merged = {name: getattr(entry, name) for name in EDITABLE} | dict(changes)
    for required in ("activity_date", "description"):
        if merged[required] is None:
            raise Invalid.field(required, "may not be removed")
    check_day(merged["activity_date"], "activity_date", today)
    check_rhk(session, entry.employee_id, merged["rhk_id"], merged["activity_date"])
    for name in EDITABLE:
        setattr(entry, name, merged[name])
    return _saved(session, actor, AuditAction.UPDATE, entry)


def acknowledge_activity(
    session: Session,
    actor: Actor,
    activity_id: int,
    expected_version: int | None,
    comment: str | None = None,
) -> ActivityLog:
    """Acknowledge an entry as a supervisor above its author, with an optional comment."""
    entry = _visible(session, actor, activity_id)
    policy.supervised_employee(session, actor, entry.employee_id)
    check_version(entry.version, expected_version)
    if entry.status is ActivityStatus.ACKNOWLEDGED:
        raise Conflict(f"activity {activity_id} is already acknowledged")
    entry.status = ActivityStatus.ACKNOWLEDGED
    entry.supervisor_comment = comment
    entry.acknowledged_by = actor.user_id
    entry.acknowledged_at = datetime.now(UTC)
    return _saved(session, actor, AuditAction.UPDATE, entry)


def team_activities(
    session: Session,
    actor: Actor,
    status: ActivityStatus | None,
    limit: int,
    offset: int,
) -> Page[ActivityLog]:
    """Entries of everyone below the caller in the chain (each person's read audited)."""
    if actor.employee_id is None:
        raise Forbidden("your login is not linked to an employee, so you have no team")
    page = repo.team_activities(session, actor.employee_id, status, limit, offset)
    for employee_id in sorted({entry.employee_id for entry in page.items}):
        record_read(session, actor, RESOURCE, employee_id)
    return page


def check_day(day: date, field: str, today: date | None = None) -> None:
    """Refuse a day in the future or before the first year the service knows."""
    today = today or date.today()
    if day > today:
        raise Invalid.field(field, f"must be today ({today}) or earlier; got {day}")
    if day.year < YEAR_MIN:
        raise Invalid.field(field, f"must be in {YEAR_MIN} or later; got {day}")


def check_rhk(session: Session, employee_id: int, rhk_id: int | None, day: date) -> None:
    """An entry serves an RHK of the employee's own SKP of that year (not a cancelled one)."""
    if rhk_id is None:
        return
    skp = repo.skp_of_rhk(session, rhk_id)
    if skp is None or skp.employee_id != employee_id or skp.status is SkpStatus.DIBATALKAN:
        raise Invalid.field("rhk_id", f"no RHK {rhk_id} in an SKP of employee {employee_id}")
    if skp.year != day.year:
        raise Invalid.field(
            "rhk_id", f"RHK {rhk_id} belongs to the SKP of {skp.year}, not {day.year}"
        )


def _saved(session: Session, actor: Actor, action: AuditAction, entry: ActivityLog) -> ActivityLog:
    """Flush the entry and audit the write in the same transaction."""
    session.flush()
    record(session, actor, action, RESOURCE, employee_id=entry.employee_id, resource_id=entry.id)
    return entry


def _visible(session: Session, actor: Actor, activity_id: int) -> ActivityLog:
    entry = repo.get_activity(session, activity_id)
    return policy.owned_record(session, actor, entry, f"activity {activity_id}")
