"""Reads and writes of the risk model besides the histories (`risk_history`): the period
served, the rule's transitions, batch scores and their invalidation, retrain jobs."""

from __future__ import annotations

import math
from collections.abc import Callable
from collections.abc import Iterable
from collections.abc import Mapping
from collections.abc import Sequence
from datetime import UTC
from datetime import date
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import ColumnElement
from sqlalchemy import Row
from sqlalchemy import Select
from sqlalchemy import and_
from sqlalchemy import bindparam
from sqlalchemy import case
from sqlalchemy import func
from sqlalchemy import null
from sqlalchemy import select
from sqlalchemy import text
from sqlalchemy import update
from sqlalchemy.orm import Session

from service.db.models import CompetencyAssessment
from service.db.models import Employee
from service.db.models import Evaluation
from service.db.models import FeedbackRater
from service.db.models import FeedbackRound
from service.db.models import Indicator
from service.db.models import ModelJob
from service.db.models import PerformanceDialogue
from service.db.models import Rhk
from service.db.models import RiskFeatureRow
from service.db.models import RiskScore
from service.db.models import Skp
from service.db.repositories.risk_history import team_condition
from service.db.thread_connections import Prepared
from service.domain.errors import Invalid
from service.domain.periods import parse_period


def latest_period(session: Session, pattern: str = "____-Q_") -> str | None:
    """The latest evaluated period whose code matches `pattern` (SQL LIKE; quarters)."""
    return session.scalar(
        select(func.max(Evaluation.period)).where(Evaluation.period.like(pattern))
    )


#: Builds the employee filter of a statement from the table's employee-id column.
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
    query = select(Employee.id, Employee.name).where(team_condition(supervisor_id))
    return list(session.execute(query.order_by(Employee.name, Employee.id)))


def _scored(period: str) -> Any:
    return and_(RiskScore.employee_id == Employee.id, RiskScore.period == period)


def scored_by(version: str | None, fallback: bool) -> ColumnElement[bool]:
    """The stored scores written by what is served: model `version`, or the rule-based
    fallback (`fallback`, version None). The team page's fresh scores and the reminders'
    flags; a score of another version may flag whom the served model does not."""
    return and_(
        RiskScore.model_version.is_not_distinct_from(version), RiskScore.fallback.is_(fallback)
    )


def team_scored(
    session: Session,
    supervisor_id: int,
    period: str,
    version: str | None,
    fallback: bool,
    feature_set: str,
) -> tuple[int, int]:
    """(members, members with a score of `period` by model `version` / the fallback, on
    features of `feature_set`)."""
    same = and_(scored_by(version, fallback), RiskScore.feature_set == feature_set)
    query = (
        select(func.count(Employee.id), func.count(case((same, RiskScore.id))))
        .select_from(Employee)
        .outerjoin(RiskScore, _scored(period))
        .where(team_condition(supervisor_id))
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
        .where(team_condition(supervisor_id))
        .order_by(
            RiskScore.probability.is_(None),
            RiskScore.probability.desc(),
            Employee.name,
            Employee.id,
        )
    )
    return list(session.execute(query.limit(limit).offset(offset)))


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
    _SCORES.c.feature_set,
)
#: The stored feature rows, beside the scores they were computed for (migration 0024).
_FEATURE_ROWS = RiskFeatureRow.__table__
#: A score's feature row, by the keys they share.
_OWN_FEATURE_ROW = and_(
    _FEATURE_ROWS.c.employee_id == _SCORES.c.employee_id,
    _FEATURE_ROWS.c.period == _SCORES.c.period,
)
#: The answer columns and the feature row (None without one): one more probe of the
#: feature rows' primary key.
_STORED_QUERY = (
    select(*_STORED, _FEATURE_ROWS.c.features)
    .select_from(_SCORES.outerjoin(_FEATURE_ROWS, _OWN_FEATURE_ROW))
    .where(
        _SCORES.c.employee_id == bindparam("employee_id"),
        _SCORES.c.period == bindparam("period"),
        _SCORES.c.outdated.is_(False),
    )
)


def standing_scores(feature_set: str) -> ColumnElement[bool]:
    """The stored scores that still stand: not marked outdated by a write since their batch
    run (`serving.freshness`) and computed on `feature_set`, the feature set served now
    (`feature_set_id` of the configured 360 threshold). What such a row holds is what the
    history gives now; any other row may say what the data no longer does.

    The rule the team page's rows, the single risk read (`serving.stored`, which also
    answers an `insufficient_data` row of any feature set) and the reminders share.
    """
    return and_(_SCORES.c.outdated.is_(False), _SCORES.c.feature_set == feature_set)


