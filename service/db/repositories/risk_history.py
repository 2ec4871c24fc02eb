"""Reads of employees' histories for the risk features: one employee, a team or a set.

The statements here decide which stored rows a feature row is computed from, so their code is
part of the features' identity (`service.features.stored_rows.HISTORY_READERS`): an edit of
this module makes the stored feature rows unusable and the next `kinerja score` a full one.
What else the risk model reads and writes (stored scores, their invalidation, retrain jobs) is
in `risk.py`, whose edits leave the stored rows alone.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from collections.abc import Sequence
from datetime import date
from datetime import datetime
from typing import Any

import numpy as np
from sqlalchemy import Date
from sqlalchemy import Enum
from sqlalchemy import Select
from sqlalchemy import String
from sqlalchemy import and_
from sqlalchemy import case
from sqlalchemy import cast
from sqlalchemy import func
from sqlalchemy import or_
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.db.models import BEHAVIOR_COLUMNS
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
from service.domain.entities import POOR_PREDIKAT
from service.domain.entities import EnrolmentStatus
from service.domain.entities import IndicatorAspect
from service.domain.entities import Rating
from service.domain.feedback360_terms import RaterGroup
from service.domain.feedback360_terms import RoundStatus

Rows = list[dict[str, Any]]
_EVALUATION_COLUMNS = (
    "employee_id",
    "period",
    "rater_id",
    "predikat",
    "work_result_rating",
    "behavior_rating",
    *BEHAVIOR_COLUMNS.values(),
)


def _score(column: Any) -> Any:
    return case(
        (column == Rating.DI_ATAS_EKSPEKTASI, 1),
        (column == Rating.DI_BAWAH_EKSPEKTASI, -1),
        else_=0,
    )


def rater_stats_statement(raters: Any, periods: Sequence[str]) -> Select[Any]:
    """Per rater in `raters` (ids or a subquery) and period: ratings given and score sums.

    `output_share_sum` and `output_people` add, over the people rated with a pro-rated
    (kuantitas, biaya) indicator, the sum of each person's realised / yearly target on those
    indicators, and how many they are (NULL when none): the same ratings over a weaker
    output mark a lenient rater.
    """
    poor = case((Evaluation.predikat.in_(sorted(POOR_PREDIKAT)), 1), else_=0)
    given = (
        select(
            Evaluation.rater_id,
            Evaluation.period,
            func.count().label("ratings"),
            func.sum(_score(Evaluation.work_result_rating)).label("work_sum"),
            func.sum(_score(Evaluation.behavior_rating)).label("behavior_sum"),
            func.sum(poor).label("poor_sum"),
        )
        .where(Evaluation.rater_id.in_(raters), Evaluation.period.in_(periods))
        .group_by(Evaluation.rater_id, Evaluation.period)
        .subquery("given")
    )
    output = _rater_output_statement(raters, periods).subquery("output")
    same = and_(output.c.rater_id == given.c.rater_id, output.c.period == given.c.period)
    return select(*given.c, output.c.output_share_sum, output.c.output_people).select_from(
        given.outerjoin(output, same)
    )


def _unindexed(column: Any) -> Any:
    """`column` as an expression no index serves (`column || ''`).

    SQLite otherwise reads the rater's evaluations through the period index: every
    evaluation of the look-back (the whole agency) instead of the rater's few, which made
    this one statement cost more than the rest of a risk read together.
    """
    return column.concat("")


#: Each person's share is summed as a whole number of billionths: a sum of floats depends on
#: the order the database adds them in, which follows its plan (PostgreSQL's changes with
#: its statistics), so the set read, the range read and the live read would differ in the
#: last bit; whole numbers add up exactly in any order.
SHARE_SCALE = 1_000_000_000


def _rater_output_statement(raters: Any, periods: Sequence[str]) -> Select[Any]:
    """Per rater and period: the sum over the people rated of their realised / yearly target
    on pro-rated indicators (to a billionth each), and the number of those people."""
    pro_rated = [IndicatorAspect.KUANTITAS, IndicatorAspect.BIAYA]
    share = func.sum(Realisation.value) / func.sum(Indicator.target_value)
    person = (
        select(
            Evaluation.rater_id,
            Evaluation.period,
            func.round(share * SHARE_SCALE).label("share"),
        )
        .join(Skp, Skp.employee_id == Evaluation.employee_id)
        .join(Rhk, Rhk.skp_id == Skp.id)
        .join(Indicator, Indicator.rhk_id == Rhk.id)
        .join(Realisation, Realisation.indicator_id == Indicator.id)
        .where(
            Evaluation.rater_id.in_(raters),
            _unindexed(Evaluation.period).in_(periods),
            Realisation.period == Evaluation.period,
            Indicator.aspect.in_(pro_rated),
            Indicator.target_value > 0,
            Realisation.value.is_not(None),
        )
        .group_by(Evaluation.rater_id, Evaluation.period, Evaluation.employee_id)
        .subquery("person")
    )
    return select(
        person.c.rater_id,
        person.c.period,
        (func.sum(person.c.share) / SHARE_SCALE).label("output_share_sum"),
        func.count().label("output_people"),
    ).group_by(person.c.rater_id, person.c.period)


def _rows(session: Session, statement: Any) -> Rows:
    return [dict(row) for row in session.execute(statement).mappings()]


Who = Callable[[Any], Any]


def evaluations_statement(who: Who) -> Select[Any]:
    """Evaluations (the columns features read) of the employees `who` selects."""
    columns = [getattr(Evaluation, name).label(name) for name in _EVALUATION_COLUMNS]
    return select(*columns).where(who(Evaluation.employee_id))


def achievements_statement(who: Who) -> Select[Any]:
    """Realised indicators with their aspect and target (kuantitas targets are yearly)."""
    return (
        select(
            Skp.employee_id,
            Realisation.period,
            Indicator.aspect,
            Realisation.value,
            Indicator.target_value,
        )
        .join(Rhk, Rhk.skp_id == Skp.id)
        .join(Indicator, Indicator.rhk_id == Rhk.id)
        .join(Realisation, Realisation.indicator_id == Indicator.id)
        .where(who(Skp.employee_id), Indicator.target_value > 0, Realisation.value.is_not(None))
    )


def attendance_statement(who: Who, since: date) -> Select[Any]:
    """Monthly attendance from the month of `since` on."""
    return select(
        AttendanceMonth.employee_id,
        AttendanceMonth.month,
        AttendanceMonth.work_days,
        AttendanceMonth.present_days,
        AttendanceMonth.late_days,
    ).where(who(AttendanceMonth.employee_id), AttendanceMonth.month >= since.strftime("%Y-%m"))


def assessments_statement(who: Who) -> Select[Any]:
    """Assessed levels beside the required level of the employee's current position.

    In the order SQLite's plan reads them (no sort there), on PostgreSQL too: the panel adds
    an assessment's (possibly fractional) levels in row order.
    """
    return (
        select(
            CompetencyAssessment.employee_id,
            CompetencyAssessment.assessed_on,
            AssessmentLevel.level,
            CompetencyStandard.required_level,
        )
        .join(AssessmentLevel, AssessmentLevel.assessment_id == CompetencyAssessment.id)
        .join(Employee, Employee.id == CompetencyAssessment.employee_id)
        .join(
            CompetencyStandard,
            and_(
                CompetencyStandard.position_id == Employee.position_id,
                CompetencyStandard.competency_code == AssessmentLevel.competency_code,
            ),
        )
        .where(who(CompetencyAssessment.employee_id))
        .order_by(
            CompetencyAssessment.employee_id,
            CompetencyAssessment.id,
            AssessmentLevel.competency_code,
        )
    )


def enrolments_statement(who: Who, since: date) -> Select[Any]:
    """Completed programmes that ended on or after `since`, with their JP."""
    return (
        select(
            Enrolment.employee_id,
            Enrolment.end_date,
            func.coalesce(Enrolment.jp_earned, Training.jp).label("jp"),
        )
        .join(Training, Training.id == Enrolment.training_id)
        .where(
            who(Enrolment.employee_id),
            Enrolment.status == EnrolmentStatus.COMPLETED,
            Enrolment.end_date >= since,
        )
    )


def activity_statement(who: Who, since: date) -> Select[Any]:
    """Activity-log entry dates from `since` on (the regularity signal)."""
    return select(ActivityLog.employee_id, ActivityLog.activity_date).where(
        who(ActivityLog.employee_id), ActivityLog.activity_date >= since
    )


#: The order of the 360 answers: that of the rounds' (employee, period) and the raters'
#: (round, rater) indexes, whose NULL raters come first and then by id.
_FEEDBACK_ORDER = (
    FeedbackRound.employee_id,
    FeedbackRound.period,
    FeedbackRater.rater_employee_id.asc().nulls_first(),
    FeedbackRater.id,
)


def feedback360_statement(who: Who, periods: Sequence[str]) -> Select[Any]:
    """Answers of the anonymous 360 groups (peers, subordinates) of closed rounds in `periods`.

    The feature code keeps only groups that reach the anonymity threshold, as the product
    shows them; no single answer leaves the feature code. Only closed rounds, as the product
    shows results: an open round's aggregate changes with each answer, and a risk driver's
    value read before and after one would give that answer away. A round closed by its date
    counts from the day after `closes_on` by the database's clock.

    The answers come in the order SQLite's plan reads them (`_FEEDBACK_ORDER`: no sort
    there), and PostgreSQL gives that order too: the panel adds each period's scores in row
    order, and PostgreSQL's plans gave another order from one read to the next.
    """
    answers = [getattr(FeedbackAnswer, name).label(name) for name in BEHAVIOR_COLUMNS.values()]
    return (
        select(
            FeedbackRound.employee_id,
            FeedbackRound.period,
            FeedbackRound.id.label("round_id"),
            FeedbackRater.rater_group,
            *answers,
        )
        .join(FeedbackRater, FeedbackRater.round_id == FeedbackRound.id)
        .join(FeedbackAnswer, FeedbackAnswer.rater_id == FeedbackRater.id)
        .where(
            who(FeedbackRound.employee_id),
            FeedbackRound.period.in_(periods),
            FeedbackRater.rater_group.in_([RaterGroup.PEER, RaterGroup.SUBORDINATE]),
            or_(
                FeedbackRound.status == RoundStatus.CLOSED,
                FeedbackRound.closes_on < func.current_date(),
            ),
        )
        .order_by(*_FEEDBACK_ORDER)
    )


def dialogue_actions_statement(who: Who, since: date) -> Select[Any]:
    """Agreed dialogue actions reviewed from `since` on, and whether they were done."""
    return (
        select(PerformanceDialogue.employee_id, DialogueAction.reviewed_at, DialogueAction.done)
        .join(DialogueAction, DialogueAction.dialogue_id == PerformanceDialogue.id)
        .where(
            who(PerformanceDialogue.employee_id),
            DialogueAction.reviewed_at.is_not(None),
            DialogueAction.reviewed_at >= datetime(since.year, since.month, since.day),
        )
    )


def employee_history(
    session: Session, employee_id: int, periods: Sequence[str], since: date
) -> dict[str, Rows]:
    """One employee's rows in `periods` (or since `since`), keyed like `employee_features`."""

    def who(column: Any) -> Any:
        return column == employee_id

    evaluated = _rows(session, evaluations_statement(who).where(Evaluation.period.in_(periods)))
    # The last known rater, as the panel reads it (a period without one is skipped).
    by_period = sorted(evaluated, key=lambda r: r["period"])
    latest = [row["rater_id"] for row in by_period if row["rater_id"] is not None][-1:]
    achievements = achievements_statement(who).where(Realisation.period.in_(periods))
    return {
        "evaluations": evaluated,
        "rater_stats": _rows(session, rater_stats_statement(latest, periods)) if latest else [],
        "achievements": _rows(session, achievements),
        "attendance": _rows(session, attendance_statement(who, since)),
        "assessments": _rows(session, assessments_statement(who)),
        "enrolments": _rows(session, enrolments_statement(who, since)),
        "activity": _rows(session, activity_statement(who, since)),
        "feedback360": _rows(session, as_text(feedback360_statement(who, periods))),
        "dialogue_actions": _rows(session, dialogue_actions_statement(who, since)),
    }


