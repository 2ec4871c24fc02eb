"""Batch history read as packed numbers, for `risk_batch.range_histories(coded=True)`.

The driver (sqlite3, psycopg) builds one Python object per value of every row, and at some
hundred rows per employee that costs as much CPU as the database's own work; a text value
(a period code, an enum) costs a new string each. So the coded reads ask for numbers the panel
takes as they are, and pack the small ones into one integer per row:

- evaluations: employee and period position in one key, the ten scores in another (three bits
  each: score minus the scale's lowest, 7 for unknown);
- realisations: employee, period position and the pro-rated flag in one key;
- attendance: employee and month ordinal in one key;
- assessments and activity-log entries: employee and the day (counted from 1970) in one key;
- 360 answers: employee and period position in one key, round and group in another, the
  seven ratings as digits (unpacked to their scores, the period and group to shared
  strings).

Unpacking is a few numpy operations on whole columns and gives the numbers the text rows map
to, so `build_panel` makes the same panel of them, to the bit.

Where the CPU goes (2026-12-07, the 100k sample on SQLite, chunks of 25,000, per employee;
the statement's SQLite share measured as `SELECT max(..)` of its columns, load 5-6): of 168
us, achievements 52 (SQLite 31, driver and arrays 21; 32 rows), attendance 35 (14 / 21; 24
rows), assessments 34 (20 / 14; 25 rows), 360 answers 16, evaluations 15 (8 rows), the
rest 16; 108 rows and 2.6 kB an employee. Turning the driver's tuples into arrays is 3 us
of achievements' 34 (`np.fromiter`); the rest is SQLite stepping through indexes and table
rows and sqlite3 building a Python object per value. Tried and rejected:

- attendance summed per period in SQL (GROUP BY; whole days, exact in any order): a third
  of the rows, the driver's share 15 -> 3.5 us, but SQLite's sort for the GROUP BY added
  as much (29.4 against 28.5 us in all);
- a chunk's rows as one `group_concat` text that numpy parses (attendance): 25.8 against
  27.1 us, SQLite's number formatting costs what the driver's objects did (and a REAL
  as text is not exact);
- the period's position by `instr` in a delimited list of the codes instead of `CASE`:
  35.7 against 26.2 us of SQLite for achievements;
- the three day counts of attendance packed into one integer: 4 us less, but only the API
  bounds a month's days (<= 31), not the schema, so a stored value could overflow a field;
- `PRAGMA mmap_size` / `cache_size` on the reading connection: 2-3 us less system CPU of
  some 60, within the noise of the user CPU at load 6.
"""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
from sqlalchemy import BigInteger
from sqlalchemy import Integer
from sqlalchemy import Select
from sqlalchemy import bindparam
from sqlalchemy import case
from sqlalchemy import cast
from sqlalchemy import column
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy import text
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from service.db.models import BEHAVIOR_COLUMNS
from service.db.models import AttendanceMonth
from service.db.repositories import risk_history as repo
from service.db.repositories import risk_postgres
from service.db.repositories.risk_history import Columns
from service.db.repositories.risk_history import Who
from service.domain.entities import IndicatorAspect
from service.domain.entities import Predikat
from service.domain.entities import Rating
from service.domain.feedback360_terms import RaterGroup
from service.features.scales import PREDIKAT_SCORE
from service.features.scales import RATING_SCORE

