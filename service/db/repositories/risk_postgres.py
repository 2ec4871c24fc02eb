"""PostgreSQL's form of the batch history statements whose plans followed the table's size.

`risk_batch` reads a range (or a list) of employees with statements driven by their ids: on
SQLite the join order is forced (`CROSS JOIN`). PostgreSQL plans every join itself, and with
the statistics of a large table it joined the range's rows to whole tables (hash joins over
parallel sequential scans of `rhks`, `feedback_raters`, `assessment_levels`, `employees`,
`competency_standards`, `evaluations` and `dialogue_actions`): a chunk then costs what the
table costs, and `kinerja score` grows with the square of the employees.

Here each child table is read through a `LATERAL` subquery with `OFFSET 0`: PostgreSQL cannot
pull such a subquery up into the join, so it runs it once per parent row, through the index
on the parent key (a nested loop the planner cannot turn into a hash join, whatever its
statistics or a prepared statement's generic plan). The rows and the ORDER BY are those of
the statements they replace, so the panel adds the same numbers in the same order. Each
subquery holds a whole parent's rows (an SKP's realised indicators, a round's answers, an
employee's assessed levels with their standards): one fence per table made PostgreSQL add a
Memoize node to each (no hits, 8 MB of cache) and cost a quarter more.

Measured (2026-12-07, server backend CPU in ms, /proc utime + stime around 4 runs, median
of 5, load 3-5 on 2 shared cores; before: the old statements with parallel workers off, so
that all their CPU is in the backend; after: as the read runs them, JIT off), a range of
6,250 ids on the 25k / 100k samples (`kinerja_bench_keep_s18`, `_100k`), before -> after:

    achievements      388 / 348  ->  343 / 303   (200k rows)
    feedback360       130 / 155  ->  128 / 118
    assessments       293 / 375  ->  293 / 275
    rater_stats        85 / 330  ->   25 /  25
    dialogue_actions  7.5 /  15  ->  7.5 /  10

and 1,000 ids scattered over the table (`listed_histories`): achievements 93 / 90 -> 78 /
90, feedback360 48 / 30 -> 25 / 28, assessments 93 / 65 -> 60 / 55, dialogue_actions 7.5 /
25 -> 5 / 12.5, rater_stats 635 / 1,523 -> 880 / 1,375. The listed raters' statistics cost
what their raters' teams cost: 1,000 scattered employees have some 900 raters, who rated
9,300 (25k) / 11,900 (100k) people whose shares are read (95 / 116 us each); the old plan's
hash joins over whole tables were cheaper for that at 25k and dearer at 100k. With default
settings the old plans also ran parallel workers, whose CPU is not in the backend's (the
postmaster's reaped children, noisy: achievements some 70 ms more at 25k, 215 at 100k).
Summing each person's share inside the subquery (no sort of the realisations) gave 848 /
1,355 against 883 / 1,425: within the noise, not done.
"""

from __future__ import annotations

from collections.abc import Iterator
from collections.abc import Sequence
from contextlib import contextmanager
from datetime import date
from datetime import datetime
from typing import Any

from sqlalchemy import Select
from sqlalchemy import and_
from sqlalchemy import func
from sqlalchemy import literal_column
from sqlalchemy import or_
from sqlalchemy import select
from sqlalchemy import text
from sqlalchemy import true
from sqlalchemy.orm import Session

from service.db.models import BEHAVIOR_COLUMNS
from service.db.models import AssessmentLevel
from service.db.models import CompetencyAssessment
from service.db.models import CompetencyStandard
from service.db.models import DialogueAction
from service.db.models import Employee
from service.db.models import FeedbackAnswer
from service.db.models import FeedbackRater
from service.db.models import FeedbackRound
from service.db.models import PerformanceDialogue
from service.db.repositories.risk_history import Who
from service.domain.feedback360_terms import RaterGroup
from service.domain.feedback360_terms import RoundStatus

#: `risk_coded.ACHIEVEMENTS_FROM`: each SKP's realised indicators in one subquery (`r`; `i`
#: names its indicator columns as the SELECT templates read them), same rows, same order.
ACHIEVEMENTS_FROM = """
FROM skps s
  CROSS JOIN LATERAL (
    SELECT h.id AS rhk_id, i.id AS indicator_id, i.aspect, i.target_value, r.period, r.value
    FROM rhks h JOIN indicators i ON i.rhk_id = h.id JOIN realisations r ON r.indicator_id = i.id
    WHERE h.skp_id = s.id AND i.target_value > 0 AND r.value IS NOT NULL AND {periods}
    OFFSET 0
  ) r
  CROSS JOIN LATERAL (SELECT r.aspect, r.target_value) i
WHERE s.employee_id {who}
ORDER BY s.employee_id, s.year, s.position_id, r.rhk_id, r.indicator_id, r.period
"""

#: The FROM clauses of `risk_batch._RATER_STATS`'s `rated` (each rater's evaluations through
#: the rater index) and `shares` (each rated person's pro-rated realisations through their
#: SKPs), one subquery per rater and per person (`s` and `i` name the columns the SELECT
#: of `shares` reads).
RATED_FROM = """
  FROM raters CROSS JOIN LATERAL (
    SELECT e.period, e.employee_id, e.work_result_rating, e.behavior_rating, e.predikat
    FROM evaluations e
    WHERE e.rater_id = raters.rater_id AND e.period || '' IN :periods AND {outside}
    OFFSET 0
  ) e"""
