"""The evaluation sheet (*dokumen evaluasi kinerja pegawai*): one evaluation as the signed
document the regulation's appendix prints.

A rater and an employee sign the evaluation on paper or as a PDF in most agencies, and the
appendix prints the unit's predikat distribution (*kurva distribusi*) on each sheet
(domain.md 3.4-3.5). The sheet gathers what that page holds from the stored records: who
was evaluated and by whom (and the rater's own superior, the *atasan pejabat penilai*
who decides an objection), the SKP of the evaluation's year with what was realised inside
the evaluated period, the two ratings, the seven BerAKHLAK values, the predikat and the
rater's feedback, and the distribution of the unit grade that covers the employee.

Who may read it is the evaluation's own rule (`evaluations.read_evaluation`, audited).
The signatories' names, NIPs and positions are printed for whoever may read the
evaluation, as on paper, without giving access to their records. The distribution is
counts only, and below `policy.SMALL_GROUP` people evaluated they are shown only to
whoever may read the unit grade report itself (hr over the unit, admin): with their own
predikat, the counts of a unit of three would tell an employee, or a supervisor, their
colleagues' predikat.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from service.auth import policy
from service.db.models import Indicator
from service.db.models import Realisation
from service.db.models import Rhk
from service.db.models import Skp
from service.db.repositories import evaluation_sheet as repo
from service.domain.audit import Actor
from service.domain.entities import Predikat
from service.domain.evaluations import read_evaluation
from service.domain.periods import Period
from service.domain.periods import parse_period
from service.domain.plans import rhk_details
from service.domain.settings import RuleSettings
from service.domain.unit_grades import GradeReport
from service.domain.unit_grades import covering_grade_report


@dataclass(frozen=True)
class Signatory:
    """A person named on the sheet: what a signature block prints."""

    employee_id: int
    name: str
    nip: str
    grade: str | None
    position: str
    unit: str


@dataclass(frozen=True)
class IndicatorLine:
    """One indicator of the plan and what was realised in the evaluated period."""

    indicator: Indicator
    realised: list[tuple[str, Any]]  # (period code, value or text), oldest first


@dataclass(frozen=True)
class RhkLines:
    rhk: Rhk
    indicators: list[IndicatorLine]


@dataclass(frozen=True)
class Distribution:
    """The predikat counts of the unit grade covering the employee (None: withheld)."""

    report: GradeReport
    unit: str
    counts: dict[Predikat, int] | None


@dataclass(frozen=True)
class EvaluationSheet:
    evaluation: Any  # the stored row `read_evaluation` gives
    period: Period
    employee: Signatory
    rater: Signatory | None
    rater_superior: Signatory | None
    plan: Skp | None
    lines: list[RhkLines]
    distribution: Distribution | None


def evaluation_sheet(
    session: Session, actor: Actor, evaluation_id: int, settings: RuleSettings | None = None
) -> EvaluationSheet:
    """The sheet of one evaluation the actor may read (404 otherwise; the read is audited);
    without `settings`, no distribution (what a signature vouches for leaves it out)."""
    evaluation = read_evaluation(session, actor, evaluation_id)
    period = parse_period(evaluation.period)
    employee = _signatory(session, evaluation.employee_id)
    if employee is None:  # the evaluation's employee exists: the read found it
        raise LookupError(f"employee {evaluation.employee_id} vanished")
    rater = _signatory(session, evaluation.rater_id)
    superior_id = repo.supervisor_of(session, evaluation.rater_id)
    plan = repo.plan_of_year(session, evaluation.employee_id, period.year)
    return EvaluationSheet(
        evaluation=evaluation,
        period=period,
        employee=employee,
        rater=rater,
        rater_superior=_signatory(session, superior_id),
        plan=plan,
        lines=_lines(session, plan, period) if plan is not None else [],
        distribution=None
        if settings is None
        else _distribution(session, actor, evaluation.employee_id, period, settings),
    )


def _signatory(session: Session, employee_id: int | None) -> Signatory | None:
    if employee_id is None:
        return None
    row = repo.signatory_row(session, employee_id)
    return Signatory(*row) if row is not None else None


def _lines(session: Session, plan: Skp, period: Period) -> list[RhkLines]:
    """The plan's RHK and indicators, each with its realisations inside `period`."""
    realised: dict[int, list[tuple[str, Any]]] = {}
    for row in repo.realisations_of_plan(session, plan.id):
        if _within(row, period):
            value = row.value if row.value is not None else row.text
            realised.setdefault(row.indicator_id, []).append((row.period, value))
    return [
        RhkLines(
            item.rhk,
            [IndicatorLine(i, _in_order(realised.get(i.id, []))) for i in item.indicators],
        )
        for item in rhk_details(session, plan)
    ]


def _within(row: Realisation, period: Period) -> bool:
    part = parse_period(row.period)
    return period.starts_on <= part.starts_on and part.ends_on <= period.ends_on


def _in_order(items: Sequence[tuple[str, Any]]) -> list[tuple[str, Any]]:
    return sorted(items, key=lambda item: parse_period(item[0]).starts_on)


def _distribution(
    session: Session, actor: Actor, employee_id: int, period: Period, settings: RuleSettings
) -> Distribution | None:
    found = covering_grade_report(session, employee_id, period.code, settings)
    if found is None:
        return None
    report, unit_name = found
    shown = report.size >= policy.SMALL_GROUP or policy.unit_in_scope(
        session, actor, report.grade.unit_id
    )
    return Distribution(report, unit_name, report.counts if shown else None)
