"""A write dated in a period outdates only the stored scores whose features can read it.

A score of period Q reads its employee's records dated up to Q's end (nothing later reaches
its features), so a record dated in period R outdates the person's scores of the periods
ending in R or later; a changed record counts from the earlier of its old and new dates, a
deleted one from its date. Records that cannot be placed in time cheaply (dialogue actions,
an SKP's targets, an employee's grade) still outdate every period. On SQLite and
PostgreSQL, through the session's watch (`serving.freshness`) and the writers that outdate
scores themselves (the bulk evaluation insert, the attendance upsert).

E1 and T have stored scores of 2025-Q2 to 2026-Q1 (the new quarter); S rates both.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC
from datetime import date
from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import func
from sqlalchemy import insert
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.db.models import ActivityLog
from service.db.models import AssessmentLevel
from service.db.models import AttendanceMonth
from service.db.models import CompetencyAssessment
from service.db.models import DialogueAction
from service.db.models import Employee
from service.db.models import Enrolment
from service.db.models import FeedbackRound
from service.db.models import Indicator
from service.db.models import PerformanceDialogue
from service.db.models import Realisation
from service.db.models import Rhk
from service.db.models import RiskScore
from service.db.models import Training
from service.db.repositories.attendance import upsert_months
from service.db.repositories.risk import FORGET_ALL_ABOVE
from service.db.repositories.risk import forget_scores
from service.db.repositories.risk import month_ordinal
from service.domain.entities import DialogueKind
from service.domain.entities import EnrolmentStatus
from service.domain.entities import RhkKind
from service.domain.entities import TrainingMode
from service.domain.evaluation_input import WRITE_COLUMNS
from service.domain.evaluation_input import ensure_period
from service.domain.evaluation_input import insert_evaluations
from service.domain.periods import parse_period
from service.domain.periods import period_of
from tests.factories import make_evaluation
from tests.service.api.world import World
from tests.service.api.world import add_indicator
from tests.service.api.world import add_skp
from tests.service.api.world import build_world

SCORED = ("2025-Q2", "2025-Q3", "2025-Q4", "2026-Q1")
PEOPLE = ("E1", "T")
NEW = date(2026, 1, 15)  # in the new quarter, 2026-Q1
LAST = date(2025, 11, 10)  # in the last scored quarter, 2025-Q4
OLD = date(2025, 8, 4)  # in 2025-Q3


@pytest.fixture
def world(app: object, session: Session) -> World:
    world = build_world(session)
    for code in ("2025", *SCORED):
        ensure_period(session, parse_period(code))
    add_indicator(session, add_skp(session, world, "E1", 2025, "S"))
    session.commit()
    return world


def _store_scores(session: Session, world: World) -> None:
    session.add_all(
        RiskScore(
            employee_id=world.employees[name], period=period, status="ok", probability=0.5,
            flagged=True, threshold=0.3, drivers=[], model_name="kinerja-risk",
            model_version="1", fallback=False, scored_at=datetime.now(UTC),
        )
        for name in PEOPLE
        for period in SCORED
    )  # fmt: skip
    session.commit()


def _outdated(session: Session, world: World) -> set[tuple[str, str]]:
    session.expire_all()
    rows = session.execute(select(RiskScore.employee_id, RiskScore.period, RiskScore.outdated))
    names = {world.employees[name]: name for name in PEOPLE}
    return {(names[employee], period) for employee, period, outdated in rows if outdated}


def _of(name: str, *periods: str) -> set[tuple[str, str]]:
    return {(name, period) for period in periods}


def _quarter(day: date) -> str:
    return period_of(day, "quarter").code


# One writer per source kind: (add a row of E1 dated `day`, the attribute dating it, the
# value of that attribute for a day). Each adds through the ORM session, as the API does.
def _evaluation(session: Session, world: World, day: date) -> Any:
    return make_evaluation(
        session, employee_id=world.employees["E1"], rater_id=None, period=_quarter(day)
    )


def _attendance(session: Session, world: World, day: date) -> Any:
    return _add(session, AttendanceMonth(
        employee_id=world.employees["E1"], month=day.strftime("%Y-%m"), work_days=20,
        present_days=12,
    ))  # fmt: skip


def _assessment(session: Session, world: World, day: date) -> Any:
    assessment = _add(session, CompetencyAssessment(
        employee_id=world.employees["E1"], assessed_on=day, method="cat",
    ))  # fmt: skip
    _add(session, AssessmentLevel(assessment_id=assessment.id, competency_code="M.01", level=2))
    return assessment


def _enrolment(session: Session, world: World, day: date) -> Any:
    training = _add(session, Training(
        code=f"T-{day.isoformat()}", title="Pelatihan", jp=20, mode=TrainingMode.KLASIKAL,
        kind="teknis",
    ))  # fmt: skip
    return _add(session, Enrolment(
        employee_id=world.employees["E1"], training_id=training.id, start_date=date(2025, 1, 2),
        end_date=day, status=EnrolmentStatus.COMPLETED,
    ))  # fmt: skip


def _activity(session: Session, world: World, day: date) -> Any:
    return _add(session, ActivityLog(
        employee_id=world.employees["E1"], activity_date=day, description="Rapat",
    ))  # fmt: skip


def _feedback_round(session: Session, world: World, day: date) -> Any:
    return _add(session, FeedbackRound(employee_id=world.employees["E1"], period=_quarter(day)))


def _realisation(session: Session, world: World, day: date) -> Any:
    """A realisation of E1's plan of the year (the plan itself outdates every period)."""
    indicator = session.scalars(select(Indicator)).one()
    return _add(session, Realisation(indicator_id=indicator.id, period=_quarter(day), value=3))