def stored_feature_rows(
    session: Session, employee_ids: list[int], period: str, feature_set: str
) -> list[Any]:
    """(employee_id, features, feature_set) of the period's rows of `employee_ids` that
    still stand (`standing_scores`): their feature rows are what a read of the history would
    give now."""
    query = (
        select(_SCORES.c.employee_id, _FEATURE_ROWS.c.features, _SCORES.c.feature_set)
        .join(_FEATURE_ROWS, _OWN_FEATURE_ROW)
        .where(
            _SCORES.c.employee_id.in_(sorted(set(employee_ids))),
            _SCORES.c.period == period,
            standing_scores(feature_set),
        )
    )
    return list(session.execute(query))


def stored_score(session: Session, employee_id: int, period: str) -> Row[Any] | None:
    """The stored answer columns (`_STORED`) of one employee and period, with its feature
    row (`features`, None without one), or None.

    One lookup on the (employee_id, period) unique index, plain columns and no ORM object;
    the statement is built once (only its parameters change per read).
    """
    parameters = {"employee_id": employee_id, "period": period}
    return session.execute(_STORED_QUERY, parameters).first()


def month_ordinal(value: Any) -> int | None:
    """The month ordinal (year * 12 + month - 1) a record is dated in: of a date or datetime,
    of ISO date text, of a month ("2025-03") or the first month of a period code; None for
    anything else (a write dated so reaches every period)."""
    if isinstance(value, date):  # a datetime too
        return value.year * 12 + value.month - 1
    return _text_month(value) if isinstance(value, str) else None


@lru_cache(maxsize=4096)
def _text_month(text: str) -> int | None:
    if len(text) >= 10 and text[4] == "-" and text[7] == "-":
        text = text[:7]  # a date's (or datetime's) month
    try:
        return month_ordinal(parse_period(text).starts_on)
    except Invalid:
        return None


@lru_cache(maxsize=256)
def _last_month(period: str) -> float:
    """The month ordinal of the last month of `period` (infinite for a code that is not a
    period's: every write reaches it)."""
    try:
        return float(month_ordinal(parse_period(period).ends_on) or 0)
    except Invalid:
        return math.inf


def reached_periods(periods: Iterable[str], since: int | None) -> list[str]:
    """The `periods` whose features can read a record dated in month ordinal `since`: those
    ending in that month or later (every one for None). Nothing after a period's end
    reaches its features (`serving_axis`), and a record reaches every later period through
    the look-back and the features carrying the last known value forward."""
    if since is None:
        return list(periods)
    return [period for period in periods if _last_month(period) >= since]


def add_dated(people: dict[int, int | None], person: int, since: int | None) -> None:
    """Record that a record of `person` dated in month ordinal `since` (None: not known,
    every period) was written: `people` keeps the earliest month per person."""
    if person not in people:
        people[person] = since
    else:
        known = people[person]
        people[person] = None if known is None or since is None else min(known, since)


def _skp_owner(ids: list[int]) -> Select[Any]:
    return select(Skp.id, Skp.employee_id, null()).where(Skp.id.in_(ids))


def _rhk_owner(ids: list[int]) -> Select[Any]:
    return (
        select(Rhk.id, Skp.employee_id, null())
        .select_from(Skp)
        .join(Rhk, Rhk.skp_id == Skp.id)
        .where(Rhk.id.in_(ids))
    )


def _indicator_owner(ids: list[int]) -> Select[Any]:
    return (
        select(Indicator.id, Skp.employee_id, null())
        .select_from(Skp)
        .join(Rhk, Rhk.skp_id == Skp.id)
        .join(Indicator, Indicator.rhk_id == Rhk.id)
        .where(Indicator.id.in_(ids))
    )


#: Kind of record -> the statement selecting (record id, the employee it belongs to, the
#: date or period that places what it feeds in time, NULL when none does). An assessment's
#: levels count as of its date, a 360 round's raters and answers in its period; the SKP's
#: parts (RHK, indicators) feed realisations of any period, and a dialogue's actions count
#: by when they were reviewed, which this does not pin down.
OWNERS: dict[str, Callable[[list[int]], Select[Any]]] = {
    "skp": _skp_owner,
    "rhk": _rhk_owner,
    "indicator": _indicator_owner,
    "assessment": lambda ids: select(
        CompetencyAssessment.id, CompetencyAssessment.employee_id, CompetencyAssessment.assessed_on
    ).where(CompetencyAssessment.id.in_(ids)),
    "dialogue": lambda ids: select(
        PerformanceDialogue.id, PerformanceDialogue.employee_id, null()
    ).where(PerformanceDialogue.id.in_(ids)),
    "feedback_round": lambda ids: select(
        FeedbackRound.id, FeedbackRound.employee_id, FeedbackRound.period
    ).where(FeedbackRound.id.in_(ids)),
    "feedback_rater": lambda ids: (
        select(FeedbackRater.id, FeedbackRound.employee_id, FeedbackRound.period)
        .select_from(FeedbackRound)
        .join(FeedbackRater, FeedbackRater.round_id == FeedbackRound.id)
        .where(FeedbackRater.id.in_(ids))
    ),
}