def team_condition(supervisor_id: int) -> Any:
    """The active direct reports of `supervisor_id` (a condition on `employees`)."""
    return and_(Employee.supervisor_id == supervisor_id, Employee.is_active.is_(True))


def team_filter(supervisor_id: int) -> Who:
    """Select the active direct reports of `supervisor_id` (as a subquery, for any team size).

    Never correlated, so it also works inside a statement on `employees` itself.
    """
    team = select(Employee.id).where(team_condition(supervisor_id)).correlate(None)
    return lambda column: column.in_(team)


def ids_filter(employee_ids: Sequence[int]) -> Who:
    """Select the employees `employee_ids` (a short list: one page of a team)."""
    chosen = sorted(set(employee_ids))
    return lambda column: column.in_(chosen)


def as_text(statement: Select[Any]) -> Select[Any]:
    """Select enum and date columns as plain text.

    Result processing of those types costs more than the query itself on large reads, and
    the feature code reads ISO dates and enum values as text anyway.
    """
    columns = [
        cast(column, String).label(column.name) if isinstance(column.type, Enum | Date) else column
        for column in statement.selected_columns
    ]
    return statement.with_only_columns(*columns, maintain_column_froms=True)


#: Rows a typed read fetches at a time (`_rows_as_columns`).
FETCH_BLOCK = 10_000
#: Column name -> values, as `service.features.build_panel` takes them.
Columns = dict[str, np.ndarray]


