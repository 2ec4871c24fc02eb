"""Raw evaluation input -> one validated value, shared by the API and the file import.

`parse_evaluation` is the only place that decides whether an evaluation is acceptable, so
`POST /employees/{id}/evaluations` and `POST /imports/evaluations` accept and refuse exactly
the same things, and `evaluation_values` (as a dict: `evaluation_columns`) is the only mapping
to the `evaluations` table, so both write identical rows. Every bad field is reported at once
(one `Invalid` carrying one `FieldError` per field, named as in API.md); nothing else is ever
raised, whatever the input. `ensure_periods` and `insert_evaluations` are the writes that
evaluations need (their `periods` rows; bulk inserts for imports).

The happy path is plain dictionary lookups: the import runs it for every row of a file.
"""

from __future__ import annotations

import re
import reprlib
import sqlite3
import weakref
from collections.abc import Iterable
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field
from functools import lru_cache
from itertools import chain
from typing import Any

from sqlalchemy import insert
from sqlalchemy import select
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects import sqlite
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from service.db.models import BEHAVIOR_COLUMNS
from service.db.models import Evaluation
from service.db.models import Period as PeriodRow
from service.db.repositories.risk import forget_evaluations
from service.domain.entities import BerakhlakValue
from service.domain.entities import EvaluationKind
from service.domain.entities import PeriodKind
from service.domain.entities import Predikat
from service.domain.entities import PredikatSource
from service.domain.entities import Rating
from service.domain.errors import FieldError
from service.domain.errors import Invalid
from service.domain.periods import ACCEPTED_FORMS
from service.domain.periods import Period
from service.domain.periods import not_started
from service.domain.periods import parse_period
from service.domain.predikat import predikat_for

FEEDBACK_MAX_CHARS = 5000
FIELDS = ("period", "work_result_rating", "behavior_rating", "behavior_ratings", "feedback")
# Columns of `evaluations` that `evaluation_columns` fills, in a fixed order (bulk writes).
COLUMN_NAMES = (
    "period",
    "kind",
    "work_result_rating",
    "behavior_rating",
    *BEHAVIOR_COLUMNS.values(),
    "predikat",
    "predikat_source",
    "feedback",
)

WRITE_COLUMNS = ("employee_id", "rater_id", *COLUMN_NAMES)
_SQLITE_MAX_PARAMETERS = 8000 if sqlite3.sqlite_version_info >= (3, 32) else 999
_SQLITE_INSERT = f"INSERT INTO evaluations ({', '.join(WRITE_COLUMNS)}) VALUES"
_ROW_MARKS = f"({', '.join('?' * len(WRITE_COLUMNS))})"
_PLAIN = {m: m.value for enum in (Rating, EvaluationKind, Predikat, PredikatSource) for m in enum}
_FIELD_SET = frozenset(FIELDS)
_RATINGS = {rating.value: rating for rating in Rating}
_VALUES = {value.value: value for value in BerakhlakValue}
_RATING_CHOICES = ", ".join(_RATINGS)
# The matrix as computed by predikat_for, looked up once per row instead of re-validated.
_PREDIKAT = {
    (work, behavior): predikat_for(work, behavior) for work in Rating for behavior in Rating
}
_KIND_OF_PERIOD = {
    PeriodKind.YEAR: EvaluationKind.TAHUNAN,
    PeriodKind.QUARTER: EvaluationKind.PERIODIK,
    PeriodKind.MONTH: EvaluationKind.PERIODIK,
}
# C0 controls except tab, newline and carriage return; DEL and the C1 controls; and lone
# UTF-16 surrogates (JSON "\ud800"), which no database encoding can store.
_UNSTORABLE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
_SHOWN_CHARS = 40
_MAX_UNKNOWN_REPORTED = 10
_PERIOD_MAX_CHARS = 16