def _add(session: Session, row: Any) -> Any:
    session.add(row)
    session.flush()
    return row


Writer = Callable[[Session, World, date], Any]
KINDS: dict[str, tuple[Writer, str, Callable[[date], Any]]] = {
    "evaluation": (_evaluation, "period", _quarter),
    "attendance": (_attendance, "month", lambda day: day.strftime("%Y-%m")),
    "assessment": (_assessment, "assessed_on", lambda day: day),
    "enrolment": (_enrolment, "end_date", lambda day: day),
    "activity": (_activity, "activity_date", lambda day: day),
    "360 round": (_feedback_round, "period", _quarter),
    "realisation": (_realisation, "period", _quarter),
}


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(
    ("day", "reached"),
    [(NEW, ("2026-Q1",)), (OLD, ("2025-Q3", "2025-Q4", "2026-Q1"))],
    ids=["new period", "old period"],
)
def test_a_new_row_outdates_the_periods_from_its_own(
    session: Session, world: World, kind: str, day: date, reached: tuple[str, ...]
) -> None:
    """A row of the new quarter leaves every score of the last one (and before) fresh; a
    row of an old quarter outdates that quarter's and every later one's."""
    write, _, _ = KINDS[kind]
    _store_scores(session, world)
    write(session, world, day)
    session.commit()
    assert _outdated(session, world) == _of("E1", *reached)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(("start", "end"), [(NEW, LAST), (LAST, NEW)])
def test_a_row_moved_between_periods_outdates_from_the_earlier(
    session: Session, world: World, kind: str, start: date, end: date
) -> None:
    write, attribute, value = KINDS[kind]
    row = write(session, world, start)
    session.commit()
    _store_scores(session, world)
    setattr(row, attribute, value(end))
    session.commit()
    assert _outdated(session, world) == _of("E1", "2025-Q4", "2026-Q1")


@pytest.mark.parametrize("kind", KINDS)
def test_a_deleted_row_outdates_from_its_period(session: Session, world: World, kind: str) -> None:
    write, _, _ = KINDS[kind]
    row = write(session, world, LAST)
    session.commit()
    _store_scores(session, world)
    if isinstance(row, CompetencyAssessment):
        for level in session.scalars(select(AssessmentLevel).filter_by(assessment_id=row.id)):
            session.delete(level)
    session.delete(row)
    session.commit()
    assert _outdated(session, world) == _of("E1", "2025-Q4", "2026-Q1")


def test_levels_of_an_assessment_count_from_its_date(session: Session, world: World) -> None:
    assessment = _assessment(session, world, NEW)
    session.commit()
    _store_scores(session, world)
    session.add(AssessmentLevel(assessment_id=assessment.id, competency_code="M.02", level=1))
    session.commit()
    assert _outdated(session, world) == _of("E1", "2026-Q1")


def test_a_realisation_of_the_new_period_leaves_the_raters_team_of_the_last(
    session: Session, world: World
) -> None:
    """S rated E1 and T in 2025-Q4 and E1 in 2026-Q1: E1's realisation of 2026-Q1 changes
    S's output statistics of 2026-Q1 only, which T's score of 2025-Q4 never reads."""
    rater = world.employees["S"]
    for name, period in (("E1", "2025-Q4"), ("T", "2025-Q4"), ("E1", "2026-Q1")):
        make_evaluation(session, employee_id=world.employees[name], rater_id=rater, period=period)
    session.commit()
    _store_scores(session, world)
    _realisation(session, world, NEW)
    session.commit()
    assert _outdated(session, world) == _of("E1", "2026-Q1") | _of("T", "2026-Q1")


