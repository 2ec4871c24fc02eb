"""Reads and writes of the risk model: histories (one employee or a set), batch scores, jobs."""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Iterable
from collections.abc import Mapping
from collections.abc import Sequence
from datetime import UTC
from datetime import date
from datetime import datetime
from functools import lru_cache
from typing import Any

import numpy as np
from sqlalchemy import Date
from sqlalchemy import Enum
from sqlalchemy import Row
from sqlalchemy import Select
from sqlalchemy import String
from sqlalchemy import and_
from sqlalchemy import bindparam
from sqlalchemy import case
from sqlalchemy import cast
from sqlalchemy import delete
from sqlalchemy import func
from sqlalchemy import or_
from sqlalchemy import select
from sqlalchemy import text
from sqlalchemy import update
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
from service.db.models import ModelJob
from service.db.models import PerformanceDialogue
from service.db.models import Realisation
from service.db.models import Rhk
from service.db.models import RiskScore
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


def _rater_output_statement(raters: Any, periods: Sequence[str]) -> Select[Any]:
    """Per rater and period: the sum over the people rated of their realised / yearly target
    on pro-rated indicators, and the number of those people."""
    pro_rated = [IndicatorAspect.KUANTITAS, IndicatorAspect.BIAYA]
    person = (
        select(
            Evaluation.rater_id,
            Evaluation.period,
            (func.sum(Realisation.value) / func.sum(Indicator.target_value)).label("share"),
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
        func.sum(person.c.share).label("output_share_sum"),
        func.count().label("output_people"),
    ).group_by(person.c.rater_id, person.c.period)


def _rows(session: Session, statement: Any) -> Rows:
    return [dict(row) for row in session.execute(statement).mappings()]


def latest_period(session: Session, pattern: str = "____-Q_") -> str | None:
    """The latest evaluated period whose code matches `pattern` (SQL LIKE; quarters)."""
    return session.scalar(
        select(func.max(Evaluation.period)).where(Evaluation.period.like(pattern))
    )


#: Builds the employee filter of a statement from the table's employee-id column.
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
    """Assessed levels beside the required level of the employee's current position."""
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


def feedback360_statement(who: Who, periods: Sequence[str]) -> Select[Any]:
    """Answers of the anonymous 360 groups (peers, subordinates) of closed rounds in `periods`.

    The feature code keeps only groups that reach the anonymity threshold, as the product
    shows them; no single answer leaves the feature code. Only closed rounds, as the product
    shows results: an open round's aggregate changes with each answer, and a risk driver's
    value read before and after one would give that answer away. A round closed by its date
    counts from the day after `closes_on` by the database's clock.
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


def _team(supervisor_id: int) -> Any:
    """The active direct reports of `supervisor_id` (a condition on `employees`)."""
    return and_(Employee.supervisor_id == supervisor_id, Employee.is_active.is_(True))


def team_filter(supervisor_id: int) -> Who:
    """Select the active direct reports of `supervisor_id` (as a subquery, for any team size).

    Never correlated, so it also works inside a statement on `employees` itself.
    """
    team = select(Employee.id).where(_team(supervisor_id)).correlate(None)
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
    session: Session, statement: Select[Any], parameters: dict[str, Any] | None = None
) -> Columns:
    """`_columns` of a statement already selecting text (`as_text`), run with `parameters`."""
    result = session.connection().execute(statement, parameters)
    names = list(result.keys())
    with result:
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


def predikat_transitions(session: Session, previous: str, current: str) -> list[tuple[str, str]]:
    """(predikat in `previous`, predikat in `current`) of everyone evaluated in both."""
    later = select(Evaluation.employee_id, Evaluation.predikat).where(Evaluation.period == current)
    later = later.subquery()
    query = select(Evaluation.predikat, later.c.predikat).join(
        later, later.c.employee_id == Evaluation.employee_id
    )
    return [
        (str(a), str(b)) for a, b in session.execute(query.where(Evaluation.period == previous))
    ]


def team_members(session: Session, supervisor_id: int) -> list[Row[Any]]:
    """(id, name) of the active direct reports of `supervisor_id`, by name then id."""
    query = select(Employee.id, Employee.name).where(_team(supervisor_id))
    return list(session.execute(query.order_by(Employee.name, Employee.id)))


def _scored(period: str) -> Any:
    return and_(RiskScore.employee_id == Employee.id, RiskScore.period == period)


def team_scored(
    session: Session, supervisor_id: int, period: str, version: str | None, fallback: bool
) -> tuple[int, int]:
    """(members, members with a score of `period` by model `version` / the fallback)."""
    same = and_(
        RiskScore.model_version.is_not_distinct_from(version), RiskScore.fallback.is_(fallback)
    )
    query = (
        select(func.count(Employee.id), func.count(case((same, RiskScore.id))))
        .select_from(Employee)
        .outerjoin(RiskScore, _scored(period))
        .where(_team(supervisor_id))
    )
    members, scored = session.execute(query).one()
    return int(members), int(scored)


def team_page_by_score(
    session: Session, supervisor_id: int, period: str, limit: int, offset: int
) -> list[Row[Any]]:
    """(id, name) of one page of the team by stored probability: highest first, members
    without one last, then by name and id (the order `serving.team` gives a live ranking)."""
    query = (
        select(Employee.id, Employee.name)
        .outerjoin(RiskScore, _scored(period))
        .where(_team(supervisor_id))
        .order_by(
            RiskScore.probability.is_(None),
            RiskScore.probability.desc(),
            Employee.name,
            Employee.id,
        )
    )
    return list(session.execute(query.limit(limit).offset(offset)))


def replace_risk_scores(session: Session, period: str, rows: Rows) -> None:
    """Replace the scores of these employees for `period` with `rows` (one per employee)."""
    ids = [row["employee_id"] for row in rows]
    session.execute(
        delete(RiskScore).where(RiskScore.period == period, RiskScore.employee_id.in_(ids))
    )
    session.execute(RiskScore.__table__.insert(), rows)


def get_risk_score(session: Session, employee_id: int, period: str) -> RiskScore | None:
    query = select(RiskScore).where(
        RiskScore.employee_id == employee_id, RiskScore.period == period
    )
    return session.scalar(query)


#: Execution option of a statement run through a session whose caller has outdated the
#: scores it changes itself (`forget_scores`, more narrowly than `serving.freshness`'s watch
#: can for a statement it cannot attribute): the watch leaves it alone.
FORGOTTEN = "kinerja_scores_forgotten"
#: Above this many people named, a write (a bulk import) forgets every stored score.
FORGET_ALL_ABOVE = 2_000
#: Columns of a stored score the risk read answers from.
_SCORES = RiskScore.__table__
#: Table columns, not ORM attributes: a Core statement skips the ORM's result set-up, which
#: cost as much as the lookup itself on the risk read's hot path.
_STORED = (
    _SCORES.c.status,
    _SCORES.c.probability,
    _SCORES.c.flagged,
    _SCORES.c.threshold,
    _SCORES.c.drivers,
    _SCORES.c.model_version,
    _SCORES.c.fallback,
    _SCORES.c.features,
    _SCORES.c.feature_set,
)


_STORED_QUERY = select(*_STORED).where(
    _SCORES.c.employee_id == bindparam("employee_id"),
    _SCORES.c.period == bindparam("period"),
    _SCORES.c.outdated.is_(False),
)


def stored_feature_rows(session: Session, employee_ids: list[int], period: str) -> list[Any]:
    """(employee_id, features, feature_set) of the period's rows of `employee_ids` that are
    not outdated: their feature rows are what a read of the history would give now."""
    query = select(_SCORES.c.employee_id, _SCORES.c.features, _SCORES.c.feature_set).where(
        _SCORES.c.employee_id.in_(sorted(set(employee_ids))),
        _SCORES.c.period == period,
        _SCORES.c.outdated.is_(False),
    )
    return list(session.execute(query))


def stored_score(session: Session, employee_id: int, period: str) -> Row[Any] | None:
    """The stored answer columns (`_STORED`) of one employee and period, or None.

    One lookup on the (employee_id, period) unique index, plain columns and no ORM object;
    the statement is built once (only its parameters change per read).
    """
    parameters = {"employee_id": employee_id, "period": period}
    return session.execute(_STORED_QUERY, parameters).first()


def _skp_owner(ids: list[int]) -> Select[Any]:
    return select(Skp.employee_id).where(Skp.id.in_(ids))


def _rhk_owner(ids: list[int]) -> Select[Any]:
    return select(Skp.employee_id).join(Rhk, Rhk.skp_id == Skp.id).where(Rhk.id.in_(ids))


def _indicator_owner(ids: list[int]) -> Select[Any]:
    return (
        select(Skp.employee_id)
        .join(Rhk, Rhk.skp_id == Skp.id)
        .join(Indicator, Indicator.rhk_id == Rhk.id)
        .where(Indicator.id.in_(ids))
    )


#: Kind of record -> the statement selecting the employees that records of it belong to.
OWNERS: dict[str, Callable[[list[int]], Select[Any]]] = {
    "skp": _skp_owner,
    "rhk": _rhk_owner,
    "indicator": _indicator_owner,
    "assessment": lambda ids: select(CompetencyAssessment.employee_id).where(
        CompetencyAssessment.id.in_(ids)
    ),
    "dialogue": lambda ids: select(PerformanceDialogue.employee_id).where(
        PerformanceDialogue.id.in_(ids)
    ),
    "feedback_round": lambda ids: select(FeedbackRound.employee_id).where(
        FeedbackRound.id.in_(ids)
    ),
    "feedback_rater": lambda ids: (
        select(FeedbackRound.employee_id)
        .join(FeedbackRater, FeedbackRater.round_id == FeedbackRound.id)
        .where(FeedbackRater.id.in_(ids))
    ),
}


#: Kinds of `OWNERS` whose records feed the raters' output statistics (the realisations of
#: an SKP's indicators); the others (assessments, dialogues, 360 rounds) change their
#: owner's own features only.
RATER_INPUTS = frozenset({"skp", "rhk", "indicator"})


def forget_scores(
    connection: Any,
    employee_ids: Sequence[int] = (),
    rater_ids: Sequence[int] = (),
    linked: Mapping[str, Sequence[int]] | None = None,
    alone: Sequence[int] = (),
    rated: Iterable[tuple[int, str]] = (),
) -> None:
    """Mark outdated the stored scores that rows of these employees (or records) may change.

    A score of period Q reads its employee's own records and the statistics of their latest
    rater over the look-back of Q (`serving_axis(Q)`: its periods are `lookback_periods(Q)`).
    So the scores marked are, in every scored period Q:

    - those of `alone` (people whose change reaches no rater's statistics) and of the people
      named (`employee_ids`, or records of a kind in `OWNERS`: `linked` maps kind -> ids;
      the owners of a kind outside `RATER_INPUTS` count as `alone`);
    - those of everyone a rater rated within the look-back of Q, for the raters of the
      people named (their records feed those raters' output statistics), for `rater_ids`
      (statistics changed in some period), and for each (rater, period) of `rated` whose
      period lies in the look-back of Q (an evaluation of that rater in that period was
      written: the statistics of no other period changed).

    A write when nothing is stored costs one index probe; an evaluation of a period that no
    stored score looks back on marks its own employee only, whatever the size of the team.
    Their next risk read computes the answer live.
    """
    rated = list(rated)
    if len(employee_ids) + len(rater_ids) + len(alone) + len(rated) > FORGET_ALL_ABOVE:
        forget_all_scores(connection)
        return
    periods = connection.execute(_SCORED_PERIODS).scalars().all()
    if not periods:
        return
    named, own = set(employee_ids), set(alone)
    for kind, ids in (linked or {}).items():
        if ids:
            owners = connection.execute(OWNERS[kind](sorted(set(ids)))).scalars()
            (named if kind in RATER_INPUTS else own).update(owners)
    own |= named
    if own:
        connection.execute(_OUTDATE_PEOPLE, {"people": sorted(own)})
    everywhere = set(rater_ids)
    if named:
        everywhere.update(connection.execute(_RATERS_OF, {"people": sorted(named)}).scalars())
    for period in periods:
        window = lookback_periods(period)
        raters = everywhere | {rater for rater, rated_in in rated if rated_in in window}
        if raters:
            parameters = {
                "scored_period": period,
                "raters": sorted(raters),
                "window": sorted(window),
            }
            connection.execute(_OUTDATE_RATED, parameters)


@lru_cache(maxsize=64)
def lookback_periods(period: str) -> frozenset[str]:
    """The periods whose evaluations the features of `period` read (its serving axis)."""
    from service.features import serving_axis  # the features load numpy and pandas

    return frozenset(serving_axis(period).codes())


def forget_all_scores(connection: Any) -> None:
    """Mark every stored score outdated (a change every employee's features may read)."""
    connection.execute(_outdate())


def _outdate(*where: Any) -> Any:
    """UPDATE marking the selected current scores outdated (the rows stay: they are records)."""
    return update(RiskScore).where(RiskScore.outdated.is_(False), *where).values(outdated=True)


#: Every period with stored scores, one index probe each (a loose scan of the period index:
#: a few periods over millions of rows).
_SCORED_PERIODS = text(
    """
    WITH RECURSIVE scored(period) AS (
        SELECT min(period) FROM risk_scores
        UNION ALL
        SELECT (SELECT min(period) FROM risk_scores WHERE period > scored.period)
        FROM scored WHERE scored.period IS NOT NULL
    )
    SELECT period FROM scored WHERE period IS NOT NULL
    """
)
#: The statements of `forget_scores`, built once (only their parameters change per write).
_OUTDATE_PEOPLE = _outdate(RiskScore.employee_id.in_(bindparam("people", expanding=True)))
_RATERS_OF = (
    select(Evaluation.rater_id)
    .where(
        Evaluation.employee_id.in_(bindparam("people", expanding=True)),
        Evaluation.rater_id.is_not(None),
    )
    .distinct()
)
_RATED_IN_WINDOW = select(Evaluation.employee_id).where(
    Evaluation.rater_id.in_(bindparam("raters", expanding=True)),
    Evaluation.period.in_(bindparam("window", expanding=True)),
)
_OUTDATE_RATED = _outdate(
    RiskScore.period == bindparam("scored_period"), RiskScore.employee_id.in_(_RATED_IN_WINDOW)
)


def count_risk_scores(session: Session, period: str) -> int:
    return int(session.scalar(select(func.count()).where(RiskScore.period == period)) or 0)


def add_job(session: Session, requested_by: int | None, params: dict[str, Any]) -> ModelJob:
    job = ModelJob(
        kind="retrain", status="queued", requested_by_user_id=requested_by, params=params
    )
    session.add(job)
    session.flush()
    return job


def get_job(session: Session, job_id: int) -> ModelJob | None:
    return session.get(ModelJob, job_id)


def recent_jobs(session: Session, limit: int = 10) -> list[ModelJob]:
    return list(session.scalars(select(ModelJob).order_by(ModelJob.id.desc()).limit(limit)))


def claim_job(session: Session, job_id: int, pid: int, message: str | None = None) -> bool:
    """Move a queued job to running for process `pid` (with `message`, when given); False
    if someone else took it."""
    values: dict[str, Any] = {"status": "running", "pid": pid, "started_at": datetime.now(UTC)}
    if message is not None:
        values["message"] = message
    result = session.execute(
        update(ModelJob).where(ModelJob.id == job_id, ModelJob.status == "queued").values(**values)
    )
    return result.rowcount == 1


def running_jobs(session: Session) -> list[Row[Any]]:
    """(id, pid, message) of every job in the running state."""
    query = select(ModelJob.id, ModelJob.pid, ModelJob.message)
    return list(session.execute(query.where(ModelJob.status == "running")).all())


def next_queued_job(session: Session) -> int | None:
    return session.scalar(
        select(ModelJob.id).where(ModelJob.status == "queued").order_by(ModelJob.id).limit(1)
    )


def finish_job(
    session: Session, job_id: int, status: str, message: str, result: dict[str, Any] | None
) -> None:
    session.execute(
        update(ModelJob)
        .where(ModelJob.id == job_id)
        .values(status=status, message=message, result=result, finished_at=datetime.now(UTC))
    )
