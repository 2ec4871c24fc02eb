"""`/notifications`: the signed-in user's reminders, unread first, and the badge of the menu.

The list and the marking are the use cases of `GET /notifications/me` and
`POST /notifications/{id}/read`; `unread_notifications()` gives base.html the unread count.
The section "Email" switches the email of each kind (`PUT /users/me/notification-preferences`
and its use case; the version the page showed is the If-Match).
"""

from __future__ import annotations

from flask import flash
from flask import g
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.wrappers import Response

from service.db import get_session
from service.domain.entities import NotificationKind
from service.domain.notification_preferences import MANDATORY
from service.domain.notification_preferences import my_email_preferences
from service.domain.notification_preferences import set_my_email_preferences
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
#: What each kind is about, in the user's language (the section "Email").
KIND_LABELS = {
    NotificationKind.REALISATION_DUE: _l("Realisation of targets not recorded yet"),
    NotificationKind.EVALUATION_DUE: _l("Performance evaluation not made yet"),
    NotificationKind.FEEDBACK_ROUND_WAITING: _l("360 feedback waiting for your answer"),
    NotificationKind.DEVELOPMENT_JP_LOW: _l("Too few development hours (JP)"),
    NotificationKind.RISK_WITHOUT_DIALOGUE: _l("Flagged risk without a performance dialogue"),
    NotificationKind.OBJECTION_FILED: _l("An objection for you to decide"),
    NotificationKind.OBJECTION_DECIDED: _l("The decision on your objection"),
}


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
    session, caller = get_session(), actor()
    page = list_my_notifications(session, caller, PAGE_SIZE, offset)
    return render_template(
        "web/notifications.html",
        page=page,
        offset=offset,
        page_size=PAGE_SIZE,
        preferences=my_email_preferences(session, caller),
        kind_labels=KIND_LABELS,
        mandatory=MANDATORY,
    )


@bp.post("/notifications/preferences")
@login_required()
def notification_preferences() -> Response:
    """Switch the email of each kind the form lists (ticked: emailed); mandatory kinds are
    not in the form and stay on."""
    ticked = set(request.form.getlist("email_on"))
    email_on = {kind: kind.value in ticked for kind in NotificationKind if kind not in MANDATORY}
    session = get_session()
    version = request.form.get("version", type=int)
    set_my_email_preferences(session, actor(), version, email_on)
    session.commit()
    flash(_("Your email choices are saved."), "success")
    return redirect(url_for("web.notifications", _anchor="email"), code=303)


@bp.post(f"/notifications/{NOTIFICATION_ID}/read")
@login_required()
def read_notification(notification_id: int) -> Response:
    """Mark one of the caller's notifications read and go back to the list."""
    session = get_session()
    mark_read(session, actor(), notification_id)
    session.commit()
    return redirect(url_for("web.notifications"), code=303)