#: How the text statements select their employees: an id range, or a list of ids (`:ids`).
IN_RANGE = "BETWEEN :first AND :last"
IN_LIST = "IN :ids"
#: Templates of the text statements' FROM clauses (`{who}`: `IN_RANGE` or `IN_LIST`;
#: `{periods}`: `in_periods` of the period column).
EVALUATIONS_FROM = """
FROM evaluations e
WHERE e.employee_id {who} AND {periods}
"""
PRO_RATED = (IndicatorAspect.KUANTITAS.value, IndicatorAspect.BIAYA.value)
#: The realisations come in the order SQLite's plan reads them (the indexes on skps' employee,
#: rhks' and indicators' parent, realisations' (indicator, period)), so the ORDER BY costs it
#: no sort, and PostgreSQL gives them in that same order: the panel adds each cell's ratios
#: in row order, and PostgreSQL's plans (hash joins) gave another order from one read to the
#: next, so achievement and quality means differed in their last bits between two reads.
ACHIEVEMENTS_FROM = """
FROM skps s CROSS JOIN rhks h CROSS JOIN indicators i CROSS JOIN realisations r
WHERE s.employee_id {who}
  AND h.skp_id = s.id AND i.rhk_id = h.id AND r.indicator_id = i.id
  AND i.target_value > 0 AND r.value IS NOT NULL AND {periods}
ORDER BY s.employee_id, s.year, s.position_id, h.id, i.id, r.period
"""
#: Evaluation column -> its score table, in packing order (three bits each from the lowest).
_SCORED: dict[str, Mapping[str, float]] = {"predikat": PREDIKAT_SCORE} | {
    name: RATING_SCORE for name in repo._EVALUATION_COLUMNS[4:]
}
_DIGIT_BITS = 3
_UNKNOWN_DIGIT = (1 << _DIGIT_BITS) - 1
#: Column types of the packed reads: keys and packed digits are 64-bit integers, everything
#: else (values, targets, days, levels, rater ids) is read as the float the panel takes
#: (NULL as NaN).
_KEY, _NUMBER = "i8", "f8"
#: Month ordinals (year * 12 + month - 1) below this fit the attendance key (year < 10922).
_MONTH_SPAN = 1 << 17


@dataclass(frozen=True)
class Packed:
    """A statement whose rows come packed, how to unpack its columns, and the numpy type
    of each column (`risk_history.typed_columns`: read straight into arrays of them)."""

    statement: Select[Any]
    unpack: Callable[[Columns], Columns]
    dtypes: tuple[str, ...]


def text_select(sql: str, names: Sequence[str], **values: Any) -> Select[Any]:
    """`sql` with its parameters bound (lists expanded), as a select of the columns `names`."""
    parameters = [
        bindparam(name, value, expanding=isinstance(value, list)) for name, value in values.items()
    ]
    typed = text(sql).bindparams(*parameters).columns(*(column(name) for name in names))
    return select(typed.subquery("batch"))


def employees_sql(within: Mapping[str, Any]) -> str:
    """How a text statement bound with `within` selects employees: by the list `ids` when
    `within` binds one, else by the range `first`..`last`."""
    return IN_LIST if "ids" in within else IN_RANGE


#: The values most rows hold, tested first by `_case`.
_TYPICAL = frozenset({Predikat.BAIK.value, Rating.SESUAI_EKSPEKTASI.value})


def _case(expression: str, table: Mapping[str, float], otherwise: str = "NULL") -> str:
    """SQL `CASE` giving each stored value of `table` its (whole-number) score.

    The keys are our own enum values (checked to be plain words), so they are written as
    literals and the statement stays one cached text per look-back. The most common values
    (`_TYPICAL`) come first: the database compares the arms in order, and evaluations are
    mostly `baik` and `sesuai_ekspektasi` (the ten CASEs of an evaluation row cost 10 % less).
    """
    arms = []
    for code, score in sorted(table.items(), key=lambda item: item[0] not in _TYPICAL):
        if not code.replace("_", "").replace("-", "").isalnum() or score != int(score):
            raise ValueError(f"cannot write {code!r} -> {score!r} as a SQL literal")
        arms.append(f"WHEN '{code}' THEN {int(score)}")
    return f"CASE {expression} {' '.join(arms)} ELSE {otherwise} END"


def period_position(expression: str, periods: Sequence[str]) -> str:
    """SQL giving each period code its position in `periods` (-1 for any other).

    The statements read only rows of `periods`, so a key never holds -1.
    """
    return _case(expression, {code: i for i, code in enumerate(periods)}, "-1")


