"""`/employees/<id>`: one employee's outlook, plan, ratings, gaps, programmes and JP.

The employee sees themselves; supervisors, HR and admin see whom the access policy lets them
(the use cases answer 404 otherwise, exactly as the API does). Every section is one use case
of the API; this module only arranges their answers for the page.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from flask import render_template
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from service.api.http import rule_settings
from service.api.objections import objection_settings
from service.auth.policy import PEOPLE
from service.db import get_session
from service.db.repositories import development as dev_repo
from service.domain.audit import Actor
from service.domain.competency import LEVEL_MAX
from service.domain.competency import CompetencyGap
from service.domain.development import JpStatus
from service.domain.development import jp_status
from service.domain.entities import EnrolmentStatus
from service.domain.entities import Predikat
from service.domain.evaluations import list_evaluations
from service.domain.objections import filing_standings
from service.domain.organisation import read_employee
from service.domain.outlook import outlook_actions
from service.domain.plans import SkpDetail
from service.domain.plans import list_realisations
from service.domain.plans import list_skps
from service.domain.recommendations import recommend_trainings
from service.domain.records import EnrolmentDetail
from service.domain.records import list_enrolments
from service.domain.risk import employee_risk
from service.domain.settings import RuleSettings
from service.features.catalogue import MIN_EVALUATED_PERIODS
from service.features.catalogue import PREDIKAT_SCORE
from service.routing import id_segment
from service.serving import provider
from service.serving import served_recommender
from service.web import bp
from service.web.charts import BarChart
from service.web.charts import Item
from service.web.charts import bar_chart
from service.web.charts import hbar_chart
from service.web.i18n import label
from service.web.i18n import localized
from service.web.i18n import number
from service.web.i18n import tick
from service.web.realisations import realisation_form
from service.web.session import actor
from service.web.session import login_required

#: Enough for every period of one employee's career (the API's maximum page).
HISTORY_LIMIT = 1000
EMPLOYEE_ID = id_segment("employee_id")
RECOMMENDATIONS = 5
DICTIONARY_LIMIT = 1000


@dataclass(frozen=True)
class PlanProgress:
    """The latest SKP: its indicators, what was realised per period, and the chart."""

    detail: SkpDetail
    periods: list[str]
    values: dict[int, dict[str, Any]]
    chart: BarChart


@bp.get(f"/employees/{EMPLOYEE_ID}")
@login_required(*PEOPLE)
def employee(employee_id: int) -> str:
    """Show an employee's plan progress, predikat history, gaps, programmes and JP."""
    session, caller = get_session(), actor()
    person = read_employee(session, caller, employee_id)
    context = {
        "person": person,
        **outlook(session, caller, employee_id),
        "plan": plan_progress(session, caller, employee_id),
        **history(session, caller, employee_id),
        **development(session, caller, employee_id),
    }
    plan = context["plan"]
    context["realisation_form"] = realisation_form(session, caller, plan.detail) if plan else None
    context["jp"] = jp_progress(person, context["enrolments"], rule_settings(), date.today())
    session.commit()  # the audit rows of reading someone else's records
    return render_template("web/employee.html", **context)


def outlook(session: Session, caller: Actor, employee_id: int) -> dict[str, Any]:
    """The risk answer (`GET /employees/{id}/risk`) and the actions that would lower it
    (`GET /employees/{id}/outlook`), from the same model provider."""
    models = provider()
    gains, _model = served_recommender()
    return {
        "risk": employee_risk(session, caller, employee_id, models),
        "outlook": outlook_actions(session, caller, employee_id, models, gains=gains),
        "min_periods": MIN_EVALUATED_PERIODS,
    }


def history(session: Session, caller: Actor, employee_id: int) -> dict[str, Any]:
    """The evaluations, oldest first, their predikat chart, and whether the caller may object
    to each (`objections.filing_standing`: the form's link, or why not)."""
    evaluations = list_evaluations(session, caller, employee_id, HISTORY_LIMIT, 0).items
    chart = predikat_chart(evaluations) if evaluations else None
    standings = filing_standings(session, caller, evaluations, objection_settings())
    return {
        "evaluations": evaluations,
        "history_chart": chart,
        "standings": standings,
        "objects": any(standing.own for standing in standings.values()),
    }


def development(session: Session, caller: Actor, employee_id: int) -> dict[str, Any]:
    """Gaps and recommended programmes (the recommendations use case), and enrolments."""
    gains, model = served_recommender()
    recommendations = recommend_trainings(
        session,
        caller,
        employee_id,
        k=RECOMMENDATIONS,
        settings=rule_settings(),
        gains=gains,
        model=model,
    )
    names = competency_names(session)
    enrolments = list_enrolments(session, caller, employee_id, HISTORY_LIMIT, 0).items
    return {
        "recommendations": recommendations,
        "names": names,
        "gap_chart": gap_chart(recommendations.gaps, names),
        "enrolments": enrolments,
        "programmes": programmes_of(session, enrolments),
    }


