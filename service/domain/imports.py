"""Use case: import evaluations from a CSV or XLSX file, all rows or none (API.md imports).

Every row is validated before anything is written, through the same `parse_evaluation` as
the API, and every problem is reported with its file row (header = row 1) and column. Only a
file without a single problem is written, in bulk, inside the caller's transaction (the caller
commits). Files come from users: whatever the bytes, the answer is a count or `Invalid`.

Columns (header names are matched case-insensitively): `nip`, `period`,
`work_result_rating`, `behavior_rating` are required; `feedback` and one column per BerAKHLAK
value are optional. The columns `name`, `predikat` and `rater_nip` that `export_evaluations`
writes are accepted too, so an export imports back: `name` is informational, `predikat` must
agree with the matrix, and `rater_nip` (when filled) names the rater of that row.

Spreadsheet formulas are refused in stored text: a feedback cell starting with = + - or @ is an
error unless it is quoted with a leading `'`, which is then dropped (the export adds it).
"""

from __future__ import annotations

import csv
import gc
import io
import json
import re
import sqlite3
import warnings
from collections.abc import Iterable
from collections.abc import Iterator
from collections.abc import Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from dataclasses import field
from pathlib import PurePath
from typing import Any

import openpyxl
from sqlalchemy import ColumnElement
from sqlalchemy import Text
from sqlalchemy import and_
from sqlalchemy import any_
from sqlalchemy import bindparam
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.db.models import Employee
from service.db.models import Evaluation
from service.domain.entities import BerakhlakValue
from service.domain.errors import FieldError
from service.domain.errors import Invalid
from service.domain.evaluation_input import EvaluationInput
from service.domain.evaluation_input import ensure_periods
from service.domain.evaluation_input import evaluation_values
from service.domain.evaluation_input import insert_evaluations
from service.domain.evaluation_input import parse_evaluation
from service.domain.periods import Period
from service.domain.periods import parse_period

REQUIRED_COLUMNS = ("nip", "period", "work_result_rating", "behavior_rating")
VALUE_COLUMNS = tuple(value.value for value in BerakhlakValue)
EXPORT_ONLY_COLUMNS = ("name", "predikat", "rater_nip")
KNOWN_COLUMNS = (*REQUIRED_COLUMNS, "feedback", *VALUE_COLUMNS, *EXPORT_ONLY_COLUMNS)
MAX_ERRORS = 1000
MAX_ROWS = 1_000_000
MAX_COLUMNS = 100
FORMULA_SIGNS = "=+-@"  # a cell starting with one of these runs as a spreadsheet formula
FORMULA_STARTS = tuple(FORMULA_SIGNS)
NIP_PATTERN = re.compile(r"[0-9]{18}")
_LOOKUP_CHUNK = 5000
_SQLITE_HAS_JSON = sqlite3.sqlite_version_info >= (3, 38)  # JSON functions built in
_QUOTED_FORMULA = re.compile(f"'+[{re.escape(FORMULA_SIGNS)}]")
_DELIMITERS = (",", ";", "\t")
_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0"
_PARSED_FIELDS = ("period", "work_result_rating", "behavior_rating", "feedback")
_EXTRA_VALUES = (
    "has values beyond the {} named columns; check the delimiter and quote text that contains it"
)
_FORMULA = (
    "starts with =, +, - or @ and would run as a spreadsheet formula; "
    "start it with ' to store it as text"
)


Row = tuple[int, list[Any]]  # (file row number, cells: stripped text, None when empty)


@dataclass(frozen=True)
class ImportResult:
    """What an import wrote: `count` evaluations."""

    count: int


def import_evaluations(
    session: Session, content: bytes, filename: str, *, rater_id: int | None = None
) -> ImportResult:
    """Validate every row of a CSV/XLSX file, then write them all; Invalid writes nothing.

    `rater_id` is the rater of rows whose `rater_nip` is empty (or of all rows when the file
    has no such column). The caller commits.
    """
    with _gc_paused():
        header, rows = read_table(content, filename)
        layout = _read_header(header)
        if not rows:
            raise Invalid.field("file", "has a header row but no data rows")
        session.flush()
        known = _Known.load(session, layout, rows)
        checker = _RowChecker(layout, known, rater_id)
        for number, cells in rows:
            checker.check(number, cells)
    checker.problems.raise_if_any()
    ensure_periods(session, checker.periods.values())
    insert_evaluations(session, checker.values)
    return ImportResult(len(checker.values))


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while rows become objects (a quarter faster).

    The rows make no reference cycles, so nothing is left for the collector to find; it is
    switched back on (if it was on) whatever happens.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def unquote_formula(text: str) -> str:
    """Drop the `'` that protects text starting with a formula sign (the export's marker)."""
    return text[1:] if _QUOTED_FORMULA.match(text) else text