def _dialogue_action(session: Session, world: World) -> None:
    dialogue = _add(session, PerformanceDialogue(
        employee_id=world.employees["E1"], supervisor_employee_id=world.employees["S"],
        held_on=NEW, kind=DialogueKind.DIALOG, topics="Target",
    ))  # fmt: skip
    session.add(DialogueAction(
        dialogue_id=dialogue.id, description="Laporan", done=True,
        reviewed_at=datetime(2026, 1, 20, tzinfo=UTC),
    ))  # fmt: skip


def _indicator_target(session: Session, world: World) -> None:
    indicator = session.scalars(select(Indicator)).one()
    indicator.target_value = 40


def _grade(session: Session, world: World) -> None:
    employee = session.get(Employee, world.employees["E1"])
    assert employee is not None
    employee.grade = "IV/e" if employee.grade != "IV/e" else "IV/d"


@pytest.mark.parametrize("change", [_dialogue_action, _indicator_target, _grade])
def test_records_not_placed_in_time_outdate_every_period(
    session: Session, world: World, change: Callable[[Session, World], None]
) -> None:
    _store_scores(session, world)
    change(session, world)
    session.commit()
    assert _outdated(session, world) == _of("E1", *SCORED)


def test_the_bulk_writers_outdate_from_the_periods_they_write(
    session: Session, world: World
) -> None:
    """The bulk evaluation insert and the attendance upsert (which bypass the watch), and a
    bulk statement through the session."""
    template = make_evaluation(session, employee_id=world.employees["T"], period="2026-Q1")
    row = tuple(getattr(template, name) for name in WRITE_COLUMNS)
    session.delete(template)
    session.commit()
    _store_scores(session, world)
    insert_evaluations(session, [row])
    upsert_months(session, [{
        "employee_id": world.employees["E1"], "month": "2025-12", "work_days": 20,
        "present_days": 20, "late_days": 0,
    }])  # fmt: skip
    session.commit()
    assert _outdated(session, world) == _of("T", "2026-Q1") | _of("E1", "2025-Q4", "2026-Q1")
    activity = {"employee_id": world.employees["T"], "activity_date": OLD, "description": "x"}
    session.execute(insert(ActivityLog), [activity])
    session.commit()
    expected = _of("T", "2025-Q3", "2025-Q4", "2026-Q1") | _of("E1", "2025-Q4", "2026-Q1")
    assert _outdated(session, world) == expected


def test_a_write_naming_many_people_outdates_every_score_from_its_month(
    session: Session, world: World
) -> None:
    """Above `FORGET_ALL_ABOVE` people every stored score is outdated, of the periods the
    writes reach only."""
    _store_scores(session, world)
    many = dict.fromkeys(range(10**6, 10**6 + FORGET_ALL_ABOVE + 1), month_ordinal(NEW))
    forget_scores(session.connection(), dated=many)
    session.commit()
    assert _outdated(session, world) == _of("E1", "2026-Q1") | _of("T", "2026-Q1")


def _new_plan(session: Session, world: World) -> None:
    """A new year's SKP with an RHK and an indicator, through the session and as a bulk
    insert: no realisation yet."""
    add_indicator(session, add_skp(session, world, "E1", 2026, "S"), rhk="Rencana baru")
    skp = add_skp(session, world, "T", 2026, "S")
    session.execute(insert(Rhk), [{"skp_id": skp, "kind": RhkKind.UTAMA, "description": "R",
                                   "ordinal": 1}])  # fmt: skip


def test_a_new_plan_outdates_nothing_until_it_has_realisations(
    session: Session, world: World
) -> None:
    """Every feature reads plans through their realisations, so a new SKP, RHK or indicator
    changes no stored score; its first realisation outdates from its own period."""
    _store_scores(session, world)
    _new_plan(session, world)
    session.commit()
    assert _outdated(session, world) == set()
    session.add(Realisation(indicator_id=_newest_indicator(session), period="2026-Q1", value=1))
    session.commit()
    assert ("E1", "2026-Q1") in _outdated(session, world)
    assert not {("E1", p) for p in SCORED[:-1]} & _outdated(session, world)


def _newest_indicator(session: Session) -> int:
    return session.scalars(select(func.max(Indicator.id))).one()