def in_periods(column: str, periods: Sequence[str] | None = None) -> str:
    """SQL keeping the rows whose period `column` is one of the look-back's codes, by an
    expression no index serves, so a row is found by one range of the employee's (or the
    indicator's) index instead of one probe per code: the same rows in the same order.

    Given the codes `periods` (a coded read), by the position its key computes anyway
    (`period_position`, -1 for any other code): cheaper than making the text `column || ''`
    of every row and looking it up in the bound list `:periods` (the text read).
    """
    if periods is None:
        return f"{column} || '' IN :periods"
    return f"{period_position(column, periods)} >= 0"


def _without_periods(within: Mapping[str, Any]) -> dict[str, Any]:
    """The parameters of `within` but the codes (a coded read writes them into its SQL)."""
    return {name: value for name, value in within.items() if name != "periods"}


def _digit(expression: str, table: Mapping[str, float]) -> str:
    """SQL giving a stored value its score minus the lowest of `table` (7 if unknown)."""
    low = min(table.values())
    if max(table.values()) - low >= _UNKNOWN_DIGIT:
        raise ValueError(f"scores {sorted(table.values())} do not fit {_DIGIT_BITS} bits")
    shifted = {code: score - low for code, score in table.items()}
    return _case(expression, shifted, str(_UNKNOWN_DIGIT))


def _wide(column: Any) -> Any:
    """`column` as a 64-bit integer: a key multiplies it past PostgreSQL's 32-bit `integer`."""
    return cast(column, BigInteger)


def _split_key(key: np.ndarray, width: int) -> tuple[np.ndarray, np.ndarray]:
    """(key // width, key % width) of non-negative integer keys, as int64."""
    key = np.asarray(key, dtype=np.int64)
    return key // width, key % width


def evaluations(within: Mapping[str, Any]) -> Packed:
    """Evaluations of `periods`: `row_key` (employee * periods + position), rater, scores.

    `within` binds the statement's parameters: the ids `first`..`last` (or the list `ids`);
    its `periods` are written into the SQL.
    """
    periods = within["periods"]
    width = len(periods)
    scores = " + ".join(
        f"{_digit(f'e.{name}', table)} * {1 << (_DIGIT_BITS * k)}"
        for k, (name, table) in enumerate(_SCORED.items())
    )
    key = f"CAST(e.employee_id AS BIGINT) * {width} + {period_position('e.period', periods)}"
    found = EVALUATIONS_FROM.format(
        who=employees_sql(within), periods=in_periods("e.period", periods)
    )
    sql = f"SELECT {key} AS row_key, e.rater_id AS rater_id, {scores} AS scores{found}"

    def unpack(columns: Columns) -> Columns:
        employee_id, period_index = _split_key(columns["row_key"], width)
        found: dict[str, np.ndarray] = {
            "employee_id": employee_id,
            "period_index": period_index,
            "rater_id": columns["rater_id"],
        }
        packed = np.asarray(columns["scores"], dtype=np.int64)
        for k, (name, table) in enumerate(_SCORED.items()):
            digit = (packed >> (_DIGIT_BITS * k)) & _UNKNOWN_DIGIT
            score = (digit + min(table.values())).astype(np.float64)
            found[name] = np.where(digit == _UNKNOWN_DIGIT, np.nan, score)
        return found

    statement = text_select(sql, ("row_key", "rater_id", "scores"), **_without_periods(within))
    return Packed(statement, unpack, (_KEY, _NUMBER, _KEY))  # no rater: NaN


def achievements_from(postgresql: bool) -> str:
    """The FROM clause of the achievements read: `ACHIEVEMENTS_FROM`, or on PostgreSQL its
    form driven by the ids whatever the statistics (`risk_postgres.ACHIEVEMENTS_FROM`)."""
    return risk_postgres.ACHIEVEMENTS_FROM if postgresql else ACHIEVEMENTS_FROM