#: Kinds of `OWNERS` whose records feed the raters' output statistics (the realisations of
#: an SKP's indicators); the others (assessments, dialogues, 360 rounds) change their
#: owner's own features only.
RATER_INPUTS = frozenset({"skp", "rhk", "indicator"})
#: Linked records: record id -> month ordinal of what was written about it (None: unknown).
Linked = Mapping[str, Sequence[int] | Mapping[int, int | None]]


def forget_scores(
    connection: Any,
    employee_ids: Sequence[int] = (),
    rater_ids: Sequence[int] = (),
    linked: Linked | None = None,
    alone: Sequence[int] = (),
    rated: Iterable[tuple[int, str]] = (),
    dated: Mapping[int, int | None] | None = None,
) -> None:
    """Mark outdated the stored scores that rows of these employees (or records) may change.

    A score of period Q reads its employee's own records dated up to Q's end and the
    statistics of their latest rater over the look-back of Q (`serving_axis(Q)`: its
    periods are `lookback_periods(Q)`). So the scores marked are:

    - the person's own, for the people of `dated` (person -> month ordinal of the earliest
      record of theirs written: `month_ordinal`) in the periods ending in that month or
      later (`reached_periods`), and in every scored period for `alone` (people whose
      written records could be of any period: an SKP's target, an employee's grade) and
      for the people named (`employee_ids`, or records of a kind in `OWNERS`: `linked` maps
      kind -> ids, or -> {id: month ordinal of the record written, None when unknown}; a
      record then counts from that month, else from its own date if `OWNERS` gives one;
      the owners of a kind outside `RATER_INPUTS` count as `dated`);
    - those of everyone a rater rated within the look-back of Q, for the raters of the
      people named (their records feed those raters' output statistics: of the periods
      from a linked record's month on, of every period otherwise), for `rater_ids`
      (statistics changed in some period), and for each (rater, period) of `rated` whose
      period lies in the look-back of Q (an evaluation of that rater in that period was
      written: the statistics of no other period changed).

    A write when nothing is stored costs one index probe; an evaluation of a period that no
    stored score looks back on marks its own employee only, whatever the size of the team,
    and a record dated in a new period leaves every score of the periods before it.
    Their next risk read computes the answer live.
    """
    rated = list(rated)
    own = dict(dated or {})
    for person in alone:
        own[person] = None
    if len(employee_ids) + len(rater_ids) + len(own) + len(rated) > FORGET_ALL_ABOVE:
        months = [*own.values(), *(month_ordinal(period) for _, period in rated)]
        undated = employee_ids or rater_ids or linked or None in months
        forget_all_scores(connection, None if undated else min(months))  # type: ignore[type-var]
        return
    periods = [row[0] for row in _SCORED_PERIODS.all_on(connection, {})]
    if not periods:
        return
    named = _owners(connection, linked or {}, own, dict.fromkeys(employee_ids))
    for person, since in named.items():
        add_dated(own, person, since)
    _outdate_people(connection, periods, own)
    everywhere = set(rater_ids)
    if named:
        for person, rater, period in connection.execute(_RATINGS_OF, {"people": sorted(named)}):
            if named[person] is None:
                everywhere.add(rater)
            elif _last_month(period) >= named[person]:  # stricter: the period itself
                rated.append((rater, period))
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


def forget_evaluations(connection: Any, rows: Iterable[tuple[int, int | None, str]]) -> None:
    """Mark outdated what evaluations written without the session's watch (`serving.freshness`)
    may change: as a flush of them would. `rows` are (employee, rater or None, period)."""
    dated: dict[int, int | None] = {}
    rated = set()
    for employee, rater, period in rows:
        add_dated(dated, employee, month_ordinal(period))
        if rater is not None:
            rated.add((rater, period))
    forget_scores(connection, rated=sorted(rated), dated=dated)


def earliest_month(dates: Iterable[Any]) -> int | None:
    """The earliest month ordinal of `dates` (dates, months or period codes: `month_ordinal`),
    None when one of them has none."""
    months = [month_ordinal(value) for value in dates]
    return None if not months or None in months else min(months)  # type: ignore[type-var]


