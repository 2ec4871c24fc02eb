"""`/evaluations/<id>/sheet`: one evaluation as the printable sheet the rater and the employee
sign (`domain.evaluation_sheet`); the browser prints it or saves it as a PDF. The rater and
the evaluated employee sign it here (`domain.evaluation_signatures`, the use case of
`POST /evaluations/{id}/signatures`)."""

from __future__ import annotations

from flask import flash
from flask import redirect
from flask import render_template
from flask import url_for
from flask_babel import format_date
from flask_babel import format_datetime
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from service.api.http import rule_settings
from service.auth.policy import PEOPLE
from service.db import get_session
from service.db.models import BEHAVIOR_COLUMNS
from service.domain.entities import Predikat
from service.domain.errors import Conflict
from service.domain.evaluation_revisions import sheet_revisions
from service.domain.evaluation_sheet import evaluation_sheet
from service.domain.evaluation_signatures import sheet_signatures
from service.domain.evaluation_signatures import sign_evaluation
from service.domain.signature_terms import SignerRole
from service.routing import id_segment
from service.web import bp
from service.web.session import actor
from service.web.session import login_required

EVALUATION_ID = id_segment("evaluation_id")


@bp.get(f"/evaluations/{EVALUATION_ID}/sheet")
@login_required(*PEOPLE)
def evaluation_sheet_page(evaluation_id: int) -> str:
    """Show the sheet of an evaluation the caller may read (404 as the API otherwise)."""
    session, caller = get_session(), actor()
    sheet = evaluation_sheet(session, caller, evaluation_id, rule_settings())
    signatures = sheet_signatures(session, caller, sheet)
    revisions = sheet_revisions(session, sheet)
    session.commit()  # the audit row of reading someone else's evaluation
    behaviour = [
        (value, getattr(sheet.evaluation, column)) for value, column in BEHAVIOR_COLUMNS.items()
    ]
    given = sheet.evaluation.updated_at or sheet.evaluation.created_at
    latest = {item.signature.role: item for item in signatures.items}  # the last of each role
    return render_template(
        "web/evaluation_sheet.html",
        sheet=sheet,
        behaviour=behaviour,
        predikats=list(Predikat),
        given_on=format_date(given.date(), format="long"),
        starts_on=format_date(sheet.period.starts_on, format="long"),
        ends_on=format_date(sheet.period.ends_on, format="long"),
        signatures=signatures,
        revisions=revisions,
        signed_by={role.value: latest.get(role) for role in SignerRole},
        signed_on={
            item.signature.role.value: format_datetime(item.signature.signed_at, "medium")
            for item in latest.values()
        },
    )


@bp.post(f"/evaluations/{EVALUATION_ID}/sheet/sign")
@login_required(*PEOPLE)
def sign_sheet(evaluation_id: int) -> Response:
    """Sign the evaluation's current version as its rater or as the evaluated employee."""
    session, caller = get_session(), actor()
    try:
        sign_evaluation(session, caller, evaluation_id)
    except Conflict:
        session.rollback()
        flash(_("You have signed this version of the evaluation already."), "error")
    else:
        session.commit()
        flash(_("Evaluation signed."), "success")
    return redirect(url_for("web.evaluation_sheet_page", evaluation_id=evaluation_id), code=303)