def programmes_of(session: Session, enrolments: Sequence[EnrolmentDetail]) -> dict[int, Any]:
    """The catalogue entries of the enrolments' programmes, `{training_id: Training}`, so the
    table names each programme (catalogue data, not the employee's: nothing to audit)."""
    return dev_repo.trainings_by_id(session, [e.enrolment.training_id for e in enrolments])


@dataclass(frozen=True)
class JpProgress:
    """Development hours against the yearly JP rule (`development.jp_status`): this year so
    far, and last year as it ended."""

    year: int
    status: JpStatus
    programmes: int
    last_year: JpStatus


def jp_progress(
    person: Any, enrolments: Sequence[EnrolmentDetail], settings: RuleSettings, today: date
) -> JpProgress:
    """Sum the JP of the programmes completed this year (and last) and apply the rule.

    The JP are those recorded with each completed enrolment (`POST /employees/{id}/trainings`
    records the programme's JP on completion); the rule, the pace and the PPPK cap are the
    domain's.
    """
    done = _completed_in(enrolments, today.year)
    last = _completed_in(enrolments, today.year - 1)
    year_end = date(today.year - 1, 12, 31)
    status = person.employment_status
    return JpProgress(
        today.year,
        jp_status(_jp(done), status, today.year, today, settings),
        len(done),
        jp_status(_jp(last), status, today.year - 1, year_end, settings),
    )


def _completed_in(enrolments: Sequence[EnrolmentDetail], year: int) -> list[Any]:
    return [
        item.enrolment
        for item in enrolments
        if item.enrolment.status is EnrolmentStatus.COMPLETED
        and item.enrolment.end_date.year == year
    ]


def _jp(enrolments: list[Any]) -> float:
    return float(sum(enrolment.jp_earned or 0.0 for enrolment in enrolments))


def competency_names(session: Session) -> dict[str, Any]:
    """The competency dictionary as `{code: Competency}` (what `GET /competencies` lists)."""
    page = dev_repo.list_competencies(session, DICTIONARY_LIMIT, 0)
    return {competency.code: competency for competency in page.items}


def gap_chart(gaps: Sequence[CompetencyGap], names: dict[str, Any]) -> BarChart | None:
    """One bar per competency of the standard: the level held, a marker at the level required."""
    if not gaps:
        return None
    items = [_gap_item(gap, names) for gap in gaps]
    return hbar_chart(items, x_max=LEVEL_MAX, left=240, fmt=tick)


def _gap_item(gap: CompetencyGap, names: dict[str, Any]) -> Item:
    known = names.get(gap.competency)
    title = _(
        "%(code)s: level %(current)s of %(required)s required",
        code=gap.competency,
        current="–" if gap.current is None else number(gap.current),
        required=gap.required,
    )
    return Item(
        label=localized(known, "name") if known else gap.competency,
        value=gap.current or 0.0,
        title=title,
        css="bad" if gap.gap > 0 else "good",
        marker=gap.required,
    )


def predikat_chart(evaluations: list[Any]) -> BarChart:
    """Chart one bar per evaluated period, as high as its predikat (Sangat Kurang lowest)."""
    ticks = [(PREDIKAT_SCORE[p.value] + 1, label(p)) for p in Predikat]
    items = [
        Item(
            label=e.period,
            value=PREDIKAT_SCORE[e.predikat.value] + 1,
            title=f"{e.period}: {label(e.predikat)}",
            css=f"predikat-{e.predikat.value}",
        )
        for e in evaluations
    ]
    return bar_chart(items, y_max=max(v for v, _ in ticks), ticks=ticks, left=130)


def plan_progress(session: Session, caller: Actor, employee_id: int) -> PlanProgress | None:
    """Return the latest SKP with its realisations per period, or None without an SKP."""
    skps = list_skps(session, caller, employee_id, HISTORY_LIMIT, 0).items
    if not skps:
        return None
    latest = skps[-1]  # oldest year first
    realisations = list_realisations(session, caller, latest.skp.id, HISTORY_LIMIT, 0).items
    values: dict[int, dict[str, Any]] = defaultdict(dict)
    for item in realisations:
        row = item.realisation
        values[row.indicator_id][row.period] = row.value if row.value is not None else row.text
    periods = sorted({item.realisation.period for item in realisations})
    indicators = sum(len(rhk.indicators) for rhk in latest.rhks)
    chart = bar_chart(
        [
            Item(
                label=period,
                value=sum(period in v for v in values.values()),
                title=_("%(period)s: indicators with a realisation", period=period),
                marker=indicators,
            )
            for period in periods
        ],
        y_max=max(indicators, 1),
    )
    return PlanProgress(latest, periods, dict(values), chart)