def _owners(
    connection: Any, linked: Linked, own: dict[int, int | None], named: dict[int, int | None]
) -> dict[int, int | None]:
    """Add the owners of the `linked` records to `own` (kinds outside `RATER_INPUTS`) or to
    `named`, each from the month of the record written; returns `named`."""
    for kind, records in linked.items():
        if not records:
            continue
        months = records if isinstance(records, Mapping) else dict.fromkeys(records)
        people = named if kind in RATER_INPUTS else own
        for record, owner, dating in connection.execute(OWNERS[kind](sorted(months))):
            since = months.get(record)
            add_dated(people, owner, month_ordinal(dating) if since is None else since)
    return named


def _outdate_people(connection: Any, periods: list[str], own: Mapping[int, int | None]) -> None:
    """Mark the own scores of the people of `own` in the `periods` their records reach: one
    UPDATE per set of periods (usually one)."""
    groups: dict[tuple[str, ...], list[int]] = {}
    for person, since in own.items():
        groups.setdefault(tuple(reached_periods(periods, since)), []).append(person)
    for reached, people in groups.items():
        if len(reached) == len(periods):
            connection.execute(_OUTDATE_PEOPLE, {"people": sorted(people)})
        elif len(reached) == 1:  # the usual write: of the latest period (one IN list less)
            parameters = {"people": sorted(people), "scored_period": reached[0]}
            connection.execute(_OUTDATE_PEOPLE_AT, parameters)
        elif reached:
            parameters = {"people": sorted(people), "periods": list(reached)}
            connection.execute(_OUTDATE_PEOPLE_IN, parameters)


@lru_cache(maxsize=64)
def lookback_periods(period: str) -> frozenset[str]:
    """The periods whose evaluations the features of `period` read (its serving axis)."""
    from service.features import serving_axis  # the features load numpy and pandas

    return frozenset(serving_axis(period).codes())


def forget_all_scores(connection: Any, since: int | None = None) -> None:
    """Mark every stored score outdated (a change every employee's features may read), or,
    given `since` (a month ordinal: every record written is dated in it or later), those of
    the periods ending in it or later (`reached_periods`)."""
    if since is None:
        connection.execute(_outdate())
        return
    periods = [row[0] for row in _SCORED_PERIODS.all_on(connection, {})]
    reached = reached_periods(periods, since)
    if reached:
        connection.execute(_OUTDATE_PERIODS, {"periods": reached})


def _outdate(*where: Any) -> Any:
    """UPDATE marking the selected current scores outdated (the rows stay: they are records)."""
    return update(RiskScore).where(RiskScore.outdated.is_(False), *where).values(outdated=True)


#: Every period with stored scores, one index probe each (a loose scan of the period index:
#: a few periods over millions of rows). Every write's first statement, and usually its only
#: one here (nothing stored to outdate), so it runs prepared (`Prepared`: none of
#: SQLAlchemy's per-execution work on SQLite).
_SCORED_PERIODS = Prepared(
    text(
        """
    WITH RECURSIVE scored(period) AS (
        SELECT min(period) FROM risk_scores
        UNION ALL
        SELECT (SELECT min(period) FROM risk_scores WHERE period > scored.period)
        FROM scored WHERE scored.period IS NOT NULL
    )
    SELECT period FROM scored WHERE period IS NOT NULL
    """
    ).columns(RiskScore.period)
)
#: The statements of `forget_scores`, built once (only their parameters change per write).
_PEOPLE = RiskScore.employee_id.in_(bindparam("people", expanding=True))
_IN_PERIODS = RiskScore.period.in_(bindparam("periods", expanding=True))
_OUTDATE_PEOPLE = _outdate(_PEOPLE)
_OUTDATE_PEOPLE_IN = _outdate(_PEOPLE, _IN_PERIODS)
_OUTDATE_PEOPLE_AT = _outdate(_PEOPLE, RiskScore.period == bindparam("scored_period"))
_OUTDATE_PERIODS = _outdate(_IN_PERIODS)
#: (employee, rater, period) of the people's rated evaluations.
_RATINGS_OF = select(Evaluation.employee_id, Evaluation.rater_id, Evaluation.period).where(
    Evaluation.employee_id.in_(bindparam("people", expanding=True)),
    Evaluation.rater_id.is_not(None),
)
_RATED_IN_WINDOW = select(Evaluation.employee_id).where(
    Evaluation.rater_id.in_(bindparam("raters", expanding=True)),
    Evaluation.period.in_(bindparam("window", expanding=True)),
)
_OUTDATE_RATED = _outdate(
    RiskScore.period == bindparam("scored_period"), RiskScore.employee_id.in_(_RATED_IN_WINDOW)
)


def add_job(session: Session, requested_by: int | None, params: dict[str, Any]) -> ModelJob:
    job = ModelJob(
        kind="retrain", status="queued", requested_by_user_id=requested_by, params=params
    )
    session.add(job)
    session.flush()
    return job


def get_job(session: Session, job_id: int) -> ModelJob | None:
    return session.get(ModelJob, job_id)


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
