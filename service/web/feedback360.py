"""`/feedback360`: the caller's 360 feedback requests, the answer form and a round's results.

Every page calls the same use cases as the API (`service.domain.feedback360`), so a page shows
exactly what `GET /feedback-rounds/{id}/results` would: aggregates per rater group, anonymous
groups only with enough answers, nothing before the round closes. `feedback360_summary` is
offered to every template, so the evaluation form can show the aggregate of the chosen team
member's latest closed round with one include line (`web/_feedback360_summary.html`).
"""

from __future__ import annotations

from typing import Any

from flask import abort
from flask import flash
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from flask_babel import gettext as _
from pydantic import ValidationError
from werkzeug.wrappers import Response

from service.api.feedback360 import feedback_settings
from service.api.schemas.feedback360 import FeedbackAnswerIn
from service.auth.policy import PEOPLE
from service.db import get_session
from service.domain.entities import BerakhlakValue
from service.domain.entities import Rating
from service.domain.errors import Conflict
from service.domain.errors import FieldError
from service.domain.errors import Invalid
from service.domain.errors import NotFound
from service.domain.feedback360 import FeedbackRequest
from service.domain.feedback360 import answer_round
from service.domain.feedback360 import latest_results
from service.domain.feedback360 import list_rounds
from service.domain.feedback360 import my_requests
from service.domain.feedback360 import round_results
from service.domain.feedback360_results import RoundResults
from service.routing import id_segment
from service.web import bp
from service.web.forms import TEXT_MAX_CHARS
from service.web.forms import is_id
from service.web.session import actor
from service.web.session import login_required

ROUND_ID = id_segment("round_id")
LIST_LIMIT = 1000


@bp.get("/feedback360")
@login_required(*PEOPLE)
def feedback360() -> str:
    """List the rounds waiting for the caller's answer, and the rounds on the caller."""
    session, caller = get_session(), actor()
    requests = my_requests(session, caller, LIST_LIMIT, 0).items
    rounds = []
    if caller.employee_id is not None:
        rounds = list_rounds(session, caller, caller.employee_id, LIST_LIMIT, 0).items
    session.commit()
    return render_template("web/feedback360.html", requests=requests, rounds=rounds)


@bp.get(f"/feedback360/rounds/{ROUND_ID}/answer")
@login_required(*PEOPLE)
def feedback360_answer(round_id: int) -> str:
    """Show the answer form of a round that waits for the caller."""
    return _answer_page(_request_for(round_id), {}, {})


@bp.post(f"/feedback360/rounds/{ROUND_ID}/answer")
@login_required(*PEOPLE)
def submit_feedback360_answer(round_id: int) -> Response | tuple[str, int]:
    """Store the caller's answer (once), then go back to the list."""
    session, caller = get_session(), actor()
    pending = _request_for(round_id)
    try:
        body = _answer_body(request.form)
        answer_round(session, caller, round_id, body.ratings, body.comment)
    except (Invalid, Conflict) as exc:
        session.rollback()
        errors = _messages(exc) if isinstance(exc, Invalid) else {"form": exc.detail}
        return _answer_page(pending, errors, request.form), exc.status
    session.commit()
    message = _("Thank you: your answer on %(name)s was saved.", name=pending.employee_name)
    flash(message, "success")
    return redirect(url_for("web.feedback360"), code=303)


@bp.get(f"/feedback360/rounds/{ROUND_ID}")
@login_required(*PEOPLE)
def feedback360_results(round_id: int) -> str:
    """Show a round's results: aggregates per rater group, as the API gives them."""
    session, caller = get_session(), actor()
    results = round_results(session, caller, round_id, feedback_settings())
    session.commit()
    return render_template("web/feedback360_results.html", results=results)


def feedback360_summary(employee_id: Any) -> RoundResults | None:
    """The latest closed round's results on `employee_id` for the signed-in caller, or None.

    For templates (the evaluation form); the read is audited and committed like a page's.
    """
    if not is_id(employee_id):
        return None
    session = get_session()
    try:
        results = latest_results(session, actor(), employee_id, feedback_settings())
    except NotFound:
        return None  # not someone the caller sees: the form itself will say so
    session.commit()
    return results


def _request_for(round_id: int) -> FeedbackRequest:
    """The caller's open request in this round; 404 when nothing waits for them there."""
    for item in my_requests(get_session(), actor(), LIST_LIMIT, 0).items:
        if item.round_id == round_id:
            return item
    abort(404, _("No open feedback request of yours in this round."))


def _answer_body(form: Any) -> FeedbackAnswerIn:
    """Check the form with the API's own schema; Invalid names every missing rating."""
    raw: dict[str, Any] = {
        "ratings": {v.value: form.get(f"value_{v.value}") for v in BerakhlakValue},
        "comment": form.get("comment", "").strip()[: TEXT_MAX_CHARS + 1] or None,
    }
    missing = [v for v, rating in raw["ratings"].items() if not rating]
    if missing:
        raise Invalid(errors=[FieldError(f"value_{v}", "choose a rating") for v in missing])
    try:
        return FeedbackAnswerIn.model_validate(raw)
    except ValidationError as exc:
        errors = [FieldError(str(e["loc"][0]), e["msg"]) for e in exc.errors() if e["loc"]]
        raise Invalid(errors=errors) from None


def _messages(exc: Invalid) -> dict[str, str]:
    texts = {"comment": _("Write at most 5,000 characters.")}
    return {e.field: texts.get(e.field, _("Choose a rating for this value.")) for e in exc.errors}


def _answer_page(pending: FeedbackRequest, errors: dict[str, str], submitted: Any) -> str:
    return render_template(
        "web/feedback360_answer.html",
        pending=pending,
        errors=errors,
        submitted=submitted,
        ratings=list(Rating),
        berakhlak=list(BerakhlakValue),
    )


def feedback360_ratings() -> list[Rating]:
    """The ratings in the order the results tables show them."""
    return list(Rating)


bp.add_app_template_global(feedback360_summary)
bp.add_app_template_global(feedback360_ratings)
