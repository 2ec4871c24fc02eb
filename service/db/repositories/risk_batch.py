"""Risk history of a range of employee ids, read by statements whose cost is the range's own.

`repositories.risk_history.histories` reads the rows every serving path reads, for any set of
employees (a team, a page). For a range of ids in a national table, SQLite's planner (it has
no statistics) drives three of those statements from the whole table: evaluations through
the period index (every evaluation of the look-back), realisations and the raters' team
output by a full scan of `realisations`. Each chunk then costs in proportion to the whole
agency, so `kinerja score` grows with the square of its employees (at 5.6 million in chunks
of 25,000, each chunk would scan some 180 million realisations).

Here the same rows come from statements driven by the id range: `CROSS JOIN` fixes SQLite's
join order and `period || ''` keeps it off the period index. PostgreSQL plans a `CROSS JOIN`
as any inner join, and its statistics made it join the range to whole tables, so it reads
achievements, 360 answers, assessments, the raters' statistics and dialogue actions with
`risk_postgres`'s statements (a LATERAL subquery per parent row; figures there), without
JIT. Every other statement is `repositories.risk`'s own. Keys and columns are those
of `histories`, so `build_panel` takes either.
"""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Sequence
from datetime import date
from functools import lru_cache
from typing import Any

from sqlalchemy import Integer
from sqlalchemy import bindparam
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.db.models import Employee
from service.db.repositories import risk_coded
from service.db.repositories import risk_history as repo
from service.db.repositories import risk_postgres
from service.db.repositories import risk_raters
from service.db.repositories.risk_coded import in_periods
from service.db.repositories.risk_coded import text_select
from service.db.repositories.risk_history import Columns
from service.domain.entities import POOR_PREDIKAT
from service.domain.entities import Rating

_EVALUATIONS = "SELECT " + ", ".join(f"e.{name}" for name in repo._EVALUATION_COLUMNS)
_EVALUATIONS += risk_coded.EVALUATIONS_FROM  # a template: `{who}` selects the employees
_ACHIEVEMENT_COLUMNS = ("employee_id", "period", "aspect", "value", "target_value")
_ACHIEVEMENTS = "SELECT s.employee_id, r.period, i.aspect, r.value, i.target_value"

#: What each rater of the range's evaluations gave everyone they rated, per period, and the
#: output of those people (see `repositories.risk_history.rater_stats_statement`, same columns).
#: The raters' evaluations are read through the rater index (`raters CROSS JOIN
#: evaluations`), never by a scan of every evaluation (which made each chunk cost in
#: proportion to the whole agency), once (`rated`; the counts of `given` come from it), and
#: each rated person's share (realised / yearly target on pro-rated indicators) is computed
#: once per person and period, not once per evaluation and SKP; its realisations are found by
#: one range of the (indicator, period) index per indicator (`r.period || ''`), not one probe
#: per period. Each share is a whole number of billionths and the raters' sums add them
#: exactly, whatever order the plan adds them in (`risk_history.SHARE_SCALE`), so the values
#: are those of the set read, to the bit.
#:
#: `{outside}` keeps the rated people the statement aggregates (the text read: everyone,
#: `1 = 1`); `{period}` and `{output}` are the columns of the period and the output.
_RATER_STATS_COLUMNS = (
    "rater_id", "period", "ratings", "work_sum", "behavior_sum", "poor_sum",
    "output_share_sum", "output_people",
)  # fmt: skip
_RATER_STATS = """
WITH raters AS (
  SELECT DISTINCT rater_id FROM evaluations
  WHERE employee_id {who} AND rater_id IS NOT NULL
), rated AS (
  SELECT raters.rater_id, e.period, e.employee_id, e.work_result_rating, e.behavior_rating,
         e.predikat{rated_from}
), given AS (
  SELECT rater_id, period, COUNT(*) AS ratings,
         SUM(CASE work_result_rating WHEN :above THEN 1 WHEN :below THEN -1 ELSE 0 END)
           AS work_sum,
         SUM(CASE behavior_rating WHEN :above THEN 1 WHEN :below THEN -1 ELSE 0 END)
           AS behavior_sum,
         SUM(CASE WHEN predikat IN :poor THEN 1 ELSE 0 END) AS poor_sum
  FROM rated GROUP BY rater_id, period
), ratees AS (
  SELECT DISTINCT employee_id FROM rated
), shares AS (
  SELECT s.employee_id, r.period,
         ROUND(SUM(r.value) / SUM(i.target_value) * {scale}) AS share{shares_from}
  GROUP BY s.employee_id, r.period
), person AS (
  SELECT rated.rater_id, rated.period, rated.employee_id, MIN(shares.share) AS share
  FROM rated CROSS JOIN shares
  WHERE shares.employee_id = rated.employee_id AND shares.period = rated.period
  GROUP BY rated.rater_id, rated.period, rated.employee_id
), output AS (
  SELECT rater_id, period, SUM(share) AS billionths, COUNT(*) AS people
  FROM person GROUP BY rater_id, period
)
SELECT given.rater_id, {period}, given.ratings, given.work_sum, given.behavior_sum,
       given.poor_sum, {output}
FROM given LEFT JOIN output
  ON output.rater_id = given.rater_id AND output.period = given.period
"""
#: SQLite's FROM clauses of `rated` and `shares` in `_RATER_STATS` (PostgreSQL's:
#: `risk_postgres.RATED_FROM`, `SHARES_FROM`).
_RATED_FROM = """
  FROM raters CROSS JOIN evaluations e
  WHERE e.rater_id = raters.rater_id AND e.period || '' IN :periods AND {outside}"""
