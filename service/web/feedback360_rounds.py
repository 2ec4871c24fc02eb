"""`/employees/<id>/feedback360`: the 360 rounds on an employee; start and close a round.

A supervisor above the employee, hr over their unit or an admin picks the raters per group
from the people the organisation vouches for (`feedback360_candidates`) and the page sends
them to `start_round`, the use case behind `POST /employees/{id}/feedback-rounds`: the same
schema checks the form, the same rules check each nomination and the anonymity threshold.
Closing calls `close_round` as `POST /feedback-rounds/{id}/close` does.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import flash
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response

from service.api.feedback360 import feedback_settings
from service.api.schemas.feedback360 import FeedbackRoundIn
from service.auth.policy import PEOPLE
from service.db import get_session
from service.domain.errors import Conflict
from service.domain.errors import DomainError
from service.domain.errors import Invalid
from service.domain.feedback360 import Nomination
from service.domain.feedback360 import close_round
from service.domain.feedback360 import list_rounds
from service.domain.feedback360 import start_round
from service.domain.feedback360_candidates import NominationCandidates
from service.domain.feedback360_candidates import nomination_candidates
from service.domain.feedback360_terms import ANONYMOUS_GROUPS
from service.domain.feedback360_terms import RaterGroup
from service.domain.organisation import read_employee
from service.routing import id_segment
from service.web import bp
from service.web.continuous_forms import checked
from service.web.forms import period_choices
from service.web.session import actor
from service.web.session import login_required

EMPLOYEE_ID = id_segment("employee_id")
ROUND_ID = id_segment("round_id")
ROUNDS_LIMIT = 100


@bp.get(f"/employees/{EMPLOYEE_ID}/feedback360")
@login_required(*PEOPLE)
def employee_feedback360(employee_id: int) -> tuple[str, int]:
    """List the rounds on the employee; offer the start form to whom may start one."""
    return _render(employee_id)


@bp.post(f"/employees/{EMPLOYEE_ID}/feedback360")
@login_required(*PEOPLE)
def start_feedback360(employee_id: int) -> Response | tuple[str, int]:
    """Start a round with the ticked raters, through the API's use case."""
    session = get_session()
    try:
        body = checked(FeedbackRoundIn, _round_raw(request.form))
        raters = [Nomination(r.employee_id, r.group) for r in body.raters]
        started = start_round(
            session, actor(), employee_id, body.period, raters, feedback_settings(), body.closes_on
        )
    except (Invalid, Conflict) as exc:
        session.rollback()
        return _render(employee_id, _errors(exc, request.form), request.form, exc.status)
    session.commit()
    flash(
        _("The feedback round for %(period)s was started.", period=started.round.period), "success"
    )
    return redirect(url_for("web.employee_feedback360", employee_id=employee_id), code=303)


@bp.post(f"/feedback360/rounds/{ROUND_ID}/close")
@login_required(*PEOPLE)
def close_feedback360(round_id: int) -> Response:
    """Close an open round by hand, so its results become readable."""
    session = get_session()
    closed = close_round(session, actor(), round_id)
    session.commit()
    flash(_("The feedback round was closed."), "success")
    return redirect(url_for("web.feedback360_results", round_id=closed.round.id), code=303)


def _render(
    employee_id: int,
    errors: list[str] | None = None,
    submitted: Any = None,
    status: int = 200,
) -> tuple[str, int]:
    """The page (404 for an employee the caller may not see)."""
    session, caller = get_session(), actor()
    person = read_employee(session, caller, employee_id)
    rounds = list_rounds(session, caller, employee_id, ROUNDS_LIMIT, 0).items
    candidates = _candidates(employee_id)
    session.commit()
    context = {
        "person": person,
        "rounds": rounds,
        "candidates": candidates,
        "groups": list(RaterGroup),
        "anonymous": ANONYMOUS_GROUPS,
        "minimum": feedback_settings().min_group_answers,
        "periods": period_choices_for_form(),
        "errors": errors or [],
        "submitted": submitted if submitted is not None else MultiDict(),
    }
    return render_template("web/feedback360_rounds.html", **context), status


def _candidates(employee_id: int) -> NominationCandidates | None:
    """The people offered per group, or None when the caller may not start a round."""
    try:
        return nomination_candidates(get_session(), actor(), employee_id)
    except DomainError:
        return None


def period_choices_for_form() -> list[str]:
    """Last year first (the annual behaviour rating), then this year and the quarters."""
    periods = period_choices(date.today())
    return [periods[-1], *periods[:-1]]


def _round_raw(form: MultiDict[str, str]) -> dict[str, Any]:
    """The API body from the form: one rater per ticked box, named `rater_<group>`."""
    raters = [
        {"employee_id": _number(value), "group": group.value}
        for group in RaterGroup
        for value in form.getlist(f"rater_{group.value}")
    ]
    return {
        "period": form.get("period", "").strip(),
        "raters": raters,
        "closes_on": form.get("closes_on", "").strip() or None,
    }


def _number(value: str) -> int | str:
    return int(value) if value.isdecimal() and len(value) <= 10 else value


def _errors(exc: Invalid | Conflict, form: MultiDict[str, str]) -> list[str]:
    """One message per refusal in the user's language."""
    if isinstance(exc, Conflict):
        return [_("This employee already has a feedback round for that period.")]
    found: list[str] = []
    for error in exc.errors:
        field = error.field.split(".")[0]
        if field == "period":
            text = _("Choose a period such as 2025, 2025-Q1 or 2025-03.")
        elif field == "closes_on":
            text = _("Give today or a later day for the end of the round, or none.")
        elif error.field == "raters" and "anonymous" in error.message:
            minimum = feedback_settings().min_group_answers
            text = _(
                "Nominate no peers or at least %(n)s, and no subordinates or at least %(n)s: "
                "their answers are anonymous.",
                n=minimum,
            )
        elif field == "raters":
            text = _("Nominate at least one rater, each person in one group only.")
        else:
            text = error.message
        if text not in found:
            found.append(text)
    return found