SHARES_FROM = """
  FROM ratees CROSS JOIN LATERAL (
    SELECT r.period, r.value, i.target_value
    FROM skps s JOIN rhks h ON h.skp_id = s.id JOIN indicators i ON i.rhk_id = h.id
         JOIN realisations r ON r.indicator_id = i.id
    WHERE s.employee_id = ratees.employee_id AND r.period || '' IN :periods
      AND i.aspect IN :pro_rated AND i.target_value > 0 AND r.value IS NOT NULL
    OFFSET 0
  ) r
  CROSS JOIN LATERAL (SELECT ratees.employee_id) s
  CROSS JOIN LATERAL (SELECT r.target_value) i"""


@contextmanager
def without_jit(session: Session) -> Iterator[None]:
    """On PostgreSQL, run the block's statements without JIT compilation (the transaction's
    setting is restored after it; other databases: as they are).

    The nested loops above are estimated dear (an index probe per row at `random_page_cost`),
    above `jit_above_cost`, so PostgreSQL compiled them before each run, which costs more than
    their rows: `rater_stats` of a 6,250 range took 227 ms of server CPU with JIT and 25
    without on the 25k sample (2026-12-07), and no statement here ran faster with it.
    """
    if session.get_bind().dialect.name != "postgresql":
        yield
        return
    setting = "SELECT set_config('jit', :value, true)"
    before = session.execute(text("SELECT current_setting('jit')")).scalar_one()
    session.execute(text(setting), {"value": "off"})
    yield  # a failure aborts the transaction, and its end restores the setting
    session.execute(text(setting), {"value": before})


def _fenced(statement: Select[Any], name: str) -> Any:
    """`statement` as a LATERAL subquery PostgreSQL runs once per outer row (`OFFSET 0`)."""
    return statement.offset(literal_column("0")).lateral(name)


def _chain(parent: Any, *children: Any) -> Any:
    """`parent`'s table joined to each LATERAL subquery of `children` in turn."""
    joined = parent.__table__
    for child in children:
        joined = joined.join(child, true())
    return joined


def feedback360_statement(who: Who, periods: Sequence[str]) -> Select[Any]:
    """`risk_history.feedback360_statement`: each round's peer and subordinate raters
    (the (round, rater) index) and their answers in one subquery, in the same order."""
    groups = [RaterGroup.PEER, RaterGroup.SUBORDINATE]
    ratings = [getattr(FeedbackAnswer, name) for name in BEHAVIOR_COLUMNS.values()]
    answers = (
        select(FeedbackRater.id, FeedbackRater.rater_employee_id, FeedbackRater.rater_group)
        .add_columns(*ratings)
        .join(FeedbackAnswer, FeedbackAnswer.rater_id == FeedbackRater.id)
        .where(FeedbackRater.round_id == FeedbackRound.id, FeedbackRater.rater_group.in_(groups))
    )
    answer = _fenced(answers, "answer")
    return (
        select(
            FeedbackRound.employee_id,
            FeedbackRound.period,
            FeedbackRound.id.label("round_id"),
            answer.c.rater_group,
            *(answer.c[rating.key] for rating in ratings),
        )
        .select_from(_chain(FeedbackRound, answer))
        .where(
            who(FeedbackRound.employee_id),
            FeedbackRound.period.in_(periods),
            or_(
                FeedbackRound.status == RoundStatus.CLOSED,
                FeedbackRound.closes_on < func.current_date(),
            ),
        )
        .order_by(
            FeedbackRound.employee_id,
            FeedbackRound.period,
            answer.c.rater_employee_id.asc().nulls_first(),
            answer.c.id,
        )
    )


def assessments_statement(who: Who) -> Select[Any]:
    """`risk_history.assessments_statement`: each employee's assessments, their levels and
    each level's standard for the employee's position in one subquery, in the same order."""
    levels = (
        select(
            CompetencyAssessment.id,
            CompetencyAssessment.assessed_on,
            AssessmentLevel.competency_code,
            AssessmentLevel.level,
            CompetencyStandard.required_level,
        )
        .join(AssessmentLevel, AssessmentLevel.assessment_id == CompetencyAssessment.id)
        .join(
            CompetencyStandard,
            and_(
                CompetencyStandard.position_id == Employee.position_id,
                CompetencyStandard.competency_code == AssessmentLevel.competency_code,
            ),
        )
        .where(CompetencyAssessment.employee_id == Employee.id)
    )
    level = _fenced(levels, "level")
    return (
        select(
            Employee.id.label("employee_id"),
            level.c.assessed_on,
            level.c.level,
            level.c.required_level,
        )
        .select_from(_chain(Employee, level))
        .where(who(Employee.id))
        .order_by(Employee.id, level.c.id, level.c.competency_code)
    )


def dialogue_actions_statement(who: Who, since: date) -> Select[Any]:
    """`risk_history.dialogue_actions_statement`: each dialogue's actions through the
    dialogue index."""
    actions = select(DialogueAction.reviewed_at, DialogueAction.done).where(
        DialogueAction.dialogue_id == PerformanceDialogue.id,
        DialogueAction.reviewed_at.is_not(None),
        DialogueAction.reviewed_at >= datetime(since.year, since.month, since.day),
    )
    action = _fenced(actions, "action")
    return (
        select(PerformanceDialogue.employee_id, action.c.reviewed_at, action.c.done)
        .select_from(_chain(PerformanceDialogue, action))
        .where(who(PerformanceDialogue.employee_id))
    )