_SHARES_FROM = """
  FROM ratees CROSS JOIN skps s CROSS JOIN rhks h CROSS JOIN indicators i
       CROSS JOIN realisations r
  WHERE s.employee_id = ratees.employee_id AND h.skp_id = s.id AND i.rhk_id = h.id
    AND r.indicator_id = i.id AND r.period || '' IN :periods
    AND i.aspect IN :pro_rated AND i.target_value > 0 AND r.value IS NOT NULL"""
#: The text read's output columns: the sum of the shares and the people, NULL when none.
_TEXT_OUTPUT = "output.billionths / {scale} AS output_share_sum, output.people AS output_people"
#: The coded read's output columns: the sum of the shares in billionths and the people, NULL
#: when none (the coded read aggregates only the people rated outside it, and
#: `risk_raters.complete` adds those inside it).
_CODED_OUTPUT = "output.billionths AS billionths, output.people AS people"


def range_histories(
    session: Session,
    first_id: int,
    last_id: int,
    periods: Sequence[str],
    since: date,
    *,
    coded: bool = False,
    assessed_since: date | None = None,
) -> dict[str, Columns]:
    """The stored history of employees `first_id..last_id`, as `repo.histories` gives it.

    `periods` are the look-back's codes, `since` the first day of attendance, programmes,
    activity and dialogue actions read. `coded` reads evaluations, realisations, attendance,
    360 answers, assessments and activity as packed numbers into typed arrays (`risk_coded`:
    a `period_index` column, the position in `periods`, which must then be the axis's
    codes, instead of `period`; a `month_ordinal` instead of `month`; days as
    datetime64[D]), and the raters' statistics of the people rated outside the range only,
    completed from its own rows (`risk_raters`); `build_panel` makes the same panel of them
    as of the text rows, without mapping text.

    `assessed_since` (None: every assessment) reads only the assessments of that day or
    later: a read of one new period (`features.panel_slice`) carries the earlier ones over
    from the previous period's panel.
    """
    dialect = session.get_bind().dialect.name
    statements = _statements(
        tuple(periods), since, coded, listed=False, dialect=dialect, assessed_since=assessed_since
    )
    width = len(periods) if coded else None
    return _read(session, statements, {"first": first_id, "last": last_id}, width)


def listed_histories(
    session: Session,
    employee_ids: Sequence[int],
    periods: Sequence[str],
    since: date,
    *,
    coded: bool = False,
    assessed_since: date | None = None,
) -> dict[str, Columns]:
    """`range_histories` of the employees `employee_ids` only (an `IN` list of them).

    The same statements with `IN :ids` where those have `BETWEEN :first AND :last`, driven
    by the same indexes, so employees scattered over the table cost what they cost in a
    range read (a range costs about ten statements whatever its size). The list is rendered
    into each statement: callers bound its length (`LIST_BATCH`).
    """
    dialect = session.get_bind().dialect.name
    statements = _statements(
        tuple(periods), since, coded, listed=True, dialect=dialect, assessed_since=assessed_since
    )
    width = len(periods) if coded else None
    return _read(session, statements, {"ids": [int(i) for i in employee_ids]}, width)


def _read(
    session: Session, statements: Statements, parameters: dict[str, Any], width: int | None
) -> dict[str, Columns]:
    """Run `statements`; the raters' statistics of a coded read (`width`: its number of
    periods) are completed from its own evaluations and achievements (`risk_raters`)."""
    with risk_postgres.without_jit(session):
        found = {
            name: unpack(repo._rows_as_columns(session, statement, parameters, dtypes))
            for name, (statement, unpack, dtypes) in statements.items()
        }
    if width is not None:
        dialect = session.get_bind().dialect.name
        found["rater_stats"] = risk_raters.complete(
            found["rater_stats"], found["evaluations"], found["achievements"], width, dialect
        )
    return found


def _same(columns: Columns) -> Columns:
    return columns


#: The statements of one look-back, each with its unpacking of the rows read and the numpy
#: types of its columns (None: read as objects).
Statements = dict[str, tuple[Any, Callable[[Columns], Columns], tuple[str, ...] | None]]


