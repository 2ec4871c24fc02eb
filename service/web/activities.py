"""`/employees/<id>/activities`: one employee's activity log; `/team/activities`: what waits
for a supervisor's acknowledgement; and the log's section of the employee page.

The forms go to the same use cases as `POST /employees/{id}/activities`,
`PATCH /activities/{id}` and `POST /activities/{id}/acknowledge`, checked by the API's
schemas (`web.continuous_forms`). The employee page includes `_activity_section.html`, which
asks `activity_section(employee_id)` for its entries: the same use case as
`GET /employees/{id}/activities`, so that read is audited and committed like the others.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import flash
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from flask_babel import format_date
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from service.auth import policy
from service.auth.policy import PEOPLE
from service.db import get_session
from service.db.repositories import organisation as org_repo
from service.domain.activities import acknowledge_activity
from service.domain.activities import list_activities
from service.domain.activities import read_activity
from service.domain.activities import record_activity
from service.domain.activities import team_activities as list_team_activities
from service.domain.activities import update_activity
from service.domain.entities import ActivityStatus
from service.domain.errors import Conflict
from service.domain.errors import Invalid
from service.domain.errors import PreconditionFailed
from service.domain.errors import PreconditionRequired
from service.domain.organisation import read_employee
from service.domain.plans import list_skps
from service.domain.risk import TEAM_ROLES
from service.routing import id_segment
from service.web import bp
from service.web.continuous_forms import acknowledgement_comment
from service.web.continuous_forms import activity_changes
from service.web.continuous_forms import activity_fields
from service.web.continuous_forms import messages
from service.web.forms import query_offset
from service.web.idempotency import once
from service.web.session import actor
from service.web.session import login_required

EMPLOYEE_ID = id_segment("employee_id")
ACTIVITY_ID = id_segment("activity_id")
PAGE_SIZE = 50
SECTION_SIZE = 5
Refused = Invalid | Conflict | PreconditionFailed | PreconditionRequired
#: The same as a tuple: Python 3.11 cannot catch a union type (`except` raises TypeError).
REFUSED = (Invalid, Conflict, PreconditionFailed, PreconditionRequired)


@bp.app_template_global()
def activity_section(employee_id: int) -> dict[str, Any]:
    """The latest entries of a visible employee's log, for the employee page's section."""
    session = get_session()
    page = list_activities(session, actor(), employee_id, SECTION_SIZE, 0)
    session.commit()  # the audit row of reading someone else's log
    return {"entries": page.items, "total": page.total}


@bp.get(f"/employees/{EMPLOYEE_ID}/activities")
@login_required(*PEOPLE)
def activities(employee_id: int) -> tuple[str, int]:
    """Show an employee's log, with the new-entry form for the employee themselves."""
    return render_log(employee_id)


@bp.post(f"/employees/{EMPLOYEE_ID}/activities")
@login_required(*PEOPLE)
@once
def add_activity(employee_id: int) -> Response | tuple[str, int]:
    """Add an entry to one's own log."""
    session = get_session()
    try:
        entry = record_activity(session, actor(), employee_id, **activity_fields(request.form))
    except (Invalid, Conflict) as exc:
        return refused(employee_id, "new", exc)
    session.commit()
    flash(_("Activity of %(day)s saved.", day=format_date(entry.activity_date)), "success")
    return redirect(url_for("web.activities", employee_id=employee_id), code=303)


@bp.post(f"/activities/{ACTIVITY_ID}/edit")
@login_required(*PEOPLE)
def edit_activity(activity_id: int) -> Response | tuple[str, int]:
    """Correct one's own entry while it is not acknowledged."""
    session, caller = get_session(), actor()
    employee_id = read_activity(session, caller, activity_id).employee_id
    try:
        changes = activity_changes(request.form)
        update_activity(session, caller, activity_id, _version(), changes)
    except REFUSED as exc:
        return refused(employee_id, f"edit-{activity_id}", exc)
    session.commit()
    flash(_("Activity corrected."), "success")
    return redirect(url_for("web.activities", employee_id=employee_id), code=303)