@dataclass
class _Problems:
    """FieldErrors of a file, capped at MAX_ERRORS with a count of the rest."""

    errors: list[FieldError] = field(default_factory=list)
    total: int = 0

    def add(self, row: int | None, name: str, message: str) -> None:
        self.total += 1
        if len(self.errors) < MAX_ERRORS:
            self.errors.append(FieldError(name, message, row))

    def raise_if_any(self) -> None:
        if not self.total:
            return
        errors = list(self.errors)
        if self.total > len(errors):
            more = self.total - len(errors)
            errors.append(FieldError("file", f"and {more} more problems not listed", None))
        first = errors[0]
        count = "1 problem" if self.total == 1 else f"{self.total} problems"
        detail = f"{count} in the file, nothing was imported; row {first.row}, {first.field}: "
        raise Invalid(detail + first.message, errors)


@dataclass(frozen=True)
class _Layout:
    """Where each known column sits in a row."""

    index: dict[str, int]
    width: int

    def get(self, name: str) -> int | None:
        return self.index.get(name)


def _read_header(header: Sequence[Any]) -> _Layout:
    problems = _Problems()
    index: dict[str, int] = {}
    for position, cell in enumerate(header):
        name = cell.lower() if isinstance(cell, str) else cell
        if name is None:
            problems.add(1, f"column {position + 1}", "has no name; name it or delete it")
        elif name not in KNOWN_COLUMNS:
            problems.add(1, _label(name), f"unknown column; use {', '.join(KNOWN_COLUMNS)}")
        elif name in index:
            problems.add(1, name, f"appears twice (columns {index[name] + 1}, {position + 1})")
        else:
            index[name] = position
    for name in REQUIRED_COLUMNS:
        if name not in index:
            problems.add(1, name, "required column is missing from the header row")
    problems.raise_if_any()
    return _Layout(index, len(header))


@dataclass(frozen=True)
class _Known:
    """What the database already holds for the file: NIP -> id, stored (id, period) pairs."""

    employee_ids: dict[str, int]
    evaluated: set[tuple[int, str]]

    @classmethod
    def load(cls, session: Session, layout: _Layout, rows: list[Row]) -> _Known:
        """Look up the file's NIPs and their evaluations for the file's periods, at once."""
        nips = list(_cells(layout, rows, ("nip", "rater_nip"), NIP_PATTERN.fullmatch))
        periods = _cells(layout, rows, ("period",), _is_period)
        employee_ids: dict[str, int] = {}
        evaluated: set[tuple[int, str]] = set()
        on = and_(Evaluation.employee_id == Employee.id, Evaluation.period.in_(periods))
        for condition in _nip_conditions(session.get_bind().dialect.name, nips):
            query = (
                select(Employee.nip, Employee.id, Evaluation.period)
                .outerjoin(Evaluation, on)
                .where(condition)
            )
            for nip, employee_id, period in session.execute(query).tuples():
                employee_ids[nip] = employee_id
                if period is not None:
                    evaluated.add((employee_id, period))
        return cls(employee_ids, evaluated)


def _nip_conditions(dialect: str, nips: list[str]) -> list[ColumnElement[bool]]:
    """One condition per query: a whole-list parameter where the database has one."""
    if dialect == "postgresql":  # NIPs are digits: one comma-separated text is the cheapest
        listed = func.string_to_array(bindparam("nips", ",".join(nips), type_=Text), ",")
        return [Employee.nip == any_(listed)]
    if dialect == "sqlite" and _SQLITE_HAS_JSON:
        listed = func.json_each(json.dumps(nips)).table_valued("value")
        return [Employee.nip.in_(select(listed.c.value))]
    chunks = range(0, len(nips), _LOOKUP_CHUNK)
    return [Employee.nip.in_(nips[start : start + _LOOKUP_CHUNK]) for start in chunks]


