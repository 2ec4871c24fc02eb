"""`/employees/<id>/dialogues`: an employee's performance dialogues, and for a supervisor
above them the form to record the next one.

The form can start from a coaching suggestion (`?coaching=<code>`, the code the team page
and `GET /teams/me` give): the kind becomes coaching, the topic the suggestion's action and
the dialogue keeps the code. It lists the actions agreed earlier that no dialogue has
reviewed, each to be marked done or not done. The form goes to the same use case as
`POST /employees/{id}/dialogues`, checked by the API's schema.
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
from service.domain.coaching import load_catalogue
from service.domain.dialogues import list_dialogues
from service.domain.dialogues import open_actions
from service.domain.dialogues import record_dialogue
from service.domain.entities import DialogueKind
from service.domain.errors import Invalid
from service.domain.organisation import read_employee
from service.routing import id_segment
from service.web import bp
from service.web.continuous_forms import ACTION_ROWS
from service.web.continuous_forms import dialogue_fields
from service.web.continuous_forms import messages
from service.web.forms import query_offset
from service.web.idempotency import once
from service.web.session import actor
from service.web.session import login_required

EMPLOYEE_ID = id_segment("employee_id")
PAGE_SIZE = 20


@bp.get(f"/employees/{EMPLOYEE_ID}/dialogues")
@login_required(*PEOPLE)
def dialogues(employee_id: int) -> tuple[str, int]:
    """Show the dialogues, most recent first, and the form for a supervisor above."""
    return render_dialogues(employee_id)


@bp.post(f"/employees/{EMPLOYEE_ID}/dialogues")
@login_required(*PEOPLE)
@once
def add_dialogue(employee_id: int) -> Response | tuple[str, int]:
    """Record a dialogue held with someone below the caller."""
    session = get_session()
    try:
        detail = record_dialogue(session, actor(), employee_id, **dialogue_fields(request.form))
    except Invalid as exc:
        session.rollback()
        failed = {"errors": messages(exc)}
        return render_dialogues(employee_id, failed, request.form, exc.status)
    session.commit()
    flash(_("Dialogue of %(day)s saved.", day=format_date(detail.dialogue.held_on)), "success")
    return redirect(url_for("web.dialogues", employee_id=employee_id), code=303)


def render_dialogues(
    employee_id: int,
    failed: dict[str, Any] | None = None,
    submitted: Any = None,
    status: int = 200,
) -> tuple[str, int]:
    """Render the page (404 for an employee the caller may not see)."""
    session, caller = get_session(), actor()
    person = read_employee(session, caller, employee_id)
    offset = query_offset()
    can_record = policy.may_supervise(session, caller, person)
    context = {
        "person": person,
        "page": list_dialogues(session, caller, employee_id, PAGE_SIZE, offset),
        "offset": offset,
        "page_size": PAGE_SIZE,
        "can_record": can_record,
        "open_actions": open_actions(session, caller, employee_id) if can_record else [],
        "catalogue": load_catalogue(),
        "suggestion": _suggestion(request.args.get("coaching")),
        "kinds": list(DialogueKind),
        "action_rows": ACTION_ROWS,
        "today": date.today().isoformat(),
        "failed": failed or {},
        "submitted": submitted or {},
    }
    session.commit()
    return render_template("web/dialogues.html", **context), status


def _suggestion(code: str | None) -> Any:
    """The catalogue rule a form starts from, or None for an unknown or missing code."""
    return next((rule for rule in load_catalogue() if rule.code == code), None)