def achievements(within: Mapping[str, Any], postgresql: bool) -> Packed:
    """Realisations of `periods`: `row_key` ((employee * periods + position) * 2 + pro-rated
    flag), value, target (`within` as for `evaluations`; `postgresql`: `achievements_from`)."""
    periods = within["periods"]
    width = len(periods)
    pro_rated = ", ".join(f"'{aspect}'" for aspect in PRO_RATED)
    key = (
        f"(CAST(s.employee_id AS BIGINT) * {width} + {period_position('r.period', periods)}) * 2"
        f" + CASE WHEN i.aspect IN ({pro_rated}) THEN 1 ELSE 0 END"
    )
    found = achievements_from(postgresql).format(
        who=employees_sql(within), periods=in_periods("r.period", periods)
    )
    sql = f"SELECT {key} AS row_key, r.value, i.target_value{found}"

    def unpack(columns: Columns) -> Columns:
        rest, flag = _split_key(columns["row_key"], 2)
        employee_id, period_index = _split_key(rest, width)
        return {
            "employee_id": employee_id,
            "period_index": period_index,
            "pro_rated": flag,
            "value": columns["value"],
            "target_value": columns["target_value"],
        }

    names = ("row_key", "value", "target_value")
    statement = text_select(sql, names, **_without_periods(within))
    return Packed(statement, unpack, (_KEY, _NUMBER, _NUMBER))


def attendance(who: Who, since: date) -> Packed:
    """Monthly attendance from `since` on: `row_key` (employee * 2**17 + month ordinal), days."""
    month = AttendanceMonth.month
    year_part, month_part = (cast(func.substr(month, *at), Integer) for at in ((1, 4), (6, 2)))
    key = _wide(AttendanceMonth.employee_id) * _MONTH_SPAN + year_part * 12 + month_part - 1
    counts = ("work_days", "present_days", "late_days")
    statement = repo.attendance_statement(who, since).with_only_columns(
        key.label("row_key"), *(getattr(AttendanceMonth, name) for name in counts)
    )

    def unpack(columns: Columns) -> Columns:
        employee_id, month_ordinal = _split_key(columns["row_key"], _MONTH_SPAN)
        days = {name: columns[name] for name in counts}
        return {"employee_id": employee_id, "month_ordinal": month_ordinal, **days}

    return Packed(statement, unpack, (_KEY, _NUMBER, _NUMBER, _NUMBER))


#: The anonymous 360 groups the statement reads, in their code order.
_GROUPS = (RaterGroup.PEER.value, RaterGroup.SUBORDINATE.value)


def feedback360(statement: Select[Any], periods: Sequence[str]) -> Packed:
    """Peer and subordinate 360 answers of `periods`, as `statement` reads them
    (`repo.feedback360_statement` or PostgreSQL's form of it): `row_key` (employee * periods
    + position), `round_key` (round * 2 + group), the seven ratings as digits. Unpacked to
    the columns `fill_signals` reads: the period and group as text, each value one shared
    string (the driver made a new one per value), and the ratings as their scores
    (`RATING_SCORE`, NaN unknown), which `fill_signals` took from the text one distinct
    value at a time (1.5 us per employee)."""
    width = len(periods)
    employee_id, period_code, round_id, rater_group, *ratings = statement.selected_columns
    period = case({code: i for i, code in enumerate(periods)}, value=period_code)
    group = case({name: i for i, name in enumerate(_GROUPS)}, value=rater_group)
    low = min(RATING_SCORE.values())
    digits = {code: int(score - low) for code, score in RATING_SCORE.items()}
    scores = sum(
        case(digits, value=rating, else_=_UNKNOWN_DIGIT) * (1 << (_DIGIT_BITS * k))
        for k, rating in enumerate(ratings)
    )
    statement = statement.with_only_columns(
        (_wide(employee_id) * width + period).label("row_key"),
        (_wide(round_id) * len(_GROUPS) + group).label("round_key"),
        scores.label("scores"),
    )
    scored = np.full(_UNKNOWN_DIGIT + 1, np.nan)
    for code, digit in digits.items():
        scored[digit] = RATING_SCORE[code]

    def unpack(columns: Columns) -> Columns:
        employee_id, period_index = _split_key(columns["row_key"], width)
        round_id, group_index = _split_key(columns["round_key"], len(_GROUPS))
        packed = np.asarray(columns["scores"], dtype=np.int64)
        found = {
            "employee_id": employee_id,
            "period": np.asarray(periods, dtype=object)[period_index],
            "round_id": round_id,
            "rater_group": np.asarray(_GROUPS, dtype=object)[group_index],
        }
        for k, name in enumerate(BEHAVIOR_COLUMNS.values()):
            found[name] = scored[(packed >> (_DIGIT_BITS * k)) & _UNKNOWN_DIGIT]
        return found

    return Packed(statement, unpack, (_KEY, _KEY, _KEY))


