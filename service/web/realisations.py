"""The realisation form on the employee page: the plan's employee or rater records what was
achieved in a period, through the use case of `POST /skps/{id}/realisations`.

The form offers only the periods whose evidence may still change
(`entry_windows.period_standings`), each with the last day it is open; when none is, the page
says when the window closed instead of showing a form that would fail.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from flask import Response
from flask import flash
from flask import redirect
from flask import request
from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from service.api.schemas.performance import RealisationIn
from service.api.window_reopenings import window_settings
from service.auth.policy import PEOPLE
from service.db import get_session
from service.domain.audit import Actor
from service.domain.entities import SkpStatus
from service.domain.entry_windows import period_standings
from service.domain.errors import Conflict
from service.domain.errors import Invalid
from service.domain.errors import ReasonId
from service.domain.plans import SkpDetail
from service.domain.plans import read_skp
from service.domain.plans import record_realisation
from service.routing import id_segment
from service.web import bp
from service.web.continuous_forms import TEXT_MAX_CHARS
from service.web.forms import FIELD_HELP
from service.web.forms import field_messages
from service.web.forms import validated
from service.web.idempotency import once
from service.web.reasons import MESSAGES
from service.web.reasons import describe
from service.web.session import actor
from service.web.session import login_required

SKP_ID = id_segment("skp_id")
#: What to give instead of a field the form's schema refused (`forms.field_messages`).
FORM_HELP: Mapping[str, Any] = {
    "indicator_id": MESSAGES[ReasonId.INDICATOR_NOT_IN_PLAN],
    "period": FIELD_HELP["period"],
    "value": _l("Give the value as a number."),
    "text": FIELD_HELP["feedback"],
    "evidence": _l("Give the evidence as a web address starting with https://."),
}


@dataclass(frozen=True)
class RealisationForm:
    """What the form offers: the plan's indicators, the open periods with their last day
    (None: no window), and when none is open, the day the last window closed."""

    skp_id: int
    indicators: list[tuple[int, str]]
    open_periods: list[tuple[str, date | None]]
    closed_on: date | None
    grace_days: int | None


def realisation_form(session: Session, caller: Actor, detail: SkpDetail) -> RealisationForm | None:
    """The form for the plan's employee or rater on an approved plan, else None."""
    skp = detail.skp
    writer = caller.is_self(skp.employee_id) or skp.rater_id == caller.employee_id
    if not writer or skp.status is not SkpStatus.DITETAPKAN:
        return None
    settings = window_settings()
    standings = period_standings(session, skp.employee_id, skp.year, settings)
    open_periods = [(p.code, s.open_until) for p, s in standings if s.open]
    closes = [s.closes_on for _, s in standings if not s.open and s.closes_on is not None]
    indicators = [
        (indicator.id, f"{item.rhk.description}: {indicator.description}")
        for item in detail.rhks
        for indicator in item.indicators
    ]
    closed_on = max(closes) if closes and not open_periods else None
    return RealisationForm(skp.id, indicators, open_periods, closed_on, settings.grace_days)


@bp.post(f"/skps/{SKP_ID}/realisations")
@login_required(*PEOPLE)
@once
def record(skp_id: int) -> Response:
    """Record a realisation from the employee page's form; back to that page (303)."""
    session, caller = get_session(), actor()
    detail = read_skp(session, caller, skp_id)
    form = request.form
    raw = {
        "indicator_id": form.get("indicator_id", type=int),
        "period": form.get("period", "").strip(),
        "value": form.get("value", type=float),
        "text": form.get("text", "").strip()[: TEXT_MAX_CHARS + 1] or None,
        "evidence": [{"uri": uri} for uri in [form.get("evidence_uri", "").strip()] if uri],
    }
    try:
        data = validated(RealisationIn, raw).model_dump()
        record_realisation(session, caller, skp_id, data, window_settings())
    except (Invalid, Conflict) as exc:
        session.rollback()
        flash(_("The realisation was not recorded. %(why)s", why=_why(exc)), "error")
    else:
        session.commit()
        flash(_("The realisation was recorded."), "success")
    return redirect(url_for("web.employee", employee_id=detail.skp.employee_id), code=303)


def _why(exc: Invalid | Conflict) -> str:
    """Why the form was refused, in the user's language: the domain's reason
    (`web.reasons`), or for a field the form's schema refused, what to give instead."""
    if exc.reason is None and isinstance(exc, Invalid) and exc.errors:
        return " ".join(dict.fromkeys(field_messages(exc, FORM_HELP).values()))
    return describe(exc)
