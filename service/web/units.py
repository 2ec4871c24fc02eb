"""`/units/<id>/training-needs`: an HR unit's aggregated gaps, proposed programmes, JP
compliance and the predikat distribution check, with spreadsheet exports.

Everything shown is aggregated or comes from the same use cases as the API's unit routes
(`GET /units/{id}/training-needs`, `GET /units/{id}/grades/{period}`,
`GET /units/{id}/evaluations/export`), with the same access rules (hr: its units and below).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Response
from flask import current_app
from flask import flash
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy.orm import Session

from service.api.allowance import allowance_rules
from service.api.exports import MEDIA_TYPES
from service.api.http import rule_settings
from service.api.schemas.skp_templates import UnitSkpsIn
from service.auth import policy
from service.db import get_session
from service.db.models import SkpDraftingRun
from service.domain.allowance_report import export_allowance
from service.domain.audit import Actor
from service.domain.entities import PeriodKind
from service.domain.entities import Predikat
from service.domain.entities import Role
from service.domain.errors import Invalid
from service.domain.errors import NotFound
from service.domain.evaluations import export_unit_evaluations
from service.domain.periods import parse_period
from service.domain.periods import period_of
from service.domain.recommender_data import load_catalogue
from service.domain.skp_templates import Drafting
from service.domain.skp_templates import SkippedGroup
from service.domain.skp_templates import SkipReason
from service.domain.skp_templates import draft_unit_skps
from service.domain.skp_templates import drafting_run
from service.domain.skp_templates import undrafted_employees
from service.domain.training_plan import DEFAULT_SEATS
from service.domain.training_plan import Need
from service.domain.training_plan import TrainingPlan
from service.domain.training_plan import plan_workbook
from service.domain.training_plan import unit_training_plan
from service.domain.unit_grades import GradeReport
from service.domain.unit_grades import unit_grade_report
from service.routing import id_segment
from service.serving import served_recommender
from service.web import bp
from service.web.charts import BarChart
from service.web.charts import Item
from service.web.charts import hbar_chart
from service.web.forms import is_id
from service.web.forms import query_offset
from service.web.forms import validated
from service.web.i18n import localized
from service.web.i18n import number
from service.web.i18n import tick
from service.web.session import actor
from service.web.session import login_required

UNIT_ID = id_segment("unit_id")
MANAGERS = (Role.ADMIN, Role.HR)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
GAP_CHART_ROWS = 15
HEAT_STEPS = 4


def chosen_period() -> str:
    """The period asked for in `?period=` (checked), else last year (annual evaluations)."""
    asked = request.args.get("period", "").strip()
    if asked:
        return parse_period(asked).code
    return period_of(date.today(), PeriodKind.YEAR).previous().code


@bp.get(f"/units/{UNIT_ID}/training-needs")
@login_required(*MANAGERS)
def training_needs(unit_id: int) -> str:
    """Show the unit's gaps, proposed programmes, JP compliance and distribution check."""
    session, caller = get_session(), actor()
    unit = policy.visible_unit(session, caller, unit_id)
    period = chosen_period()
    plan = training_plan(session, caller, unit_id, parse_period(period).year)
    context: dict[str, Any] = {
        "unit": unit,
        "period": period,
        "plan": plan,
        "plan_args": plan_arguments(period),
        "heat": heat_levels(plan),
        "gap_chart": gap_chart(plan),
        "programs_offset": query_offset("programs_offset"),
        "below_offset": query_offset("below_offset"),
        "page_size": current_app.config["WEB_PAGE_SIZE"],
        "employee_href": url_for("web.employee", employee_id=0).removesuffix("0"),
        "distribution": distribution(session, caller, unit_id, period),
        "predikats": list(Predikat),
        "catalogue": {p.code: p for p in load_catalogue(session).programs},
        "skp_year": date.today().year,
    }
    session.commit()
    return render_template("web/training_needs.html", **context)


def plan_arguments(period: str) -> dict[str, Any]:
    """The page's own query arguments, kept by its links (pages, downloads)."""
    asked = {name: request.args.get(name) for name in ("jp_budget", "max_seats")}
    return {"period": period, **{name: value for name, value in asked.items() if value}}


