"""The quarterly simulation of one chunk: the loop that ties the causal equations together.

Order within quarter t: (in the first quarter of a year, or of the history) the year's SKP
plans -> motivation m_t -> attendance behaviour and monthly counts -> fit of the true levels in
force -> true performance w_t -> ratings and predikat (kind `periodik`, rated by the
supervisor) -> realisations, feedback notes, unit grades -> assessments of the levels in
force -> enrolments and completions (levels for t+1) -> truth: p_poor_next for t, except in
the last quarter. See `causal.py` for the equations.

Attendance: working days are the month's weekdays minus an average count of national
holidays, less the person's leave days (Poisson, mean 0.7); each working day is missed with
probability logistic(-3.3 - 0.8 att) and, when present, late with logistic(-2.0 - 0.7 att).

Unit grades: the organisation predikat of each unit per quarter follows its members' mean
true performance plus noise; it has no effect on individual ratings.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from dataclasses import field

import numpy as np

from service.db.models import BEHAVIOR_COLUMNS
from service.domain.entities import EvaluationKind
from service.domain.entities import OrganisationGrade
from service.domain.entities import PredikatSource
from service.domain.periods import Period
from training.synthetic import causal
from training.synthetic import continuous
from training.synthetic import development
from training.synthetic import plans
from training.synthetic.catalogue import Catalogue
from training.synthetic.ids import IdBlock
from training.synthetic.organisation import Organisation
from training.synthetic.people import People
from training.synthetic.writer import Batch

#: Average national holidays (hari libur nasional and cuti bersama) per calendar month.
HOLIDAYS = (1, 1, 2, 2, 3, 1, 1, 1, 1, 0, 0, 2)
#: Pseudo-members at performance 0 that keep a small unit's grade from swinging widely.
UNIT_SHRINKAGE = 3
#: Unit grade thresholds on the unit's mean performance (plus noise), best first.
UNIT_GRADE_CUTS = (
    (0.45, OrganisationGrade.ISTIMEWA),
    (-0.45, OrganisationGrade.BAIK),
    (-0.75, OrganisationGrade.BUTUH_PERBAIKAN),
    (-1.0, OrganisationGrade.KURANG),
)


@dataclass
class Chunk:
    """Everything one agency's simulation needs; `shift` is each person's rater shift."""

    org: Organisation
    people: People
    ids: IdBlock
    catalogue: Catalogue
    periods: list[Period]
    shift: np.ndarray
    #: The stream of the continuous-performance records (`continuous.py`); None skips them.
    signals: np.random.Generator | None = None


@dataclass
class _State:
    """What carries over from one quarter to the next (besides the true levels)."""

    motivation: np.ndarray
    eligible: np.ndarray
    jp_this_year: np.ndarray
    completed: np.ndarray
    plan: plans.YearPlan | None = None
    pending: continuous.Pending = field(default_factory=continuous.Pending)


def simulate(
    chunk: Chunk, rng: np.random.Generator, params: causal.CausalParams = causal.PARAMS
) -> Iterator[Batch]:
    """Yield every history row of the chunk, quarter by quarter, parents before children."""
    people = chunk.people
    state = _State(
        motivation=rng.standard_normal(len(people)),
        eligible=development.eligibility(people, chunk.catalogue),
        jp_this_year=np.zeros(len(people)),
        completed=np.zeros(0, dtype=np.int64),
    )
    yield truth_levels(chunk, chunk.periods[0].previous())
    for t, period in enumerate(chunk.periods):
        last = t == len(chunk.periods) - 1
        if state.plan is None or period.index == 1:
            batches, state.plan = plans.plan_year(
                period.year, people, chunk.ids, chunk.org.unit_topic, rng
            )
            state.jp_this_year[:] = 0
            yield from batches
        yield from _perform(chunk, state, period, rng, params)
        yield from _develop(chunk, state, period, last, rng)
        if not last:
            yield truth_risk(chunk, period, state.motivation, params)
        if last or period.index == 4:
            yield truth_levels(chunk, period)
    if chunk.signals is not None:
        yield continuous.close(chunk.ids, state.pending, chunk.signals)


def _perform(
    chunk: Chunk,
    state: _State,
    period: Period,
    rng: np.random.Generator,
    params: causal.CausalParams,
) -> Iterator[Batch]:
    """The quarter's work: motivation, attendance, performance, ratings and their records."""
    people, plan = chunk.people, state.plan
    assert plan is not None
    state.motivation = causal.next_motivation(state.motivation, rng, params)
    attendance = causal.attendance_latent(state.motivation, rng, params)
    yield attendance_months(chunk, period, attendance, rng)
    fit = causal.competency_fit(people.levels, people.required, people.weights, params)
    work = causal.performance(people.ability, state.motivation, fit, attendance, rng, params)
    codes = causal.rate_period(
        work, people.disposition, state.motivation, chunk.shift, rng, params
    )
    yield evaluations(chunk, period, *codes)
    yield plans.realisations(plan, work, period, chunk.ids, rng)
    yield plans.feedback_notes(plan, work, people, period, chunk.ids, rng)
    yield unit_grades(chunk, period, work, rng)
    if chunk.signals is not None:
        yield from _signals(chunk, state, period, work)


def _signals(chunk: Chunk, state: _State, period: Period, work: np.ndarray) -> Iterator[Batch]:
    """The quarter's continuous-performance records, from their own stream."""
    signals = chunk.signals
    assert signals is not None
    m = state.motivation
    yield continuous.activity_logs(chunk.ids, chunk.ids.employees, period, m, signals)
    yield from continuous.feedback360(chunk, period, m, signals)
    yield from continuous.dialogues(chunk, period, work, m, state.pending, signals)


