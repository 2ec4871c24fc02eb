"""`/team`: a supervisor's direct reports by risk, with reasons, coaching and the two forms.

The list is the answer of `GET /teams/me` (the same use case, `risk.team_risk`, with the
same model provider), one page of WEB_PAGE_SIZE members at a time (`?offset=`), so a team of
ten thousand opens as fast as one of fifty; the feedback note and the
evaluation go to the same use cases as `POST /employees/{id}/feedback` and
`POST /employees/{id}/evaluations`. Each form is on the page once, with the member chosen in
it (each member's card links to it) among the page's members. The evaluation form shows
a live predikat preview from `service.domain.predikat.MATRIX`, embedded in the page as data,
so the page and the server can never disagree about a cell.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import current_app
from flask import flash
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from service.api.http import rule_settings
from service.db import get_session
from service.domain.calibration_lock import closings_over
from service.domain.entities import BerakhlakValue
from service.domain.entities import FeedbackTarget
from service.domain.entities import Rating
from service.domain.errors import Conflict
from service.domain.errors import Invalid
from service.domain.evaluations import record_evaluation
from service.domain.feedback import add_feedback
from service.domain.predikat import MATRIX
from service.domain.risk import TEAM_ROLES
from service.domain.risk import team_risk
from service.domain.risk_review_terms import ReviewDecision
from service.domain.risk_reviews import current_reviews
from service.domain.risk_reviews import review_risk
from service.serving import provider
from service.web import bp
from service.web.forms import evaluation_body
from service.web.forms import feedback_fields
from service.web.forms import field_messages
from service.web.forms import is_id
from service.web.forms import period_choices
from service.web.forms import query_offset
from service.web.i18n import label
from service.web.idempotency import once
from service.web.reasons import describe
from service.web.session import actor
from service.web.session import login_required


def predikat_matrix() -> dict[str, Any]:
    """The matrix as page data: `{"work|behaviour": {"value", "label"}}` in this language."""
    return {
        f"{work.value}|{behavior.value}": {"value": p.value, "label": label(p)}
        for (work, behavior), p in MATRIX.items()
    }


def form_options() -> dict[str, Any]:
    """The choices every evaluation and feedback form offers."""
    return {
        "ratings": list(Rating),
        "berakhlak": list(BerakhlakValue),
        "targets": list(FeedbackTarget),
        "periods": period_choices(date.today()),
        "matrix": predikat_matrix(),
    }


@bp.get("/team")
@login_required(*TEAM_ROLES)
def team() -> tuple[str, int]:
    """List the caller's direct reports, highest risk first, then the two forms."""
    member = request.args.get("member", type=int)
    return render_team(member if is_id(member) else None)


@bp.post("/team/evaluation")
@login_required(*TEAM_ROLES)
@once
def submit_evaluation() -> Response | tuple[str, int]:
    """Record the evaluation of one period; the answer shows the computed predikat."""
    session, caller = get_session(), actor()
    employee_id = request.form.get("employee_id", type=int)
    try:
        body = evaluation_body(request.form)
        evaluation = record_evaluation(session, caller, chosen(employee_id), body)
    except (Invalid, Conflict) as exc:
        return refused(employee_id, "evaluation", exc)
    session.commit()
    message = _(
        "Evaluation for %(period)s saved. Predikat: %(predikat)s.",
        period=evaluation.period,
        predikat=label(evaluation.predikat),
    )
    flash(message, "success")
    return back_to_team(employee_id)


@bp.post("/team/feedback")
@login_required(*TEAM_ROLES)
@once
def submit_feedback() -> Response | tuple[str, int]:
    """Add a feedback note on results or behaviour for one period."""
    session, caller = get_session(), actor()
    employee_id = request.form.get("employee_id", type=int)
    try:
        fields = feedback_fields(request.form)
        note = add_feedback(session, caller, chosen(employee_id), **fields)
    except (Invalid, Conflict) as exc:
        return refused(employee_id, "feedback", exc)
    session.commit()
    flash(_("Feedback note for %(period)s saved.", period=note.period), "success")
    return back_to_team(employee_id)