def _columns(session: Session, statement: Select[Any]) -> Columns:
    """The rows of `statement` as one object array per column.

    The driver's own tuples are read from the cursor and transposed column by column: for a
    large team this is ten times faster than SQLAlchemy's row objects or a DataFrame,
    and it is the shape the single-employee path gives the feature code. No result type
    processing is skipped by that: `as_text` leaves integers, floats and text only.
    """
    return _rows_as_columns(session, as_text(statement))


def _rows_as_columns(
    session: Session,
    statement: Select[Any],
    parameters: dict[str, Any] | None = None,
    dtypes: Sequence[str] | None = None,
) -> Columns:
    """`_columns` of a statement already selecting text (`as_text`), run with `parameters`.

    With `dtypes` (a numpy type per column, `risk_coded.Packed`) the driver's tuples go
    straight into one record array as they come (`np.fromiter`), each column a typed view
    of it: no list of every row and no array of objects, which took as long as the panel
    then took converting them. A float column takes NULL as NaN. The rows are fetched in
    blocks (`FETCH_BLOCK`): psycopg builds a block's rows in one call, one row at a time
    it took 60 % more CPU than `fetchall`.
    """
    result = session.connection().execute(statement, parameters)
    names = list(result.keys())
    with result:
        if dtypes is not None:
            cursor = result.cursor
            blocks = iter(lambda: cursor.fetchmany(FETCH_BLOCK), [])
            typed = np.dtype(list(zip(names, dtypes, strict=True)))
            table = np.fromiter(itertools.chain.from_iterable(blocks), typed)
            return {name: table[name] for name in names}
        rows = result.cursor.fetchall()
    table = np.array(rows, dtype=object).reshape(len(rows), len(names))
    return {name: table[:, i] for i, name in enumerate(names)}


