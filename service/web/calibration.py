"""`/units/<id>/rater-calibration`: the raters of an HR unit who rate markedly more leniently
or harshly than the rest of the unit, from the use case of
`GET /units/{id}/rater-calibration` (hr over the unit, admin); and the closing of the
unit's calibration for the period (`calibration_closings`): its state, the distribution at
closing beside now, the forms to close and to reopen with a reason."""

from __future__ import annotations

from flask import Response
from flask import flash
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from flask_babel import gettext as _

from service.api.http import rule_settings
from service.api.schemas.calibration_closings import ClosingIn
from service.api.schemas.calibration_closings import ReopenIn
from service.auth import policy
from service.db import get_session
from service.domain.calibration_closings import close_calibration
from service.domain.calibration_closings import list_closings
from service.domain.calibration_closings import reopen_calibration
from service.domain.entities import PeriodKind
from service.domain.entities import Predikat
from service.domain.errors import Conflict
from service.domain.errors import Invalid
from service.domain.periods import Period
from service.domain.periods import parse_period
from service.domain.rater_calibration import MIN_RATED
from service.domain.rater_calibration import rater_calibration
from service.domain.revision_terms import KEPT_SINCE
from service.routing import id_segment
from service.web import bp
from service.web.forms import validated
from service.web.session import actor
from service.web.session import login_required
from service.web.units import MANAGERS
from service.web.units import UNIT_ID
from service.web.units import chosen_period

CLOSING_ID = id_segment("closing_id")
#: The period's closings shown: the standing one and the latest reopened ones.
CLOSINGS_SHOWN = 10


@bp.get(f"/units/{UNIT_ID}/rater-calibration")
@login_required(*MANAGERS)
def calibration(unit_id: int) -> str:
    """Each rater against the rest of the unit, for the period asked (last year by default)."""
    session, caller = get_session(), actor()
    unit = policy.visible_unit(session, caller, unit_id)
    period = chosen_period()
    report = rater_calibration(session, caller, unit_id, period)
    closings = list_closings(session, caller, unit_id, period, CLOSINGS_SHOWN, 0).items
    session.commit()  # the audit rows of reading the raters' ratings (and the changes)
    return render_template(
        "web/calibration.html",
        unit=unit,
        period=period,
        report=report,
        min_rated=MIN_RATED,
        predikats=list(Predikat),
        quarters=quarters_of(period),
        closings=closings,
        kept_since=KEPT_SINCE,
        standing=next((view for view in closings if view.standing), None),
    )


@bp.post(f"/units/{UNIT_ID}/calibration-closings")
@login_required(*MANAGERS)
def close_calibration_form(unit_id: int) -> Response:
    """Close the unit's calibration for the form's period, as
    `POST /api/v1/units/{id}/calibration-closings` does, and show the page again."""
    session = get_session()
    raw = {"period": request.form.get("period", ""), "note": request.form.get("note") or None}
    try:
        asked = validated(ClosingIn, raw)
        close_calibration(session, actor(), unit_id, asked.period, asked.note, rule_settings())
    except (Invalid, Conflict) as exc:
        session.rollback()
        flash(_("The calibration was not closed: %(why)s", why=exc.detail), "error")
    else:
        session.commit()
        flash(_("The calibration of %(period)s is closed.", period=asked.period), "success")
    return _back(unit_id)


@bp.post(f"/units/{UNIT_ID}/calibration-closings/{CLOSING_ID}/reopen")
@login_required(*MANAGERS)
def reopen_calibration_form(unit_id: int, closing_id: int) -> Response:
    """Reopen a closing with the form's reason, as `POST .../{closing_id}/reopen` does."""
    session = get_session()
    try:
        asked = validated(ReopenIn, {"reason": request.form.get("reason", "")})
        view = reopen_calibration(session, actor(), unit_id, closing_id, asked.reason)
    except Invalid:
        session.rollback()
        flash(_("Give the reason for reopening the calibration."), "error")
    except Conflict as exc:
        session.rollback()
        flash(_("The calibration was not reopened: %(why)s", why=exc.detail), "error")
    else:
        session.commit()
        flash(
            _("The calibration of %(period)s is reopened.", period=view.closing.period), "success"
        )
    return _back(unit_id)


def _back(unit_id: int) -> Response:
    """Back to the page, on the form's period when it is one (else the page's default)."""
    try:
        period: str | None = parse_period(request.form.get("period", "")).code
    except Invalid:
        period = None
    return redirect(url_for("web.calibration", unit_id=unit_id, period=period), code=303)


def quarters_of(code: str) -> list[str]:
    """The quarters of a year's period code (the page links them when the year itself holds
    no comparable evaluations: agencies that rate per quarter have none of the year), else []."""
    period = parse_period(code)
    if period.kind is not PeriodKind.YEAR:
        return []
    return [Period.of(PeriodKind.QUARTER, period.year, index).code for index in range(1, 5)]
