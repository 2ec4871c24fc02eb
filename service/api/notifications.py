"""The caller's in-app notifications (reminders of `kinerja remind`): list and mark read;
and which kinds are also emailed to the caller."""

from __future__ import annotations

from typing import Any

from service.api import bp
from service.api.http import etag
from service.api.http import if_match
from service.api.http import run
from service.api.openapi import responses
from service.api.openapi import spec
from service.api.schemas.common import IfMatchHeader
from service.api.schemas.continuous import NotificationList
from service.api.schemas.continuous import NotificationOut
from service.api.schemas.continuous import NotificationQuery
from service.api.schemas.notification_preferences import NotificationPreferencesIn
from service.api.schemas.notification_preferences import NotificationPreferencesOut
from service.auth.decorators import allow
from service.domain.notification_preferences import MANDATORY
from service.domain.notification_preferences import EmailPreferences
from service.domain.notification_preferences import my_email_preferences
from service.domain.notification_preferences import set_my_email_preferences
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


@bp.get("/users/me/notification-preferences")
@allow()
@spec.validate(resp=responses(HTTP_200=NotificationPreferencesOut), tags=TAGS)
def get_notification_preferences() -> Any:
    """Whether each notification kind is emailed to you, with the set's ETag; the in-app
    notification is always kept. Mandatory kinds (objections) cannot be switched off."""
    return _preferences(run(my_email_preferences))


@bp.put("/users/me/notification-preferences")
@allow()
@spec.validate(
    headers=IfMatchHeader,
    resp=responses(errors=(412, 428), HTTP_200=NotificationPreferencesOut),
    tags=TAGS,
)
def put_notification_preferences(json: NotificationPreferencesIn) -> Any:
    """Switch the email of kinds on or off (kinds left out keep their setting); needs
    If-Match; 422 when a mandatory kind is switched off."""
    return _preferences(run(set_my_email_preferences, if_match(), json.email_on))


def _preferences(preferences: EmailPreferences) -> Any:
    answer = NotificationPreferencesOut(
        email_on=preferences.email_on,
        mandatory=sorted(MANDATORY),
        version=preferences.version,
    )
    return answer, 200, etag(preferences.version)