@bp.post("/team/risk-review")
@login_required(*TEAM_ROLES)
def submit_risk_review() -> Response:
    """Agree or disagree with a member's risk estimate (with a reason to disagree): the same
    use case as `POST /employees/{id}/risk/reviews`."""
    session, caller = get_session(), actor()
    employee_id = request.form.get("employee_id", type=int)
    try:
        decision = _decision(request.form.get("decision"))
        reason = request.form.get("reason", "").strip() or None
        review_risk(session, caller, chosen(employee_id), decision, reason, provider())
    except (Invalid, Conflict) as exc:
        session.rollback()
        flash(_review_refused(exc), "error")
        return back_to_team(employee_id)
    session.commit()
    flash(_("Your review of the risk estimate is saved."), "success")
    return back_to_team(employee_id)


def _decision(value: str | None) -> ReviewDecision:
    try:
        return ReviewDecision(value)
    except ValueError:
        raise Invalid.field("decision", "agree or disagree") from None


def _review_refused(exc: Invalid | Conflict) -> str:
    """Why a review was not saved, in the user's language."""
    if isinstance(exc, Conflict):
        return _(
            "This estimate cannot be reviewed: it is reviewed already for its period, or "
            "there is too little history for an estimate."
        )
    fields = {error.field for error in exc.errors}
    if "decision" in fields:
        return _("Choose whether you agree or disagree with the estimate.")
    return _("Say why you disagree: what do you know that the estimate does not?")


def back_to_team(employee_id: int | None) -> Response:
    """Go back to the page of the team the form was sent from, at the member's card."""
    target = url_for("web.team", offset=query_offset() or None, _anchor=f"member-{employee_id}")
    return redirect(target, code=303)


def chosen(employee_id: int | None) -> int:
    """Return the team member the form names; Invalid when it names nobody."""
    if not is_id(employee_id):
        raise Invalid.field("employee_id", "choose a member of your team")
    return employee_id


def refused(employee_id: int | None, form: str, exc: Invalid | Conflict) -> tuple[str, int]:
    """Show the team page again with the refused form, its values and what was wrong."""
    get_session().rollback()
    errors = field_messages(exc) if isinstance(exc, Invalid) else {"form": _conflict(form, exc)}
    failed = {"form": form, "errors": errors}
    return render_team(employee_id, failed=failed, submitted=request.form, status=exc.status)


def _conflict(form: str, exc: Conflict) -> str:
    """The refusal of a form by a Conflict, in the user's language (the evaluation's: the
    calibration of the period is closed, or the period is already evaluated; the feedback
    note has none)."""
    if exc.reason is not None:
        return describe(exc)
    if form == "evaluation":
        return _(
            "This employee already has an evaluation for the period %(period)s.",
            period=request.form.get("period", "").strip(),
        )
    return _("The change conflicts with stored data.")


def render_team(
    member: int | None,
    failed: dict[str, Any] | None = None,
    submitted: Any = None,
    status: int = 200,
) -> tuple[str, int]:
    """Render the team page with `member` chosen in the forms (and a refused form's state)."""
    session, caller = get_session(), actor()
    size, offset = current_app.config["WEB_PAGE_SIZE"], query_offset()
    members = team_risk(session, caller, provider(), size, offset, settings=rule_settings())
    answers = {m["employee_id"]: (m["risk"] or {}).get("as_of_period") for m in members.items}
    reviews = current_reviews(session, answers)
    options = form_options()
    closings = closings_over(session, list(answers), options["periods"])
    session.commit()
    page = render_template(
        "web/team.html",
        members=members.items,
        total=members.total,
        offset=offset,
        page_size=size,
        member=member,
        reviews=reviews,
        failed=failed or {},
        submitted=submitted or {},
        closings=closings,
        **options,
    )
    return page, status