def histories(
    session: Session, who: Who, periods: Sequence[str], since: date
) -> dict[str, Columns]:
    """The stored history of the employees `who` selects, one set of columns per source.

    The same rows as `employee_history` for each of them (evaluations and realisations of
    `periods`, attendance and enrolments from `since`), read with one statement per source
    whatever the number of employees; rater statistics cover every rater of these
    evaluations (named by id: a subquery there makes SQLite scan every evaluation of the
    periods). Keys and columns are the arguments of `service.features.build_panel`; dates
    and enumerations come as ISO text.
    """
    employees = select(Employee.id.label("employee_id"), Employee.hire_date, Employee.grade)
    evaluations = evaluations_statement(who).where(Evaluation.period.in_(periods))
    evaluated = _columns(session, evaluations)
    raters = sorted({int(rater) for rater in evaluated["rater_id"] if rater is not None})
    achievements = achievements_statement(who).where(Realisation.period.in_(periods))
    return {
        "employees": _columns(session, employees.where(who(Employee.id))),
        "evaluations": evaluated,
        "achievements": _columns(session, achievements),
        "attendance": _columns(session, attendance_statement(who, since)),
        "assessments": _columns(session, assessments_statement(who)),
        "enrolments": _columns(session, enrolments_statement(who, since)),
        "rater_stats": _columns(session, rater_stats_statement(raters, periods)),
        "activity": _columns(session, activity_statement(who, since)),
        "feedback360": _columns(session, feedback360_statement(who, periods)),
        "dialogue_actions": _columns(session, dialogue_actions_statement(who, since)),
    }
