"""The caller's in-app notifications (reminders of `kinerja remind`): list and mark read."""

from __future__ import annotations

from typing import Any

from service.api import bp
from service.api.http import run
from service.api.openapi import responses
from service.api.openapi import spec
from service.api.schemas.continuous import NotificationList
from service.api.schemas.continuous import NotificationOut
from service.api.schemas.continuous import NotificationQuery
from service.auth.decorators import allow
from service.domain.notifications import list_my_notifications
from service.domain.notifications import mark_read
from service.domain.notifications import unread_count
from service.routing import id_segment

TAGS = ["notifications"]
NOTIFICATION_ID = id_segment("notification_id")


@bp.get("/notifications/me")
@allow()
@spec.validate(resp=responses(HTTP_200=NotificationList), tags=TAGS)
def get_my_notifications(query: NotificationQuery) -> Any:
    """Your notifications: unread first, then newest first; `unread` counts all unread."""
    page = run(list_my_notifications, query.limit, query.offset, query.unread)
    return NotificationList(
        items=[NotificationOut.model_validate(n) for n in page.items],
        total=page.total,
        unread=run(unread_count),
    )


@bp.post(f"/notifications/{NOTIFICATION_ID}/read")
@allow()
@spec.validate(resp=responses(HTTP_200=NotificationOut), tags=TAGS)
def post_read(notification_id: int) -> Any:
    """Mark one of your notifications read (again is harmless); 404 for anyone else's."""
    return NotificationOut.model_validate(run(mark_read, notification_id))