def heat_levels(plan: TrainingPlan) -> dict[str, dict[str, int]]:
    """Colour step 0-4 of each need's share below standard and mean gap (numbers shown too)."""
    top_share = max((_share(need) for need in plan.needs), default=0.0)
    top_gap = max((need.mean_gap for need in plan.needs), default=0.0)
    return {
        need.competency: {
            "share": _step(_share(need), top_share),
            "gap": _step(need.mean_gap, top_gap),
        }
        for need in plan.needs
    }


def _share(need: Need) -> float:
    return need.below_standard / need.employees if need.employees else 0.0


def _step(value: float, top: float) -> int:
    return 0 if top <= 0 or value <= 0 else min(HEAT_STEPS, 1 + int(value / top * HEAT_STEPS))


def gap_chart(plan: TrainingPlan, top: int = GAP_CHART_ROWS) -> BarChart | None:
    """Horizontal bars of the total gap of the competencies with the largest gaps."""
    needs = [need for need in plan.needs if need.total_gap > 0][:top]
    if not needs:
        return None
    items = [
        Item(
            localized(need, "name"),
            need.total_gap,
            f"{need.competency}: {number(need.total_gap, 1)}",
        )
        for need in needs
    ]
    return hbar_chart(items, left=260, fmt=tick)


@bp.get(f"/units/{UNIT_ID}/training-needs.xlsx")
@login_required(*MANAGERS)
def export_training_plan(unit_id: int) -> Response:
    """Download the unit's training plan: needs, programmes with participants, below 20 JP."""
    session = get_session()
    year = parse_period(chosen_period()).year
    plan = training_plan(session, actor(), unit_id, year, export=True)
    session.commit()
    return _download(plan_workbook(plan), f"training-needs-unit{unit_id}-{year}.xlsx")


def training_plan(
    session: Session, caller: Actor, unit_id: int, year: int, *, export: bool = False
) -> TrainingPlan:
    """Call the use case as `GET /units/{id}/training-needs` does, with the served model."""
    gains, model = served_recommender()
    return unit_training_plan(
        session,
        caller,
        unit_id,
        jp_budget=request.args.get("jp_budget", type=float),
        max_seats=request.args.get("max_seats", DEFAULT_SEATS, type=int),
        year=year,
        settings=rule_settings(),
        gains=gains,
        model=model,
        export=export,
    )


def distribution(session: Session, caller: Actor, unit_id: int, period: str) -> GradeReport | None:
    """Return the unit's grade and distribution warnings, or None when no grade is set."""
    try:
        return unit_grade_report(session, caller, unit_id, period, rule_settings())
    except NotFound:
        return None


@bp.get(f"/units/{UNIT_ID}/evaluations.xlsx")
@login_required(*MANAGERS)
def export_evaluations(unit_id: int) -> Response:
    """Download the unit's evaluations of a period (the file the import reads back), as
    `GET /units/{id}/evaluations/export` gives it: each exported employee's read audited."""
    session = get_session()
    period = chosen_period()
    content = export_unit_evaluations(session, actor(), unit_id, period, "xlsx")
    session.commit()
    return _download(content, f"evaluations-unit{unit_id}-{period}.xlsx")


@bp.get(f"/units/{UNIT_ID}/allowance.<any(csv, xlsx):fmt>")
@login_required(*MANAGERS)
def export_allowance_lines(unit_id: int, fmt: str) -> Response:
    """Download the unit's allowance percentages of a period for payroll, as
    `GET /units/{id}/allowance/export` gives them (the agency's configured rule)."""
    session = get_session()
    period = chosen_period()
    content = export_allowance(session, actor(), unit_id, period, fmt, allowance_rules())
    session.commit()
    return _download(content, f"allowance-unit{unit_id}-{period}.{fmt}", MEDIA_TYPES[fmt])


@bp.post(f"/units/{UNIT_ID}/skps")
@login_required(*MANAGERS)
def draft_skps(unit_id: int) -> Response:
    """Draft the year's SKP of the unit's employees from their positions' templates, as
    `POST /api/v1/units/{id}/skps` does, and say what was made and who was skipped why."""
    session = get_session()
    try:
        asked = _drafting_asked()
    except Invalid:
        flash(_("Give the year of the SKPs, such as 2026."), "error")
    else:
        result = draft_unit_skps(session, actor(), unit_id, asked.year, asked.include_subunits)
        session.commit()
        for category, message in drafting_messages(result, asked.year):
            flash(message, category)
        if result.skipped:  # name them: who got no draft, and why, as this run decided
            subunits = "on" if asked.include_subunits else None
            target = url_for(
                "web.undrafted",
                unit_id=unit_id,
                year=asked.year,
                include_subunits=subunits,
                run=result.id,
            )
            return redirect(target, code=303)
    return redirect(url_for("web.training_needs", unit_id=unit_id), code=303)