_KINDS = {int: "a number", float: "a number", list: "a list", dict: "an object"}
_REPR = reprlib.Repr()  # bounded repr of hostile values (Python 3.11 takes no arguments)
_REPR.maxlevel = 2
_REPR.maxlist = _REPR.maxdict = 4
_REPR.maxstring = _REPR.maxother = _SHOWN_CHARS

Problems = list[tuple[str, str]]
_KNOWN_PERIODS: weakref.WeakKeyDictionary[Any, set[str]] = weakref.WeakKeyDictionary()


@dataclass(frozen=True, slots=True)
class EvaluationInput:
    """A validated evaluation; `kind` and `predikat` are derived, so they cannot disagree."""

    period: Period
    work_result_rating: Rating
    behavior_rating: Rating
    behavior_ratings: dict[BerakhlakValue, Rating] = field(default_factory=dict)
    feedback: str | None = None

    @property
    def kind(self) -> EvaluationKind:
        """Tahunan for a year, periodik for a quarter or a month."""
        return _KIND_OF_PERIOD[self.period.kind]

    @property
    def predikat(self) -> Predikat:
        """The predikat the matrix gives for the two ratings (domain.md 3.6)."""
        return _PREDIKAT[self.work_result_rating, self.behavior_rating]


def parse_evaluation(data: Mapping[str, Any], *, row: int | None = None) -> EvaluationInput:
    """Validate raw input (a JSON body or an import row); Invalid lists every bad field.

    `row` is copied into each FieldError so an import can say where the problem is.
    """
    if type(data) is not dict and not isinstance(data, Mapping):  # skip the slow ABC check
        raise Invalid(errors=[FieldError("body", f"must be an object; got {_shown(data)}", row)])
    problems: Problems = []
    if not data.keys() <= _FIELD_SET:
        unknown = [key for key in data if key not in _FIELD_SET]
        problems = _unknown(unknown, FIELDS, "", "a field of an evaluation")
    period = _period(data.get("period"), problems)
    work = _rating(data.get("work_result_rating"), "work_result_rating", problems)
    behavior = _rating(data.get("behavior_rating"), "behavior_rating", problems)
    values = _behavior_ratings(data.get("behavior_ratings"), problems)
    feedback = _feedback(data.get("feedback"), problems)
    if problems:
        raise Invalid(errors=[FieldError(name, message, row) for name, message in problems])
    assert period is not None and work is not None and behavior is not None
    return EvaluationInput(period, work, behavior, values, feedback)


def evaluation_columns(inp: EvaluationInput) -> dict[str, Any]:
    """Map a validated input to the `evaluations` columns it sets (all but ids and audit).

    The keys are the attribute names of `service.db.models.Evaluation`, so
    `Evaluation(employee_id=..., rater_id=..., **evaluation_columns(inp))` works.
    """
    return dict(zip(COLUMN_NAMES, evaluation_values(inp), strict=True))


def evaluation_values(inp: EvaluationInput) -> tuple[Any, ...]:
    """The values of `evaluation_columns` as a tuple in `COLUMN_NAMES` order (bulk writes)."""
    return (
        inp.period.code,
        _KIND_OF_PERIOD[inp.period.kind],
        inp.work_result_rating,
        inp.behavior_rating,
        *map(inp.behavior_ratings.get, BEHAVIOR_COLUMNS),
        _PREDIKAT[inp.work_result_rating, inp.behavior_rating],
        PredikatSource.MATRIX,
        inp.feedback,
    )


def ensure_period(session: Session, period: Period) -> None:
    """Insert the `periods` row of `period` unless it exists (evaluations reference it)."""
    ensure_periods(session, [period])