@bp.post(f"/activities/{ACTIVITY_ID}/acknowledge")
@login_required(*PEOPLE)
def acknowledge(activity_id: int) -> Response | tuple[str, int]:
    """Acknowledge an entry of someone below the caller, with an optional comment."""
    session, caller = get_session(), actor()
    try:
        comment = acknowledgement_comment(request.form)
        entry = acknowledge_activity(session, caller, activity_id, _version(), comment)
    except REFUSED as exc:
        employee_id = read_activity(session, caller, activity_id).employee_id
        return refused(employee_id, f"ack-{activity_id}", exc)
    session.commit()
    flash(_("Activity acknowledged."), "success")
    back = request.form.get("back") == "team"
    target = url_for("web.team_activities") if back else None
    return redirect(target or url_for("web.activities", employee_id=entry.employee_id), code=303)


@bp.get("/team/activities")
@login_required(*TEAM_ROLES)
def team_activities() -> str:
    """The entries of everyone below the caller that are waiting for acknowledgement."""
    session = get_session()
    offset = query_offset()
    page = list_team_activities(session, actor(), ActivityStatus.SUBMITTED, PAGE_SIZE, offset)
    names = {e.employee_id: _name(session, e.employee_id) for e in page.items}
    session.commit()
    return render_template(
        "web/team_activities.html", page=page, names=names, offset=offset, page_size=PAGE_SIZE
    )


def refused(employee_id: int, form: str, exc: Refused) -> tuple[str, int]:
    """Show the log again with the refused form, its values and what was wrong."""
    get_session().rollback()
    # An acknowledged entry has no form left on the page: say it above the log instead.
    failed = {"form": "log" if isinstance(exc, Conflict) else form, "errors": _refusal(exc)}
    return render_log(employee_id, failed, request.form, exc.status)


def _refusal(exc: Refused) -> dict[str, str]:
    """What the form shows: the fields' messages, or one for the whole form. The API's words
    for a stale or missing version (ETag, If-Match) mean nothing on a page."""
    if isinstance(exc, Invalid):
        return messages(exc)
    if isinstance(exc, PreconditionFailed):
        return {"form": _("Someone else changed this record. Reload and retry.")}
    if isinstance(exc, PreconditionRequired):
        detail = _("The form has expired or was not sent by this site. Reload the page and retry.")
        return {"form": detail}
    return {"form": _("This activity was already acknowledged and can no longer change.")}


def render_log(
    employee_id: int,
    failed: dict[str, Any] | None = None,
    submitted: Any = None,
    status: int = 200,
) -> tuple[str, int]:
    """Render the log page (404 for an employee the caller may not see)."""
    session, caller = get_session(), actor()
    person = read_employee(session, caller, employee_id)
    offset = query_offset()
    page = list_activities(session, caller, employee_id, PAGE_SIZE, offset)
    own = caller.is_self(employee_id)
    context = {
        "person": person,
        "page": page,
        "offset": offset,
        "page_size": PAGE_SIZE,
        "can_write": own,
        "can_acknowledge": policy.may_supervise(session, caller, person),
        "rhks": _rhk_choices(session, caller, employee_id) if own else [],
        "today": date.today().isoformat(),
        "failed": failed or {},
        "submitted": submitted or {},
    }
    session.commit()
    return render_template("web/activities.html", **context), status


def _rhk_choices(session: Any, caller: Any, employee_id: int) -> list[tuple[int, str]]:
    """The RHK of the employee's SKPs of this year and last, for the entry form."""
    this_year = date.today().year
    skps = list_skps(session, caller, employee_id, 1000, 0).items
    return [
        (item.rhk.id, f"{detail.skp.year}: {item.rhk.description}")
        for detail in skps
        if detail.skp.year in (this_year, this_year - 1)
        for item in detail.rhks
    ]


def _name(session: Any, employee_id: int) -> str:
    employee = org_repo.get_employee(session, employee_id)
    return employee.name if employee else str(employee_id)


def _version() -> int | None:
    """The version the form was built on (its If-Match); None when it is missing."""
    value = request.form.get("version", "")
    return int(value) if value.isdecimal() and len(value) < 10 else None