def _cells(layout: _Layout, rows: list[Row], columns: Sequence[str], keep: Any) -> set[str]:
    """The distinct text values of some columns that pass `keep`."""
    positions = [p for p in map(layout.get, columns) if p is not None]
    found = {cells[p] for _, cells in rows for p in positions if p < len(cells)}
    return {value for value in found if isinstance(value, str) and keep(value)}


def _is_period(code: str) -> bool:
    try:
        parse_period(code)
    except Invalid:
        return False
    return True


class _RowChecker:
    """Turns rows into write tuples, reporting every problem of every row."""

    def __init__(self, layout: _Layout, known: _Known, rater_id: int | None) -> None:
        self.width = layout.width
        self.known = known
        self.rater_id = rater_id
        self.problems = _Problems()
        self.seen: dict[tuple[int, str], int] = {}
        self.periods: dict[str, Period] = {}
        self.values: list[tuple[Any, ...]] = []
        index = layout.index
        self._nip_at = index["nip"]
        self._rater_at = index.get("rater_nip")
        self._predikat_at = index.get("predikat")
        self._fields = [(name, index[name]) for name in _PARSED_FIELDS if name in index]
        self._values = [(value, index[value]) for value in VALUE_COLUMNS if value in index]

    def check(self, number: int, cells: list[Any]) -> None:
        """Validate one row; on success keep its tuple for the bulk write."""
        if len(cells) != self.width:
            if any(cell is not None for cell in cells[self.width :]):
                self.problems.add(number, "row", _EXTRA_VALUES.format(self.width))
                return
            cells = cells + [None] * (self.width - len(cells))
        employee_id = self._employee(number, cells[self._nip_at], "nip")
        rater_id = self._rater(number, cells)
        inp = self._parse(number, cells)
        if inp is None or employee_id is None or rater_id is False:
            return
        if self._conflicts(number, cells, inp, employee_id):
            return
        self.periods[inp.period.code] = inp.period
        self.values.append((employee_id, rater_id, *evaluation_values(inp)))

    def _parse(self, number: int, cells: list[Any]) -> EvaluationInput | None:
        data = {name: cells[position] for name, position in self._fields}
        data["behavior_ratings"] = {v: cells[p] for v, p in self._values if cells[p] is not None}
        feedback = data.get("feedback")
        formula = isinstance(feedback, str) and feedback.startswith(FORMULA_STARTS)
        if formula:
            self.problems.add(number, "feedback", _FORMULA)
            data["feedback"] = None  # still check the other cells of the row
        elif isinstance(feedback, str) and feedback.startswith("'"):
            data["feedback"] = unquote_formula(feedback)
        try:
            inp = parse_evaluation(data, row=number)
        except Invalid as exc:
            for error in exc.errors:
                column = error.field.removeprefix("behavior_ratings.")
                self.problems.add(number, column, error.message)
            return None
        return None if formula else inp

    def _employee(self, number: int, nip: Any, column: str) -> int | None:
        employee_id = self.known.employee_ids.get(nip)
        if employee_id is None:
            self.problems.add(number, column, _nip_problem(nip))
        return employee_id

    def _rater(self, number: int, cells: list[Any]) -> int | None | bool:
        """The row's rater id, the default when empty, or False when its NIP is bad."""
        if self._rater_at is None or cells[self._rater_at] is None:
            return self.rater_id
        rater = self._employee(number, cells[self._rater_at], "rater_nip")
        return False if rater is None else rater

    def _conflicts(self, number: int, cells: list[Any], inp: EvaluationInput, who: int) -> bool:
        """Report a predikat that disagrees, a duplicate row or an existing evaluation."""
        given = None if self._predikat_at is None else cells[self._predikat_at]
        key = (who, inp.period.code)
        if given is not None and given != inp.predikat.value:
            message = f"is {_label(given)} but the ratings give {inp.predikat.value}"
            self.problems.add(number, "predikat", f"{message}; leave it empty to compute it")
        elif key in self.known.evaluated:
            message = f"already evaluated: this employee has an evaluation for {key[1]}"
            self.problems.add(number, "period", message)
        elif self.seen.setdefault(key, number) != number:
            message = f"duplicate of row {self.seen[key]} (same nip and period)"
            self.problems.add(number, "period", message)
        else:
            return False
        return True


