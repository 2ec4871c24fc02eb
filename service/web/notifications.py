"""`/notifications`: the signed-in user's reminders, unread first, and the badge of the menu.

The list and the marking are the use cases of `GET /notifications/me` and
`POST /notifications/{id}/read`; `unread_notifications()` gives base.html the unread count.
"""

from __future__ import annotations

from flask import g
from flask import redirect
from flask import render_template
from flask import url_for
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.wrappers import Response

from service.db import get_session
from service.domain.notifications import list_my_notifications
from service.domain.notifications import mark_read
from service.domain.notifications import unread_count
from service.routing import id_segment
from service.web import bp
from service.web.forms import query_offset
from service.web.session import actor
from service.web.session import login_required

NOTIFICATION_ID = id_segment("notification_id")
PAGE_SIZE = 50


@bp.app_template_global()
def unread_notifications() -> int:
    """How many unread notifications the signed-in user has (0 without a login).

    Shown in the menu of every page, error pages included: a database that cannot answer
    leaves the badge out instead of failing the page.
    """
    caller = g.get("actor")
    if caller is None or caller.user_id is None:
        return 0
    try:
        return unread_count(get_session(), caller)
    except SQLAlchemyError:
        get_session().rollback()
        return 0


@bp.get("/notifications")
@login_required()
def notifications() -> str:
    """List the caller's notifications, unread first."""
    offset = query_offset()
    page = list_my_notifications(get_session(), actor(), PAGE_SIZE, offset)
    return render_template("web/notifications.html", page=page, offset=offset, page_size=PAGE_SIZE)


@bp.post(f"/notifications/{NOTIFICATION_ID}/read")
@login_required()
def read_notification(notification_id: int) -> Response:
    """Mark one of the caller's notifications read and go back to the list."""
    session = get_session()
    mark_read(session, actor(), notification_id)
    session.commit()
    return redirect(url_for("web.notifications"), code=303)