def ensure_periods(session: Session, periods: Iterable[Period]) -> None:
    """Insert the missing `periods` rows; idempotent, and safe against a concurrent insert.

    Codes once seen stored are remembered per engine (periods are never deleted), so the
    hot write path does not take the write lock for a row that exists.
    """
    known = _KNOWN_PERIODS.setdefault(session.get_bind(), set())
    wanted = {period.code: period for period in periods if period.code not in known}
    if not wanted:
        return
    query = select(PeriodRow.code).where(PeriodRow.code.in_(list(wanted)))
    stored = set(session.scalars(query))
    known.update(stored)
    rows = [_period_row(period) for code, period in wanted.items() if code not in stored]
    if not rows:
        return
    table = PeriodRow.__table__
    dialect = session.get_bind().dialect.name
    if dialect in ("postgresql", "sqlite"):
        upsert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        session.execute(upsert(table).on_conflict_do_nothing(index_elements=["code"]), rows)
    else:
        session.execute(insert(table), rows)


def insert_evaluations(
    session: Session, values: Sequence[tuple[Any, ...]], *, plain: bool = False
) -> None:
    """Insert validated rows in bulk, in the session's transaction (the caller commits).

    `plain` says the values hold plain strings, no enum members (the import's fast path).

    Each row is `(employee_id, rater_id, *evaluation_values(inp))` (`WRITE_COLUMNS`) and its
    period must exist (`ensure_periods`). COPY on PostgreSQL, multi-row INSERTs on SQLite.
    """
    if not values:
        return
    connection = session.connection()
    forget_evaluations(connection, (row[:3] for row in values))  # (employee, rater, period)
    if connection.dialect.name == "postgresql":
        _copy(connection, values)
    elif connection.dialect.name == "sqlite":
        _insert_sqlite(connection, values, plain)
    else:
        rows = [dict(zip(WRITE_COLUMNS, row, strict=True)) for row in values]
        connection.execute(insert(Evaluation.__table__), rows)


def _copy(connection: Connection, values: Sequence[tuple[Any, ...]]) -> None:
    """Stream the rows with COPY on the session's own connection and transaction."""
    driver = connection.connection.driver_connection
    assert driver is not None
    statement = f"COPY evaluations ({', '.join(WRITE_COLUMNS)}) FROM STDIN"
    with driver.cursor() as cursor, cursor.copy(statement) as copy:
        for row in values:
            copy.write_row(row)


