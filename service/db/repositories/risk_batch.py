"""Risk history of a range of employee ids, read by statements whose cost is the range's own.

`repositories.risk.histories` reads the rows every serving path reads, for any set of
employees (a team, a page). For a range of ids in a national table, SQLite's planner (it has
no statistics) drives three of those statements from the whole table: evaluations through
the period index (every evaluation of the look-back), realisations and the raters' team
output by a full scan of `realisations`. Each chunk then costs in proportion to the whole
agency, so `kinerja score` grows with the square of its employees (at 5.6 million in chunks
of 25,000, each chunk would scan some 180 million realisations).

Here the same rows come from statements driven by the id range: `CROSS JOIN` fixes SQLite's
join order (PostgreSQL plans it as any inner join) and `period || ''` keeps it off the
period index. Every other statement is `repositories.risk`'s own. Keys and columns are those
of `histories`, so `build_panel` takes either.
"""

from __future__ import annotations

from collections.abc import Mapping
from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import Select
from sqlalchemy import bindparam
from sqlalchemy import column
from sqlalchemy import select
from sqlalchemy import text
from sqlalchemy.orm import Session

from service.db.models import Employee
from service.db.repositories import risk as repo
from service.db.repositories.risk import Columns
from service.domain.entities import POOR_PREDIKAT
from service.domain.entities import IndicatorAspect
from service.domain.entities import Rating
from service.features.scales import PREDIKAT_SCORE
from service.features.scales import RATING_SCORE

_EVALUATIONS = f"""
SELECT {", ".join(f"e.{name}" for name in repo._EVALUATION_COLUMNS)}
FROM evaluations e
WHERE e.employee_id BETWEEN :first AND :last AND e.period || '' IN :periods
"""

_PRO_RATED = (IndicatorAspect.KUANTITAS.value, IndicatorAspect.BIAYA.value)
_ACHIEVEMENT_COLUMNS = ("employee_id", "period", "aspect", "value", "target_value")
_ACHIEVEMENTS = """
SELECT s.employee_id, r.period, i.aspect, r.value, i.target_value
FROM skps s CROSS JOIN rhks h CROSS JOIN indicators i CROSS JOIN realisations r
WHERE s.employee_id BETWEEN :first AND :last
  AND h.skp_id = s.id AND i.rhk_id = h.id AND r.indicator_id = i.id
  AND i.target_value > 0 AND r.value IS NOT NULL AND r.period IN :periods
"""

#: What each rater of the range's evaluations gave everyone they rated, per period, and the
#: output of those people (see `repositories.risk.rater_stats_statement`, same columns).
#: The raters' evaluations are read through the rater index (`raters CROSS JOIN
#: evaluations`), never by a scan of every evaluation (which made each chunk cost in
#: proportion to the whole agency), and each rated person's share (realised / yearly target
#: on pro-rated indicators) is computed once per person and period, not once per evaluation
#: and SKP. Each share adds its rows in the same order as before, and the raters' sums add
#: the shares person by person (`person` is grouped by rater, period and person), so the
#: values are those of the set read, to the bit.
_RATER_STATS_COLUMNS = (
    "rater_id", "period", "ratings", "work_sum", "behavior_sum", "poor_sum",
    "output_share_sum", "output_people",
)  # fmt: skip
_RATER_STATS = """
WITH raters AS (
  SELECT DISTINCT rater_id FROM evaluations
  WHERE employee_id BETWEEN :first AND :last AND rater_id IS NOT NULL
), given AS (
  SELECT e.rater_id, e.period, COUNT(*) AS ratings,
         SUM(CASE e.work_result_rating WHEN :above THEN 1 WHEN :below THEN -1 ELSE 0 END)
           AS work_sum,
         SUM(CASE e.behavior_rating WHEN :above THEN 1 WHEN :below THEN -1 ELSE 0 END)
           AS behavior_sum,
         SUM(CASE WHEN e.predikat IN :poor THEN 1 ELSE 0 END) AS poor_sum
  FROM raters CROSS JOIN evaluations e
  WHERE e.rater_id = raters.rater_id AND e.period || '' IN :periods
  GROUP BY e.rater_id, e.period
), rated AS (
  SELECT e.rater_id, e.period, e.employee_id
  FROM raters CROSS JOIN evaluations e
  WHERE e.rater_id = raters.rater_id AND e.period || '' IN :periods
), ratees AS (
  SELECT DISTINCT employee_id FROM rated
), shares AS (
  SELECT s.employee_id, r.period, SUM(r.value) / SUM(i.target_value) AS share
  FROM ratees CROSS JOIN skps s CROSS JOIN rhks h CROSS JOIN indicators i
       CROSS JOIN realisations r
  WHERE s.employee_id = ratees.employee_id AND h.skp_id = s.id AND i.rhk_id = h.id
    AND r.indicator_id = i.id AND r.period IN :periods
    AND i.aspect IN :pro_rated AND i.target_value > 0 AND r.value IS NOT NULL
  GROUP BY s.employee_id, r.period
), person AS (
  SELECT rated.rater_id, rated.period, rated.employee_id, MIN(shares.share) AS share
  FROM rated CROSS JOIN shares
  WHERE shares.employee_id = rated.employee_id AND shares.period = rated.period
  GROUP BY rated.rater_id, rated.period, rated.employee_id
), output AS (
  SELECT rater_id, period, SUM(share) AS output_share_sum, COUNT(*) AS output_people
  FROM person GROUP BY rater_id, period
)
SELECT given.rater_id, given.period, given.ratings, given.work_sum, given.behavior_sum,
       given.poor_sum, output.output_share_sum, output.output_people
FROM given LEFT JOIN output
  ON output.rater_id = given.rater_id AND output.period = given.period
"""