def _nip_problem(nip: Any) -> str:
    if nip is None:
        return "is required: the employee's 18-digit NIP"
    if isinstance(nip, float) or (isinstance(nip, str) and "E+" in nip.upper()):
        return "lost digits as a number; store the NIP column as text (18 digits)"
    if not isinstance(nip, str) or not NIP_PATTERN.fullmatch(nip):
        return f"must be 18 digits; got {_label(nip)}"
    return f"no employee has NIP {nip}"


def _label(value: Any) -> str:
    text = value if isinstance(value, str) else repr(value)
    return repr(text[:40] + "...") if len(text) > 40 else repr(text)


# --- reading files ----------------------------------------------------------------------------


def read_table(content: bytes, filename: str) -> tuple[list[Any], list[Row]]:
    """Read a CSV or XLSX file into its header cells and numbered, non-empty data rows.

    Cells are stripped text (None when empty); XLSX numbers that are whole become text, other
    values (dates, fractions, booleans) stay as they are so validation can name them.
    """
    extension = PurePath(filename or "").suffix.lower().removeprefix(".")
    if not content.strip():
        raise Invalid.field("file", f"{_label(filename)} is empty")
    if content.startswith(_OLE_MAGIC) or extension == "xls":
        raise Invalid.field("file", "is a legacy .xls workbook; save it as .xlsx or CSV UTF-8")
    if content.startswith(_ZIP_MAGIC):
        rows: Iterable[list[Any]] = _xlsx_rows(content)
    elif extension in ("csv", "txt", ""):
        rows = _csv_rows(content)
    else:
        message = f"{_label(filename)} is neither CSV nor XLSX; upload a .csv or .xlsx file"
        raise Invalid.field("file", message)
    return _numbered(rows)


def _numbered(rows: Iterable[list[Any]]) -> tuple[list[Any], list[Row]]:
    numbered: list[Row] = []
    header: list[Any] | None = None
    for number, cells in enumerate(rows, start=1):
        if header is None:
            header = _trim(cells)
            if len(header) > MAX_COLUMNS:
                raise Invalid.field("file", f"has over {MAX_COLUMNS} columns", row=1)
        elif number > MAX_ROWS + 1:
            raise Invalid.field("file", f"has over {MAX_ROWS} rows; split it", row=number)
        elif cells.count(None) < len(cells):
            numbered.append((number, cells))
    if not header:
        raise Invalid.field("file", "has no header row", row=1)
    return header, numbered


def _trim(cells: list[Any]) -> list[Any]:
    """Drop the empty cells after the last named column (spreadsheet formatting)."""
    end = len(cells)
    while end and cells[end - 1] is None:
        end -= 1
    return cells[:end]


def _csv_rows(content: bytes) -> Iterable[list[Any]]:
    text = _decode(content)
    first_line = text.partition("\n")[0]
    delimiter = max(_DELIMITERS, key=first_line.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        for record in reader:
            yield [cell.strip() or None for cell in record]
    except csv.Error as exc:
        message = f"is not valid CSV near line {reader.line_num}: {exc}"
        raise Invalid.field("file", message, row=reader.line_num) from None


def _decode(content: bytes) -> str:
    if content.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise Invalid.field("file", "is UTF-16 text; save it as CSV UTF-8")
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        message = f"is not UTF-8 text (byte {exc.start + 1}); save it as CSV UTF-8"
        raise Invalid.field("file", message) from None
    if "\x00" in text:
        raise Invalid.field("file", "contains NUL bytes, so it is not a text CSV file")
    return text


def _xlsx_rows(content: bytes) -> list[list[Any]]:
    """Read the first worksheet in read-only mode; formulas come back as their text."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # unsupported extensions, styles
            workbook = openpyxl.load_workbook(io.BytesIO(content), read_only=True)
        try:
            sheet = workbook.worksheets[0]
            sheet.reset_dimensions()  # trust the cells, not the declared size
            rows = []
            for values in sheet.iter_rows(values_only=True):
                rows.append([_xlsx_cell(value) for value in values])
                if len(rows) > MAX_ROWS + 1:
                    break
            return rows
        finally:
            workbook.close()
    except Exception as exc:  # any failure to parse user bytes is bad input, not a fault
        message = f"is not a readable XLSX workbook ({type(exc).__name__}); save it again"
        raise Invalid.field("file", message) from None


def _xlsx_cell(value: Any) -> Any:
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return value
