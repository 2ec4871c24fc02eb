"""`/units/<id>/fairness`: the fairness report of a unit and period, from the use case of
`GET /units/{id}/fairness` (hr over the unit and admin with the raters; the data team the
group tables only)."""

from __future__ import annotations

from flask import render_template

from service.auth import policy
from service.db import get_session
from service.domain.rating_fairness import READERS
from service.domain.rating_fairness import SMALL
from service.domain.rating_fairness import rating_fairness
from service.serving import provider
from service.serving.predictor import model_block
from service.web import bp
from service.web.calibration import quarters_of
from service.web.session import actor
from service.web.session import login_required
from service.web.units import UNIT_ID
from service.web.units import chosen_period


@bp.get(f"/units/{UNIT_ID}/fairness")
@login_required(*READERS)
def fairness(unit_id: int) -> str:
    """Ratings and risk flags by group, and the raters' gender gaps, for the period asked
    (last year by default)."""
    session, caller = get_session(), actor()
    unit = policy.visible_unit(session, caller, unit_id)
    period = chosen_period()
    model = provider().risk.announced()
    version = model.version if model is not None else None
    report = rating_fairness(session, caller, unit_id, period, version)
    session.commit()  # the audit rows of reading the named raters' ratings
    return render_template(
        "web/fairness.html",
        unit=unit,
        period=period,
        report=report,
        min_group=SMALL,
        model=model_block(model, model is None),
        quarters=quarters_of(period),
    )