def _case(expression: str, table: Mapping[str, float], otherwise: str = "NULL") -> str:
    """SQL `CASE` giving each stored value of `table` its (whole-number) score.

    The keys are our own enum values (checked to be plain words), so they are written as
    literals and the statement stays one cached text per look-back.
    """
    arms = []
    for code, score in table.items():
        if not code.replace("_", "").replace("-", "").isalnum() or score != int(score):
            raise ValueError(f"cannot write {code!r} -> {score!r} as a SQL literal")
        arms.append(f"WHEN '{code}' THEN {int(score)}")
    return f"CASE {expression} {' '.join(arms)} ELSE {otherwise} END"


def _period_index(expression: str, periods: Sequence[str]) -> str:
    """SQL giving each period code its position in `periods` (-1 for any other)."""
    return _case(expression, {code: i for i, code in enumerate(periods)}, "-1")


def _coded_evaluations(periods: Sequence[str]) -> tuple[str, tuple[str, ...]]:
    """`_EVALUATIONS` with numbers instead of text: the period's position, the scores.

    A text value costs the driver a new Python string; a small integer is shared. The
    scores are `PREDIKAT_SCORE` / `RATING_SCORE`, NULL where the panel would give NaN.
    """
    scored = {"predikat": PREDIKAT_SCORE} | {
        name: RATING_SCORE for name in repo._EVALUATION_COLUMNS[4:]
    }
    parts = ["e.employee_id", _period_index("e.period", periods), "e.rater_id"]
    parts += [_case(f"e.{name}", table) for name, table in scored.items()]
    names = ("employee_id", "period_index", "rater_id", *scored)
    select_list = ", ".join(f"{part} AS {name}" for part, name in zip(parts, names, strict=True))
    sql = _EVALUATIONS.replace(
        ", ".join(f"e.{name}" for name in repo._EVALUATION_COLUMNS), select_list
    )
    return sql, names


def _coded_achievements(periods: Sequence[str]) -> tuple[str, tuple[str, ...]]:
    """`_ACHIEVEMENTS` with the period's position and a pro-rated flag instead of text."""
    pro_rated = ", ".join(f"'{aspect}'" for aspect in _PRO_RATED)
    select_list = (
        f"s.employee_id, {_period_index('r.period', periods)} AS period_index, "
        f"CASE WHEN i.aspect IN ({pro_rated}) THEN 1 ELSE 0 END AS pro_rated, "
        "r.value, i.target_value"
    )
    sql = _ACHIEVEMENTS.replace(
        "s.employee_id, r.period, i.aspect, r.value, i.target_value", select_list
    )
    return sql, ("employee_id", "period_index", "pro_rated", "value", "target_value")


def _statement(sql: str, names: Sequence[str], **values: Any) -> Select[Any]:
    """`sql` with its parameters bound (lists expanded), as a select of the columns `names`."""
    parameters = [
        bindparam(name, value, expanding=isinstance(value, list)) for name, value in values.items()
    ]
    typed = text(sql).bindparams(*parameters).columns(*(column(name) for name in names))
    return select(typed.subquery("batch"))


def range_histories(
    session: Session,
    first_id: int,
    last_id: int,
    periods: Sequence[str],
    since: date,
    *,
    coded: bool = False,
) -> dict[str, Columns]:
    """The stored history of employees `first_id..last_id`, as `repo.histories` gives it.

    `periods` are the look-back's codes, `since` the first day of attendance, programmes,
    activity and dialogue actions read. `coded` reads evaluations and realisations as
    numbers (`_coded_evaluations`, `_coded_achievements`: a `period_index` column, the
    position in `periods`, which must then be the axis's codes, instead of `period`);
    `build_panel` makes the same panel of them as of the text rows, without mapping text.
    """

    def who(column: Any) -> Any:
        return column.between(first_id, last_id)

    within = {"first": first_id, "last": last_id, "periods": list(periods)}
    employees = select(Employee.id.label("employee_id"), Employee.hire_date, Employee.grade)

    def read(statement: Any) -> Columns:
        return repo._columns(session, statement)

    evaluations = (_EVALUATIONS, repo._EVALUATION_COLUMNS)
    achievements = (_ACHIEVEMENTS, _ACHIEVEMENT_COLUMNS)
    if coded:
        evaluations, achievements = _coded_evaluations(periods), _coded_achievements(periods)
    return {
        "employees": read(employees.where(who(Employee.id))),
        "evaluations": read(_statement(*evaluations, **within)),
        "achievements": read(_statement(*achievements, **within)),
        "attendance": read(repo.attendance_statement(who, since)),
        "assessments": read(repo.assessments_statement(who)),
        "enrolments": read(repo.enrolments_statement(who, since)),
        "rater_stats": read(
            _statement(
                _RATER_STATS,
                _RATER_STATS_COLUMNS,
                **within,
                above=Rating.DI_ATAS_EKSPEKTASI.value,
                below=Rating.DI_BAWAH_EKSPEKTASI.value,
                poor=sorted(p.value for p in POOR_PREDIKAT),
                pro_rated=list(_PRO_RATED),
            )
        ),
        "activity": read(repo.activity_statement(who, since)),
        "feedback360": read(repo.feedback360_statement(who, periods)),
        "dialogue_actions": read(repo.dialogue_actions_statement(who, since)),
    }