def _develop(
    chunk: Chunk, state: _State, period: Period, last: bool, rng: np.random.Generator
) -> Iterator[Batch]:
    """Assess the levels in force, then enrol and complete (levels for the next quarter)."""
    people, catalogue = chunk.people, chunk.catalogue
    due = development.due_for_assessment(people, period, state.completed, rng)
    yield from development.assess(people, due, period, chunk.ids, catalogue, rng)
    who, programs = development.choose_enrolments(
        people, state.eligible, state.jp_this_year, period, catalogue, rng
    )
    enrolments, state.completed, jp = development.complete(
        people, who, programs, period, last, chunk.ids, catalogue, rng
    )
    state.jp_this_year[state.completed] += jp
    yield enrolments


def attendance_months(
    chunk: Chunk, period: Period, attendance: np.ndarray, rng: np.random.Generator
) -> Batch:
    """Monthly attendance rows of the quarter for everyone."""
    n = len(attendance)
    months, work, present, late = [], [], [], []
    absent_p = 1 / (1 + np.exp(3.3 + 0.8 * attendance))
    late_p = 1 / (1 + np.exp(2.0 + 0.7 * attendance))
    for month in range(period.starts_on.month, period.ends_on.month + 1):
        first = np.datetime64(f"{period.year}-{month:02d}", "M")
        days = np.busday_count(first, first + np.timedelta64(1, "M")) - HOLIDAYS[month - 1]
        work_days = np.maximum(days - np.minimum(rng.poisson(0.7, n), 10), 0)
        here = rng.binomial(work_days, 1 - absent_p)
        months.append(np.full(n, f"{period.year}-{month:02d}"))
        work.append(work_days)
        present.append(here)
        late.append(rng.binomial(here, late_p))
    return Batch(
        "attendance",
        {
            "id": chunk.ids.take("attendance", 3 * n),
            "employee_id": np.tile(chunk.ids.employees, 3),
            "month": np.concatenate(months),
            "work_days": np.concatenate(work),
            "present_days": np.concatenate(present),
            "late_days": np.concatenate(late),
        },
    )


def evaluations(
    chunk: Chunk, period: Period, work: np.ndarray, behavior: np.ndarray, values: np.ndarray
) -> Batch:
    """The quarter's periodik evaluation of everyone; predikat from the regulation's matrix."""
    n = len(work)
    labels = np.array([rating.value for rating in causal.RATINGS], dtype=object)
    columns = {
        "id": chunk.ids.take("evaluations", n),
        "employee_id": chunk.ids.employees,
        "period": np.full(n, period.code),
        "kind": np.full(n, EvaluationKind.PERIODIK.value),
        "work_result_rating": labels[work],
        "behavior_rating": labels[behavior],
    }
    for j, column in enumerate(BEHAVIOR_COLUMNS.values()):
        columns[column] = labels[values[:, j]]
    columns["predikat"] = causal.predikat_table()[work, behavior]
    columns["predikat_source"] = np.full(n, PredikatSource.MATRIX.value)
    columns["rater_id"] = chunk.ids.supervisors(chunk.people.supervisor)
    return Batch("evaluations", columns)


def unit_grades(chunk: Chunk, period: Period, work: np.ndarray, rng: np.random.Generator) -> Batch:
    """Organisation predikat per unit, from members' (shrunken) mean performance plus noise."""
    units = chunk.org.n_units
    size = np.bincount(chunk.people.unit, minlength=units)
    total = np.bincount(chunk.people.unit, weights=work, minlength=units)
    score = total / (size + UNIT_SHRINKAGE) + 0.15 * rng.standard_normal(units)
    grade = np.full(units, OrganisationGrade.SANGAT_KURANG.value, dtype=object)
    for cut, value in reversed(UNIT_GRADE_CUTS):
        grade[score > cut] = value.value
    parent = chunk.org.unit_parent
    return Batch(
        "unit_grades",
        {
            "id": chunk.ids.take("unit_grades", units),
            "unit_id": chunk.ids.units,
            "period": np.full(units, period.code),
            "grade": grade,
            "basis": np.full(units, "Capaian perjanjian kinerja triwulan"),
            "set_by_id": chunk.ids.supervisors(parent),
        },
    )


def truth_risk(
    chunk: Chunk, period: Period, motivation: np.ndarray, params: causal.CausalParams
) -> Batch:
    """True p(poor predikat next quarter) from the hidden state at the end of `period`."""
    people = chunk.people
    fit_next = causal.competency_fit(people.levels, people.required, people.weights, params)
    p = causal.p_poor_next(
        people.ability, people.disposition, motivation, fit_next, chunk.shift, params
    )
    return Batch(
        "truth_risk",
        {
            "employee_id": chunk.ids.employees,
            "period": np.full(len(people), period.code),
            "p_poor_next": p,
        },
    )


def truth_levels(chunk: Chunk, period: Period) -> Batch:
    """True levels of each person's standard competencies at the end of `period`."""
    rows, columns = np.nonzero(chunk.people.required > 0)
    return Batch(
        "truth_levels",
        {
            "employee_id": chunk.ids.employees[rows],
            "period": np.full(len(rows), period.code),
            "competency_code": np.array(chunk.catalogue.competency_codes, dtype=object)[columns],
            "level": chunk.people.levels[rows, columns],
        },
    )
