"""`/units/<id>/rater-calibration`: the raters of an HR unit who rate markedly more leniently
or harshly than the rest of the unit, from the use case of
`GET /units/{id}/rater-calibration` (hr over the unit, admin)."""

from __future__ import annotations

from flask import render_template

from service.auth import policy
from service.db import get_session
from service.domain.entities import PeriodKind
from service.domain.entities import Predikat
from service.domain.periods import Period
from service.domain.periods import parse_period
from service.domain.rater_calibration import MIN_RATED
from service.domain.rater_calibration import rater_calibration
from service.web import bp
from service.web.session import actor
from service.web.session import login_required
from service.web.units import MANAGERS
from service.web.units import UNIT_ID
from service.web.units import chosen_period


@bp.get(f"/units/{UNIT_ID}/rater-calibration")
@login_required(*MANAGERS)
def calibration(unit_id: int) -> str:
    """Each rater against the rest of the unit, for the period asked (last year by default)."""
    session, caller = get_session(), actor()
    unit = policy.visible_unit(session, caller, unit_id)
    period = chosen_period()
    report = rater_calibration(session, caller, unit_id, period)
    session.commit()  # the audit rows of reading the raters' ratings
    return render_template(
        "web/calibration.html",
        unit=unit,
        period=period,
        report=report,
        min_rated=MIN_RATED,
        predikats=list(Predikat),
        quarters=quarters_of(period),
    )


def quarters_of(code: str) -> list[str]:
    """The quarters of a year's period code (the page links them when the year itself holds
    no comparable evaluations: agencies that rate per quarter have none of the year), else []."""
    period = parse_period(code)
    if period.kind is not PeriodKind.YEAR:
        return []
    return [Period.of(PeriodKind.QUARTER, period.year, index).code for index in range(1, 5)]