class _EpochDay(FunctionElement[int]):
    """Days from 1970-01-01 to a date column (as numpy counts `datetime64[D]`)."""

    type = Integer()
    inherit_cache = True


@compiles(_EpochDay, "sqlite")
def _epoch_day_sqlite(element: _EpochDay, compiler: Any, **kw: Any) -> str:
    # julianday of a stored 'YYYY-MM-DD' is n + 0.5 exactly: the difference is whole
    return f"CAST(julianday({compiler.process(element.clauses, **kw)}) - 2440587.5 AS INTEGER)"


@compiles(_EpochDay, "postgresql")
def _epoch_day_postgresql(element: _EpochDay, compiler: Any, **kw: Any) -> str:
    return f"({compiler.process(element.clauses, **kw)} - DATE '1970-01-01')"


#: A day key (`_day_key`) holds the day from 1970 plus `_DAY_OFFSET`, below `_DAY_SPAN`: any date
#: from the year 535 to 3405.
_DAY_SPAN = 1 << 20
_DAY_OFFSET = 1 << 19


def _day_key(employee_id: Any, day: Any) -> Any:
    """employee * 2**20 + 2**19 + the day `day` falls on, counted from 1970."""
    return _wide(employee_id) * _DAY_SPAN + _DAY_OFFSET + _EpochDay(day)


def _split_day_key(key: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(employee ids, days as datetime64[D]) of `_day_key` keys."""
    employee_id, day = _split_key(key, _DAY_SPAN)
    return employee_id, (day - _DAY_OFFSET).astype("datetime64[D]")


def assessments(statement: Select[Any]) -> Packed:
    """The rows of `statement` (`repo.assessments_statement` or PostgreSQL's form of it) with
    `row_key` (`_day_key` of the employee and the assessment's date) instead of employee and
    date; unpacked to the date as `datetime64[D]`."""
    employee_id, assessed_on, *levels = statement.selected_columns
    statement = statement.with_only_columns(
        _day_key(employee_id, assessed_on).label("row_key"), *levels
    )

    def unpack(columns: Columns) -> Columns:
        employee_id, day = _split_day_key(columns["row_key"])
        rest = {name: columns[name] for name in ("level", "required_level")}
        return {"employee_id": employee_id, "assessed_on": day, **rest}

    return Packed(statement, unpack, (_KEY, _NUMBER, _NUMBER))


def activity(who: Who, since: date) -> Packed:
    """`repo.activity_statement`'s rows as one `row_key` each (`_day_key` of the employee and
    the entry's date), not an id and a date as text (a new string per row); unpacked to the
    date as `datetime64[D]`."""
    statement = repo.activity_statement(who, since)
    employee_id, activity_date = statement.selected_columns
    statement = statement.with_only_columns(_day_key(employee_id, activity_date).label("row_key"))

    def unpack(columns: Columns) -> Columns:
        employee_id, day = _split_day_key(columns["row_key"])
        return {"employee_id": employee_id, "activity_date": day}

    return Packed(statement, unpack, (_KEY,))
