"""Reads and writes of the risk model besides the histories (`risk_history`): the period
served, the rule's transitions, batch scores and their invalidation, retrain jobs."""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Iterable
from collections.abc import Mapping
from collections.abc import Sequence
from datetime import UTC
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
    periods = [row[0] for row in _SCORED_PERIODS.all_on(connection, {})]
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
