"""`/evaluations/<id>/sheet`: one evaluation as the printable sheet the rater and the employee
sign (`domain.evaluation_sheet`); the browser prints it or saves it as a PDF."""

from __future__ import annotations

from flask import render_template
from flask_babel import format_date

from service.api.http import rule_settings
from service.auth.policy import PEOPLE
from service.db import get_session
from service.db.models import BEHAVIOR_COLUMNS
from service.domain.entities import Predikat
from service.domain.evaluation_sheet import evaluation_sheet
from service.routing import id_segment
from service.web import bp
from service.web.session import actor
from service.web.session import login_required

EVALUATION_ID = id_segment("evaluation_id")


@bp.get(f"/evaluations/{EVALUATION_ID}/sheet")
@login_required(*PEOPLE)
def evaluation_sheet_page(evaluation_id: int) -> str:
    """Show the sheet of an evaluation the caller may read (404 as the API otherwise)."""
    session = get_session()
    sheet = evaluation_sheet(session, actor(), evaluation_id, rule_settings())
    session.commit()  # the audit row of reading someone else's evaluation
    behaviour = [
        (value, getattr(sheet.evaluation, column)) for value, column in BEHAVIOR_COLUMNS.items()
    ]
    given = sheet.evaluation.updated_at or sheet.evaluation.created_at
    return render_template(
        "web/evaluation_sheet.html",
        sheet=sheet,
        behaviour=behaviour,
        predikats=list(Predikat),
        given_on=format_date(given.date(), format="long"),
    )