@bp.get(f"/units/{UNIT_ID}/skps")
@login_required(*MANAGERS)
def undrafted(unit_id: int) -> str:
    """Who of the unit's employees has no SKP of `?year=` and gets no draft, by reason,
    named with NIP and linked, one page (`?<reason>_offset=`) per reason. With `?run=`
    (where drafting leads when it skipped anyone): whom that run skipped, as it decided;
    without, whom the rule skips on the data as it stands."""
    limit = current_app.config["WEB_PAGE_SIZE"]
    offsets = {reason: query_offset(f"{reason}_offset") for reason in SkipReason}
    if "run" in request.args:
        return _drafting_run_page(unit_id, limit, offsets)
    asked = _drafting_asked()
    session = get_session()
    unit, groups = undrafted_employees(
        session, actor(), unit_id, asked.year, asked.include_subunits, limit, offsets
    )
    session.commit()  # the audit rows of the people named
    return _drafting_page(unit, asked.year, asked.include_subunits, groups, limit, None)


def _drafting_run_page(unit_id: int, limit: int, offsets: dict[SkipReason, int]) -> str:
    """The page of one drafting run of the unit (404 for none of this unit)."""
    run_id = request.args.get("run", type=int)
    if not is_id(run_id):
        raise NotFound(f"no SKP drafting run {request.args.get('run')!r}")
    session = get_session()
    unit, run, groups = drafting_run(session, actor(), unit_id, run_id, limit, offsets)
    session.commit()  # the audit rows of the people named
    return _drafting_page(unit, run.year, run.include_subunits, groups, limit, run)


def _drafting_page(
    unit: Any,
    year: int,
    include_subunits: bool,
    groups: list[SkippedGroup],
    limit: int,
    run: SkpDraftingRun | None,
) -> str:
    return render_template(
        "web/skp_drafting.html",
        unit=unit,
        year=year,
        include_subunits="on" if include_subunits else None,
        groups=[(group, skip_message(group.reason, group.total)) for group in groups],
        page_size=limit,
        run=run,
    )


def _drafting_asked() -> UnitSkpsIn:
    """The year and `include_subunits` ("on") of the drafting form, or of the query of the
    page naming whom it skipped, checked by the API's schema (Invalid)."""
    form = {
        "year": request.values.get("year", type=int),
        "include_subunits": request.values.get("include_subunits") == "on",
    }
    return validated(UnitSkpsIn, form)


def drafting_messages(result: Drafting, year: int) -> list[tuple[str, str]]:
    """What a bulk drafting made and, per reason, how many employees it skipped."""
    made = ngettext(
        "%(num)s draft SKP for %(year)s created from the position templates.",
        "%(num)s draft SKPs for %(year)s created from the position templates.",
        result.created,
        year=year,
    )
    messages = [("success", made)]
    counts: dict[SkipReason, int] = {}
    for item in result.skipped:
        counts[item.reason] = counts.get(item.reason, 0) + 1
    for reason, count in counts.items():
        messages.append(("warning", skip_message(reason, count)))
    return messages


def skip_message(reason: SkipReason, count: int) -> str:
    """How many employees were skipped for `reason`, in the user's language."""
    if reason is SkipReason.HAS_SKP:
        return ngettext(
            "%(num)s employee already has an SKP for the year.",
            "%(num)s employees already have an SKP for the year.",
            count,
        )
    if reason is SkipReason.NO_TEMPLATE:
        return ngettext(
            "%(num)s employee skipped: their position has no SKP template.",
            "%(num)s employees skipped: their positions have no SKP template.",
            count,
        )
    if reason is SkipReason.NO_SUPERVISOR:
        return ngettext(
            "%(num)s employee skipped: no direct supervisor to rate the SKP.",
            "%(num)s employees skipped: no direct supervisor to rate the SKP.",
            count,
        )
    return ngettext(
        "%(num)s employee skipped: their supervisor is no longer active.",
        "%(num)s employees skipped: their supervisors are no longer active.",
        count,
    )


def _download(content: bytes, filename: str, content_type: str = XLSX) -> Response:
    response = Response(content, content_type=content_type)  # CSV's names its charset
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
