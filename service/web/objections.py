"""`/objections`: objections (*keberatan*) to evaluations, for the employee who files and
withdraws them and for the rater's superior who decides them; `/objections/<id>` one of them,
where links to it and its forms land.

`/evaluations/<id>/objection` shows one's own evaluation with the form to object. Every form
goes to the use case of its API route (`POST /evaluations/{id}/objections`,
`PATCH /objections/{id}`), checked by the API's schema, so a page accepts and refuses exactly
what the API does; the version the page showed is the If-Match.
"""

from __future__ import annotations

from typing import Any

from flask import flash
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response

from service.api.objections import objection_settings
from service.api.schemas.objections import ObjectionIn
from service.api.schemas.objections import ObjectionPatch
from service.auth.policy import PEOPLE
from service.db import get_session
from service.domain.entities import Rating
from service.domain.errors import Conflict
from service.domain.errors import Invalid
from service.domain.evaluations import read_evaluation
from service.domain.objection_terms import ObjectionStatus
from service.domain.objections import close_objection
from service.domain.objections import file_objection
from service.domain.objections import filing_standings
from service.domain.objections import list_objections
from service.domain.objections import read_objection
from service.routing import id_segment
from service.web import bp
from service.web.forms import TEXT_MAX_CHARS
from service.web.forms import field_messages
from service.web.forms import query_offset
from service.web.forms import validated
from service.web.session import actor
from service.web.session import login_required

EVALUATION_ID = id_segment("evaluation_id")
OBJECTION_ID = id_segment("objection_id")
PAGE_SIZE = 20
#: What to tell the user about a refused field, in their language.
HELP = {
    "reason": _l("Write your reasons, 1 to 5,000 characters."),
    "decision_note": _l("Write the reasons of the decision, 1 to 5,000 characters."),
    "work_result_rating": _l("An upheld objection changes at least one rating."),
    "status": _l("Choose whether the objection is upheld or rejected."),
}


@bp.get("/objections")
@login_required(*PEOPLE)
def objections() -> tuple[str, int]:
    """The objections the caller filed, sees or decides, newest first."""
    return render_objections()


@bp.get(f"/objections/{OBJECTION_ID}")
@login_required(*PEOPLE)
def objection(objection_id: int) -> tuple[str, int]:
    """One objection with its form, where links to it land (404 for one the caller may not
    see): the list is paged newest first, so an objection is on page 1 only while new."""
    return render_objection(objection_id)


@bp.post(f"/objections/{OBJECTION_ID}")
@login_required(*PEOPLE)
def close(objection_id: int) -> Response | tuple[str, int]:
    """Decide (the rater's superior) or withdraw (the employee) a pending objection."""
    session = get_session()
    try:
        body = validated(ObjectionPatch, _decision(request.form))
        version = request.form.get("version", type=int)
        close_objection(
            session,
            actor(),
            objection_id,
            version,
            ObjectionStatus(body.status),
            body.decision_note,
            body.ratings(),
        )
    except (Invalid, Conflict) as exc:
        session.rollback()
        late = _("This objection was already decided or withdrawn.")
        failed = {objection_id: _messages(exc, late)}
        return render_objection(objection_id, failed, request.form, exc.status)
    session.commit()
    flash(_("Objection %(id)s saved.", id=objection_id), "success")
    return redirect(url_for("web.objection", objection_id=objection_id), code=303)


@bp.get(f"/evaluations/{EVALUATION_ID}/objection")
@login_required(*PEOPLE)
def objection_form(evaluation_id: int) -> tuple[str, int]:
    """One's own evaluation with the form to object to it."""
    return render_form(evaluation_id)


@bp.post(f"/evaluations/{EVALUATION_ID}/objection")
@login_required(*PEOPLE)
def file(evaluation_id: int) -> Response | tuple[str, int]:
    """File an objection to one's own evaluation."""
    session = get_session()
    reason = request.form.get("reason", "")[: TEXT_MAX_CHARS + 1]
    try:
        body = validated(ObjectionIn, {"reason": reason})
        file_objection(session, actor(), evaluation_id, body.reason, objection_settings())
    except (Invalid, Conflict) as exc:
        session.rollback()
        refused = _("The objection was not filed.")  # the page says why (its standing)
        return render_form(evaluation_id, _messages(exc, refused), reason, exc.status)
    session.commit()
    flash(_("Your objection was filed; the superior of your rater decides it."), "success")
    return redirect(url_for("web.objections"), code=303)


def render_objections() -> tuple[str, int]:
    """One page of the list (`?offset=`); a refused form answers on its objection's page."""
    session, caller = get_session(), actor()
    offset = query_offset()
    page = list_objections(session, caller, None, PAGE_SIZE, offset)
    context = {
        "page": page,
        "offset": offset,
        "page_size": PAGE_SIZE,
        "ratings": list(Rating),
        "failed": {},
        "submitted": {},
        "caller": caller,
    }
    session.commit()  # the audit rows of reading someone else's objections
    return render_template("web/objections.html", **context), 200


def render_objection(
    objection_id: int,
    failed: dict[int, dict[str, str]] | None = None,
    submitted: Any = None,
    status: int = 200,
) -> tuple[str, int]:
    """The page of one objection; `failed`: its refused fields by objection id, `submitted`:
    the form sent."""
    session, caller = get_session(), actor()
    view = read_objection(session, caller, objection_id)
    context = {
        "view": view,
        "ratings": list(Rating),
        "failed": failed or {},
        "submitted": submitted or {},
        "caller": caller,
    }
    session.commit()  # the audit row of reading someone else's objection
    return render_template("web/objection.html", **context), status


def render_form(
    evaluation_id: int,
    failed: dict[str, str] | None = None,
    reason: str = "",
    status: int = 200,
) -> tuple[str, int]:
    """The evaluation and the form, or why an objection would be refused (404 for an
    evaluation the caller may not see)."""
    session, caller = get_session(), actor()
    evaluation = read_evaluation(session, caller, evaluation_id)
    standings = filing_standings(session, caller, [evaluation], objection_settings())
    context = {
        "evaluation": evaluation,
        "standing": standings[evaluation.id],
        "failed": failed or {},
        "reason": reason,
    }
    session.commit()
    return render_template("web/objection_form.html", **context), status


def _decision(form: MultiDict[str, str]) -> dict[str, Any]:
    """The decision form as the API's PATCH body: empty choices left out."""
    body: dict[str, Any] = {"status": form.get("status", "")}
    note = form.get("decision_note", "").strip()
    if note:
        body["decision_note"] = note[: TEXT_MAX_CHARS + 1]
    for name in ("work_result_rating", "behavior_rating"):
        if form.get(name):
            body[name] = form[name]
    return body


def _messages(exc: Invalid | Conflict, conflict: str = "") -> dict[str, str]:
    """Each refused field's help in the user's language, or `conflict` for the form."""
    if isinstance(exc, Conflict):
        return {"form": conflict}
    return field_messages(exc, HELP)