def _insert_sqlite(connection: Connection, values: Sequence[tuple[Any, ...]], plain: bool) -> None:
    """Insert many rows per statement (fewer round trips through the driver than executemany).

    Enum members become plain strings first; sqlite3 adapts str subclasses slowly.
    """
    batch = max(1, _SQLITE_MAX_PARAMETERS // len(WRITE_COLUMNS))
    to_plain = _PLAIN.get
    for start in range(0, len(values), batch):
        chunk = values[start : start + batch]
        if plain:
            flat = list(chain.from_iterable(chunk))
        else:
            flat = [to_plain(value, value) for row in chunk for value in row]
        marks = ", ".join([_ROW_MARKS] * len(chunk))
        connection.exec_driver_sql(f"{_SQLITE_INSERT} {marks}", tuple(flat))


def _period_row(period: Period) -> dict[str, Any]:
    return {
        "code": period.code,
        "kind": period.kind,
        "year": period.year,
        "starts_on": period.starts_on,
        "ends_on": period.ends_on,
    }


@lru_cache(maxsize=4096)
def cached_period(code: str) -> Period:
    """`parse_period`, remembered: a write names one of few codes, parsing costs ~5 us."""
    return parse_period(code)


def _period(value: Any, problems: Problems) -> Period | None:
    if isinstance(value, str) and len(value) <= _PERIOD_MAX_CHARS:
        try:
            period = cached_period(value)
        except Invalid as exc:
            problems.extend((error.field, error.message) for error in exc.errors)
            return None
        problem = not_started(period)
        if problem:
            problems.append(("period", problem))
            return None
        return period
    if value is None:
        problems.append(("period", f"is required: {ACCEPTED_FORMS}"))
    else:
        problems.append(("period", f"must be {ACCEPTED_FORMS}; got {_shown(value)}"))
    return None


def _rating(value: Any, name: str, problems: Problems) -> Rating | None:
    if isinstance(value, str):
        rating = _RATINGS.get(value)
        if rating is not None:
            return rating
    if value is None:
        problems.append((name, f"is required: one of {_RATING_CHOICES}"))
    else:
        problems.append((name, f"must be one of {_RATING_CHOICES}; got {_shown(value)}"))
    return None


def _behavior_ratings(value: Any, problems: Problems) -> dict[BerakhlakValue, Rating]:
    if value is None:
        return {}
    if type(value) is not dict and not isinstance(value, Mapping):
        message = f"must be an object of BerAKHLAK value -> rating; got {_shown(value)}"
        problems.append(("behavior_ratings", message))
        return {}
    try:
        return {_VALUES[key]: _RATINGS[raw] for key, raw in value.items()}
    except (KeyError, TypeError):
        pass  # an unknown key, a bad rating or an empty one: sort it out below
    ratings = {}
    unknown = []
    for key, raw in value.items():
        member = _VALUES.get(key)
        rating = _RATINGS.get(raw) if isinstance(raw, str) else None
        if member is None:
            unknown.append(key)
        elif rating is not None:
            ratings[member] = rating
        elif raw is not None:
            _rating(raw, f"behavior_ratings.{key}", problems)
    problems.extend(_unknown(unknown, _VALUES, "behavior_ratings.", "a BerAKHLAK value"))
    return ratings


def _feedback(value: Any, problems: Problems) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        problems.append(("feedback", f"must be text; got {_shown(value)}"))
        return None
    try:
        return feedback_text(value)
    except Invalid as exc:
        problems.extend((error.field, error.message) for error in exc.errors)
        return None


def feedback_text(value: str) -> str | None:
    """Return feedback as stored (LF line ends, stripped, None when empty); Invalid when it
    cannot be stored (too long, control characters)."""
    problem = text_problem(value, FEEDBACK_MAX_CHARS)
    if problem:
        raise Invalid.field("feedback", problem)
    if "\r" in value:  # browsers send CRLF, XLSX keeps only LF: store LF everywhere
        value = value.replace("\r\n", "\n").replace("\r", "\n")
    return value.strip() or None


def text_problem(text: str, max_chars: int) -> str | None:
    """Say what makes free text unstorable (too long, control characters), else None."""
    if len(text) > max_chars:
        return f"is {len(text)} characters long; at most {max_chars} are allowed"
    bad = _UNSTORABLE.search(text)
    if bad:
        code = f"U+{ord(bad.group()):04X}"
        return f"contains the control or invalid character {code} at position {bad.start() + 1}"
    return None


def _unknown(unknown: list[Any], allowed: Iterable[str], prefix: str, what: str) -> Problems:
    problems = [
        (f"{prefix}{_key_label(key)}", f"is not {what}; use {', '.join(allowed)}")
        for key in unknown[:_MAX_UNKNOWN_REPORTED]
    ]
    if len(unknown) > _MAX_UNKNOWN_REPORTED:
        more = len(unknown) - _MAX_UNKNOWN_REPORTED
        problems.append((prefix.rstrip(".") or "body", f"has {more} more unknown keys"))
    return problems


def _key_label(key: Any) -> str:
    if isinstance(key, str) and key.isprintable() and len(key) <= _SHOWN_CHARS:
        return key
    return _REPR.repr(key)


def _shown(value: Any) -> str:
    """Describe a bad value briefly: its kind, and its start when it is long."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"true/false ({value})"
    if isinstance(value, str):
        text = repr(value[:_SHOWN_CHARS])
        if len(value) <= _SHOWN_CHARS and len(text) <= _SHOWN_CHARS + 2:
            return text
        return f"{text[:_SHOWN_CHARS]}... ({len(value)} characters)"
    kind = _KINDS.get(type(value), f"a {type(value).__name__}")
    return f"{kind} ({_REPR.repr(value)})"