@lru_cache(maxsize=16)
def _statements(
    periods: tuple[str, ...],
    since: date,
    coded: bool,
    listed: bool,
    dialect: str,
    assessed_since: date | None = None,
) -> Statements:
    """The statements `range_histories` (`listed_histories` if `listed`) runs, built once
    per look-back, kind of read and database `dialect` (PostgreSQL reads five sources
    through `risk_postgres`'s statements).

    The ids are bound when each statement runs (`:first`, `:last`, or the list `:ids`), so a
    run that reads many small sets (an incremental `kinerja score`: employees whose scores
    were outdated) builds and type-converts each statement once, not once per set: building
    them was more than half the CPU of reading one employee.
    """
    first, last = bindparam("first", type_=Integer), bindparam("last", type_=Integer)
    ids = bindparam("ids", type_=Integer, expanding=True)

    def who(column: Any) -> Any:
        return column.in_(ids) if listed else column.between(first, last)

    bound: dict[str, Any] = {"ids": []} if listed else {"first": None, "last": None}
    within = bound | {"periods": list(periods)}
    postgresql = dialect == "postgresql"
    read = risk_postgres if postgresql else repo
    employees = select(Employee.id.label("employee_id"), Employee.hire_date, Employee.grade)
    found = {"employees": employees.where(who(Employee.id))}
    feedback360 = read.feedback360_statement(who, periods)
    assessments = read.assessments_statement(who)
    if assessed_since is not None:  # the statements' second column is the assessment's day
        assessments = assessments.where(assessments.selected_columns[1] >= assessed_since)
    if coded:
        packed = {
            "evaluations": risk_coded.evaluations(within),
            "achievements": risk_coded.achievements(within, postgresql),
            "attendance": risk_coded.attendance(who, since),
            "feedback360": risk_coded.feedback360(feedback360, periods),
            "assessments": risk_coded.assessments(assessments),
            "activity": risk_coded.activity(who, since),
        }
    else:
        packed = {}
        achievements = _ACHIEVEMENTS + risk_coded.achievements_from(postgresql)
        found |= {
            "evaluations": _text(_EVALUATIONS, repo._EVALUATION_COLUMNS, within, "e.period"),
            "achievements": _text(achievements, _ACHIEVEMENT_COLUMNS, within, "r.period"),
            "attendance": repo.attendance_statement(who, since),
            "feedback360": feedback360,
            "assessments": assessments,
            "activity": repo.activity_statement(who, since),
        }
    found |= {
        "enrolments": repo.enrolments_statement(who, since),
        "rater_stats": _rater_stats(within, coded, postgresql),
        "dialogue_actions": read.dialogue_actions_statement(who, since),
    }
    plain: Statements = {
        name: (repo.as_text(statement), _same, None) for name, statement in found.items()
    }
    typed: Statements = {
        name: (repo.as_text(way.statement), way.unpack, way.dtypes) for name, way in packed.items()
    }
    return {name: plain.get(name) or typed[name] for name in _SOURCES}


#: The sources of a read, in the order their statements run (the coded read completes the
#: raters' statistics from the evaluations and achievements read before).
_SOURCES = (
    "employees", "evaluations", "achievements", "attendance", "feedback360", "assessments",
    "enrolments", "rater_stats", "activity", "dialogue_actions",
)  # fmt: skip


def _text(template: str, names: Sequence[str], within: dict[str, Any], period: str) -> Any:
    """The text statement `template` selecting the employees `within` binds, and the rows
    whose `period` column is one of its periods."""
    sql = template.format(who=risk_coded.employees_sql(within), periods=in_periods(period))
    return text_select(sql, names, **within)


def _rater_stats(within: dict[str, Any], coded: bool, postgresql: bool) -> Any:
    """`_RATER_STATS` of the range and periods `within`: over everyone rated (text), or over
    the people rated outside the range only (`coded`, completed by `risk_raters.complete`);
    on PostgreSQL with `risk_postgres`'s FROM clauses."""
    who = risk_coded.employees_sql(within)
    scale = repo.SHARE_SCALE
    if coded:
        period = f"{risk_coded.period_position('given.period', within['periods'])} AS period_index"
        outside, output = f"NOT (e.employee_id {who})", _CODED_OUTPUT
    else:
        period, outside, output = "given.period", "1 = 1", _TEXT_OUTPUT.format(scale=scale)
    rated = (risk_postgres.RATED_FROM if postgresql else _RATED_FROM).format(outside=outside)
    shares = risk_postgres.SHARES_FROM if postgresql else _SHARES_FROM
    sql = _RATER_STATS.format(
        who=who, scale=scale, period=period, output=output, rated_from=rated, shares_from=shares
    )
    return text_select(
        sql,
        risk_raters.OUTSIDE_COLUMNS if coded else _RATER_STATS_COLUMNS,
        **within,
        above=Rating.DI_ATAS_EKSPEKTASI.value,
        below=Rating.DI_BAWAH_EKSPEKTASI.value,
        poor=sorted(p.value for p in POOR_PREDIKAT),
        pro_rated=list(risk_coded.PRO_RATED),
    )
