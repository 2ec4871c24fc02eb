"""Keep stored risk answers right: a write to what a feature reads forgets the scores it changes.

`GET /employees/{id}/risk` answers from the `risk_scores` row `kinerja score` wrote when that
row is for the period and model served now. Such a row is only right while the employee's
inputs are unchanged, so every ORM flush that adds, changes or deletes a feature's source row
(evaluations, RHK realisations and their indicators, attendance, assessments, completed
programmes, activity-log entries, 360 feedback, dialogue actions, the employee's grade,
position or hire date) marks outdated, in the same transaction, the stored scores that row
may change (`repositories.risk.forget_scores`): the person's, and those of everyone whose
features read a rater's statistics it changes (the rater statistics features). A score of
period Q reads those statistics over the look-back of Q only, so an evaluation marks its
rater's team in the periods whose look-back holds its period: an evaluation of a new quarter
leaves the scores as of the last one (right: they never read a later period), which keeps a
write's cost flat in the size of the rater's team. A change every employee reads (a
competency standard, a programme's JP) outdates them all.

The person's own scores are period-scoped the same way: nothing dated after a period's end
reaches its features, so a row dated in period R (`DATED_BY`: an evaluation's or a
realisation's period, an attendance month, an assessment's date, a programme's end date,
an activity's date, a 360 round's period; an assessment's levels and a round's raters and
answers by their owner's date, `repo.OWNERS`) outdates the person's scores of the periods
ending in R or later; a changed row counts from the earlier of its old and new values, a
deleted one from its own. A realisation also changes its owner's raters' output statistics
of its period only. So a new quarter's data entry leaves every stored score of the last
quarter fresh (which the next batch run reuses). Rows not placed in time cheaply and exactly
stay conservative, outdating every period of the person (being wrong the other way would
serve a stale answer): a dialogue and its actions (an action counts by its review date,
which edits set and clear), a changed or deleted SKP, RHK or indicator (a target reaches
realisations of any period; a new one changes nothing until it has realisations:
`PLAN_PARTS`), the employee's grade, position, hire date or active flag.

The rows stay: the reminders and the team page's order read them as the record of the batch
run. Bulk statements run through a session (`session.execute(insert(table), rows)`) outdate
the scores of the employees their rows name (an INSERT from the dates its rows carry, an
UPDATE or DELETE in every period: the values it replaces are not known here), or all when
they name none; writers that bypass the session (driver-level COPY or multi-row INSERT in
`insert_evaluations` and the import, the single INSERT of `record_evaluation`, the
attendance upsert, all on the session's connection) call `forget_scores` themselves with the
same dates, and so do session statements marked with the execution option
`repositories.risk.FORGOTTEN` (the draft plan's indicator and RHK deletes, which this watch
could only attribute to everyone).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from dataclasses import field
from typing import Any

from sqlalchemy import event
from sqlalchemy import inspect
from sqlalchemy.orm import Session

from service.db.models import ActivityLog
from service.db.models import AssessmentLevel
from service.db.models import AttendanceMonth
from service.db.models import CompetencyAssessment
from service.db.models import CompetencyStandard
from service.db.models import DialogueAction
from service.db.models import Employee
from service.db.models import Enrolment
from service.db.models import Evaluation
from service.db.models import FeedbackAnswer
from service.db.models import FeedbackRater
from service.db.models import FeedbackRound
from service.db.models import Indicator
from service.db.models import PerformanceDialogue
from service.db.models import Realisation
from service.db.models import Rhk
from service.db.models import Skp
from service.db.models import Training
from service.db.repositories import risk as repo

#: Employee attributes that features read (through the panel or the assessment join).
EMPLOYEE_INPUTS = ("hire_date", "grade", "position_id", "is_active")


#: Rows that name their employee (`employee_id`) and that no rater's statistics read.
OWN_ROWS = (
    AttendanceMonth, CompetencyAssessment, Enrolment, ActivityLog, PerformanceDialogue,
    FeedbackRound,
)  # fmt: skip
#: Rows that belong to an employee through another record: kind (`repo.OWNERS`), its id.
LINKED: dict[type, tuple[str, str]] = {
    Realisation: ("indicator", "indicator_id"),
    Indicator: ("rhk", "rhk_id"),
    Rhk: ("skp", "skp_id"),
    AssessmentLevel: ("assessment", "assessment_id"),
    DialogueAction: ("dialogue", "dialogue_id"),
    FeedbackRater: ("feedback_round", "round_id"),
    FeedbackAnswer: ("feedback_rater", "rater_id"),
}
SOURCES = (Evaluation, Employee, Skp, CompetencyStandard, Training, *OWN_ROWS, *LINKED)
#: The attribute whose value places a source row in time: the features of a period read it
#: only when it falls before the period's end (`repo.month_ordinal`). Other rows (a
#: dialogue, an SKP and its parts, an employee) reach every period; a linked record may
#: still be dated by its owner (`repo.OWNERS`: an assessment's levels, a 360 round's answers).
DATED_BY: dict[type, str] = {
    Evaluation: "period",
    Realisation: "period",
    AttendanceMonth: "month",
    CompetencyAssessment: "assessed_on",
    Enrolment: "end_date",
    ActivityLog: "activity_date",
    FeedbackRound: "period",
}


@dataclass
class Touched:
    """What one flush wrote that features read: people, raters, records by kind; a person
    or record maps to the month ordinal of the earliest date written (None: any period)."""

    employees: set[int] = field(default_factory=set)
    rated: set[tuple[int, str]] = field(default_factory=set)
    linked: dict[str, dict[int, int | None]] = field(default_factory=dict)
    alone: dict[int, int | None] = field(default_factory=dict)
    everyone: bool = False

    def __bool__(self) -> bool:
        people = self.employees or self.rated or self.alone
        return self.everyone or bool(people or self.linked)


def _employee_changed(employee: Employee) -> bool:
    state = inspect(employee)
    return any(state.attrs[name].history.has_changes() for name in EMPLOYEE_INPUTS)


def _values(row: Any, name: str, new: bool) -> list[Any]:
    """The value of attribute `name` of `row` and, for a changed row, the one it replaced."""
    current = getattr(row, name)
    return [current] if new else [current, *inspect(row).attrs[name].history.deleted]


def _since(row: Any, new: bool) -> int | None:
    """The month ordinal of the earliest date `row` is read at, new or replaced (None: not
    dated, or not known: every period)."""
    name = DATED_BY.get(type(row))
    if name is None:
        return None
    months = [repo.month_ordinal(value) for value in _values(row, name, new)]
    return None if None in months else min(months)  # type: ignore[type-var]


def _add_evaluation(touched: Touched, row: Evaluation, new: bool) -> None:
    """An evaluation changes its employee's features and its rater's statistics of its period
    (for a changed one: also those of the rater and period it had before)."""
    since = _since(row, new)
    for person in _values(row, "employee_id", new):
        repo.add_dated(touched.alone, person, since)
    periods = _values(row, "period", new)
    for rater in _values(row, "rater_id", new):
        if rater is not None:
            touched.rated.update((rater, period) for period in periods)


#: Parts of a plan. Every read of them joins the realisations (`risk_history`), and a
#: realisation comes after its indicator, so a new one changes no feature: a new year's plan
#: leaves the stored scores fresh. A changed or deleted one does not (a target reaches the
#: realisations of every period).
PLAN_PARTS = (Skp, Rhk, Indicator)


def _add(touched: Touched, row: Any, new: bool) -> None:
    """Record what `row` (a source row added, changed or deleted) may change."""
    if new and isinstance(row, PLAN_PARTS):
        return
    if isinstance(row, Evaluation):
        _add_evaluation(touched, row, new)
    elif isinstance(row, OWN_ROWS):
        since = _since(row, new)
        for person in _values(row, "employee_id", new):
            repo.add_dated(touched.alone, person, since)
    elif isinstance(row, Skp):  # realisations of its RHK feed the rater's output statistics
        touched.employees.update(_values(row, "employee_id", new))
    elif type(row) in LINKED:
        kind, key = LINKED[type(row)]
        records, since = touched.linked.setdefault(kind, {}), _since(row, new)
        for record in _values(row, key, new):
            repo.add_dated(records, record, since)
    elif isinstance(row, Employee):
        if not new and _employee_changed(row):
            repo.add_dated(touched.alone, row.id, None)
    elif isinstance(row, CompetencyStandard) or (isinstance(row, Training) and not new):
        touched.everyone = True


def touched_by(new: Iterable[Any], changed: Iterable[Any]) -> Touched:
    """What the rows of one flush (new ones, changed or deleted ones) may change."""
    touched = Touched()
    for rows, added in ((new, True), (changed, False)):
        for row in rows:
            if isinstance(row, SOURCES):
                _add(touched, row, added)
    return touched


def _after_flush(session: Session, _context: Any) -> None:
    changed = [*session.dirty, *session.deleted]
    touched = touched_by(session.new, changed)
    if not touched:
        return
    connection = session.connection()
    if touched.everyone:
        repo.forget_all_scores(connection)
        return
    repo.forget_scores(
        connection,
        sorted(touched.employees),
        linked=touched.linked,
        rated=sorted(touched.rated),
        dated=touched.alone,
    )


#: Tables whose bulk statements (`session.execute(insert(table), rows)`) are watched.
SOURCE_TABLES = frozenset(kind.__table__.name for kind in SOURCES)
PLAN_TABLES = frozenset(kind.__table__.name for kind in PLAN_PARTS)


def _statement_rows(parameters: Any) -> list[dict[str, Any]]:
    if isinstance(parameters, dict):
        return [parameters]
    return [row for row in parameters or () if isinstance(row, dict)]


def _before_bulk(state: Any) -> None:
    """A Core INSERT, UPDATE or DELETE on a source table run through a session."""
    if not (state.is_insert or state.is_update or state.is_delete):
        return
    if state.execution_options.get(repo.FORGOTTEN):  # the caller outdated them itself
        return
    table = getattr(state.statement, "table", None)
    if getattr(table, "name", None) not in SOURCE_TABLES:
        return
    if state.is_insert and table.name in PLAN_TABLES:  # new plan parts change no feature
        return
    rows = _statement_rows(state.parameters)
    ids = {row.get("employee_id") for row in rows}
    raters = {row.get("rater_id") for row in rows} - {None}
    connection = state.session.connection()
    evaluations = table.name == Evaluation.__tablename__
    if not (table.name in OWN_TABLES and rows and None not in ids):
        repo.forget_all_scores(connection)
    elif state.is_insert and table.name in DATED_COLUMNS and _all_dated(rows, evaluations):
        rated = {(r["rater_id"], r["period"]) for r in rows if r.get("rater_id") is not None}
        dated = _dated(rows, DATED_COLUMNS[table.name])
        repo.forget_scores(connection, rated=sorted(rated), dated=dated)  # as a flush
    elif evaluations or table.name == Skp.__tablename__:
        repo.forget_scores(connection, sorted(ids), sorted(raters))
    else:  # an update or delete of own rows: the dates they had are not known here
        repo.forget_scores(connection, alone=sorted(ids))


def _all_dated(rows: list[dict[str, Any]], evaluations: bool) -> bool:
    """Whether inserted evaluations name their periods (other rows: always)."""
    return not evaluations or all("period" in row for row in rows)


def _dated(rows: list[dict[str, Any]], column: str | None) -> dict[int, int | None]:
    """Person -> earliest month ordinal of the inserted `rows` (None when one is undated)."""
    dated: dict[int, int | None] = {}
    for row in rows:
        month = repo.month_ordinal(row.get(column)) if column else None
        repo.add_dated(dated, row["employee_id"], month)
    return dated


#: Source tables whose rows name their employee (`employee_id`).
OWN_TABLES = frozenset(kind.__table__.name for kind in (Evaluation, Skp, *OWN_ROWS))
#: Own tables whose inserted rows are dated by a column (`DATED_BY`), or by none (None).
DATED_COLUMNS: dict[str, str | None] = {
    kind.__table__.name: DATED_BY.get(kind) for kind in (Evaluation, *OWN_ROWS)
}


def watch_writes() -> None:
    """Forget stale scores on every ORM flush and bulk write of every session (idempotent)."""
    if not event.contains(Session, "after_flush", _after_flush):
        event.listen(Session, "after_flush", _after_flush)
    if not event.contains(Session, "do_orm_execute", _before_bulk):
        event.listen(Session, "do_orm_execute", _before_bulk)


watch_writes()
