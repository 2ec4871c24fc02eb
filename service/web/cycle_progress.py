"""`/units/<id>/progress`: how far an HR unit's employees are in the year's cycle (SKP,
realisations, evaluations), unit by unit, from the use case of `GET /units/{id}/progress`
(hr over the unit, admin)."""

from __future__ import annotations

from datetime import date

from flask import current_app
from flask import render_template
from flask import request
from flask_babel import format_date

from service.api.window_reopenings import window_settings
from service.auth import policy
from service.db import get_session
from service.domain.cycle_progress import PLAN_STATES
from service.domain.cycle_progress import cycle_progress
from service.domain.entities import PeriodKind
from service.domain.errors import Invalid
from service.domain.periods import Period
from service.web import bp
from service.web.forms import query_offset
from service.web.session import actor
from service.web.session import login_required
from service.web.units import MANAGERS
from service.web.units import UNIT_ID


@bp.get(f"/units/{UNIT_ID}/progress")
@login_required(*MANAGERS)
def cycle_progress_page(unit_id: int) -> str:
    """The year asked for in `?year=` (this year by default), one page of units."""
    session, caller = get_session(), actor()
    unit = policy.visible_unit(session, caller, unit_id)
    year, offset = chosen_year(), query_offset()
    limit = current_app.config["WEB_PAGE_SIZE"]
    settings = window_settings()
    progress = cycle_progress(session, caller, unit_id, year, limit, offset, settings)
    return render_template(
        "web/cycle_progress.html",
        unit=unit,
        year=year,
        progress=progress,
        deadline=format_date(settings.skp_deadline_of(year), format="long"),
        plan_states=list(reversed(PLAN_STATES)),
        offset=offset,
        limit=limit,
    )


def chosen_year() -> int:
    """`?year=` checked (1990-2100), else this year: the cycle being run."""
    asked = request.args.get("year", "").strip()
    if not asked:
        return date.today().year
    if not asked.isdigit():
        raise Invalid.field("year", f"must be a year such as 2025; got {asked!r}")
    return Period.of(PeriodKind.YEAR, int(asked), 1, field="year").year
