"""GET /audit: the access log, for admins (filter by employee, actor and time)."""

from __future__ import annotations

from typing import Any

from service.api import bp
from service.api.http import listing
from service.api.openapi import responses
from service.api.openapi import spec
from service.api.schemas.access import AuditList
from service.api.schemas.access import AuditOut
from service.api.schemas.access import AuditQuery
from service.auth.decorators import allow
from service.db import get_session
from service.db.repositories import access as repo
from service.domain.entities import Role


@bp.get("/audit")
@allow(Role.ADMIN)
@spec.validate(resp=responses(HTTP_200=AuditList), tags=["audit"])
def get_audit(query: AuditQuery) -> Any:
    """List audit entries, newest first: who did what to whose data, never the content."""
    page = repo.list_audit(
        get_session(),
        query.limit,
        query.offset,
        employee_id=query.employee_id,
        actor_user_id=query.actor_user_id,
        since=query.since,
        until=query.until,
    )
    return listing(AuditList, page, AuditOut.model_validate)
