"""Use case: import daily attendance (CSV/XLSX from an attendance machine or e-presensi), all
rows or none, and rebuild the monthly summaries it touches (issue 8, part 5).

Columns (header names matched case-insensitively): `nip`, `date` (YYYY-MM-DD), `check_in`
and optionally `check_out` (H:MM, HH:MM or HH:MM:SS; empty check-in = absent). Files are read
by the evaluation import's `read_table` (same encodings, delimiters, XLSX handling and limits);
every problem is reported with its file row (header = row 1) and column before anything is
written. A check-out needs a check-in and may not come before it (overnight shifts are not
supported), a day may appear once per employee, and no day may lie in the future.

Writing replaces: each (employee, day) row is upserted, then every (employee, month) the file
touches is summarised again from all its stored days (`attendance_rules`), replacing the
month's `attendance` row whether it was imported or entered by hand. hr imports only for
employees of its units (a NIP outside them gets the answer of a NIP nobody has). The import
is audited once (the row count) and once per employee whose days it wrote, so each person's
audit log shows it.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import asdict
from dataclasses import dataclass
from dataclasses import field
from datetime import date
from datetime import datetime
from datetime import time
from typing import Any

from sqlalchemy.orm import Session

from service.auth import policy
from service.db import insert_on_commit
from service.db.models import AuditEntry
from service.db.models import Employee
from service.db.repositories import attendance as repo
from service.domain.attendance_rules import AttendanceRule
from service.domain.attendance_rules import parse_time
from service.domain.audit import Actor
from service.domain.audit import AuditAction
from service.domain.audit import entry
from service.domain.audit import record
from service.domain.entities import PeriodKind
from service.domain.entities import Role
from service.domain.errors import FieldError
from service.domain.errors import Invalid
from service.domain.imports import MAX_ERRORS
from service.domain.imports import NIP_PATTERN
from service.domain.imports import read_table
from service.domain.periods import YEAR_MAX
from service.domain.periods import YEAR_MIN
from service.domain.periods import Period
from service.domain.periods import period_of

RESOURCE = "attendance"
COLUMNS = ("nip", "date", "check_in", "check_out")
REQUIRED = ("nip", "date", "check_in")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")

Scope = Callable[[Employee], bool]


@dataclass(frozen=True)
class AttendanceImportResult:
    """What an import wrote: `count` daily rows of `employees` people, `months` summaries."""

    count: int
    employees: int
    months: int
    #: Who the days belong to (for the audit rows of `import_attendance_file`).
    employee_ids: tuple[int, ...] = field(default=(), repr=False)


def import_attendance_file(
    session: Session,
    actor: Actor,
    content: bytes,
    filename: str,
    rule: AttendanceRule,
    today: date | None = None,
) -> AttendanceImportResult:
    """Import a file for admin (everyone) or hr (its units); the caller commits."""
    units: dict[int, bool] = {}

    def in_scope(employee: Employee) -> bool:
        if employee.unit_id not in units:
            units[employee.unit_id] = policy.unit_in_scope(session, actor, employee.unit_id)
        return units[employee.unit_id]

    scope = in_scope if actor.role is Role.HR else None
    result = import_attendance(session, content, filename, rule, in_scope=scope, today=today)
    label = f"{result.count} rows"
    record(session, actor, AuditAction.IMPORT, RESOURCE, resource_id=label)
    each = entry(actor, AuditAction.IMPORT, RESOURCE, resource_id=label)
    rows = [each | {"employee_id": employee_id} for employee_id in result.employee_ids]
    insert_on_commit(session, AuditEntry.__table__, rows)  # type: ignore[arg-type]
    return result


def import_attendance(
    session: Session,
    content: bytes,
    filename: str,
    rule: AttendanceRule,
    *,
    in_scope: Scope | None = None,
    today: date | None = None,
) -> AttendanceImportResult:
    """Validate every row, then store the days and rebuild their months; Invalid writes nothing."""
    header, rows = read_table(content, filename)
    columns = _columns(header)
    if not rows:
        raise Invalid.field("file", "has a header row but no data rows")
    nips = {cells[columns["nip"]] for _, cells in rows if len(cells) > columns["nip"]}
    people = repo.employees_by_nip(session, [n for n in nips if isinstance(n, str)])
    checker = _Checker(columns, len(header), people, in_scope, today or date.today())
    for number, cells in rows:
        checker.check(number, cells)
    checker.raise_if_any()
    repo.upsert_days(session, checker.days)
    months = _rebuild_months(session, checker.days, rule)
    employees = sorted({day["employee_id"] for day in checker.days})
    return AttendanceImportResult(len(checker.days), len(employees), months, tuple(employees))


def _columns(header: list[Any]) -> dict[str, int]:
    errors, index = [], {}
    for position, cell in enumerate(header):
        name = cell.lower() if isinstance(cell, str) else cell
        if name not in COLUMNS:
            message = f"unknown column {name!r}; use {', '.join(COLUMNS)}"
            errors.append(FieldError(f"column {position + 1}", message, 1))
        elif name in index:
            errors.append(FieldError(name, "appears twice in the header row", 1))
        else:
            index[name] = position
    for name in REQUIRED:
        if name not in index:
            errors.append(FieldError(name, "required column is missing from the header row", 1))
    if errors:
        raise Invalid(errors=errors)
    return index


@dataclass
class _Checker:
    """Turns rows into day rows, collecting every problem of every row."""

    columns: dict[str, int]
    width: int
    people: dict[str, Employee]
    in_scope: Scope | None
    today: date
    days: list[dict[str, Any]] = field(default_factory=list)
    errors: list[FieldError] = field(default_factory=list)
    problems: int = 0
    seen: dict[tuple[int, date], int] = field(default_factory=dict)

    def check(self, number: int, cells: list[Any]) -> None:
        if any(cell is not None for cell in cells[self.width :]):
            self._add(number, "row", f"has values beyond the {self.width} named columns")
            return
        cells = cells + [None] * (self.width - len(cells))
        employee = self._employee(number, self._cell(cells, "nip"))
        day = self._date(number, self._cell(cells, "date"))
        check_in = self._time(number, "check_in", self._cell(cells, "check_in"))
        check_out = self._time(number, "check_out", self._cell(cells, "check_out"))
        if check_in is None and isinstance(check_out, time):
            self._add(number, "check_out", "has no check-in; leave both empty for absent")
        elif isinstance(check_in, time) and isinstance(check_out, time) and check_out < check_in:
            message = f"{check_out:%H:%M} is before check_in {check_in:%H:%M}"
            self._add(number, "check_out", message)
        elif employee and day and check_in is not False and check_out is not False:
            self._keep(number, employee.id, day, check_in, check_out)

    def _keep(
        self, number: int, employee_id: int, day: date, check_in: Any, check_out: Any
    ) -> None:
        """Keep a valid row unless its (employee, day) came earlier in the file."""
        first = self.seen.setdefault((employee_id, day), number)
        if first != number:
            self._add(number, "date", f"duplicate of row {first} (same nip and date)")
            return
        values = {"employee_id": employee_id, "day": day, "check_in": check_in}
        self.days.append(values | {"check_out": check_out})

    def raise_if_any(self) -> None:
        if not self.problems:
            return
        errors = list(self.errors)
        if self.problems > len(errors):
            more = self.problems - len(errors)
            errors.append(FieldError("file", f"and {more} more problems not listed"))
        first = errors[0]
        count = "1 problem" if self.problems == 1 else f"{self.problems} problems"
        detail = f"{count} in the file, nothing was imported; row {first.row}, {first.field}: "
        raise Invalid(detail + first.message, errors)

    def _cell(self, cells: list[Any], name: str) -> Any:
        position = self.columns.get(name)
        return None if position is None else cells[position]

    def _add(self, row: int, name: str, message: str) -> None:
        self.problems += 1
        if len(self.errors) < MAX_ERRORS:
            self.errors.append(FieldError(name, message, row))

    def _employee(self, number: int, nip: Any) -> Employee | None:
        employee = self.people.get(nip) if isinstance(nip, str) else None
        if employee is not None and (self.in_scope is None or self.in_scope(employee)):
            return employee
        if nip is None:
            message = "is required: the employee's 18-digit NIP"
        elif not isinstance(nip, str) or not NIP_PATTERN.fullmatch(nip):
            message = f"must be 18 digits (store the column as text); got {str(nip)[:40]!r}"
        else:
            # The same for a NIP outside a scoped (hr) import's units as for a NIP nobody
            # has: the answer never tells whether someone the importer may not see exists.
            units = "" if self.in_scope is None else " in your units"
            message = f"no employee has NIP {nip}{units}"
        self._add(number, "nip", message)
        return None

    def _date(self, number: int, value: Any) -> date | None:
        day = _as_date(value)
        if day is None:
            self._add(number, "date", f"must be a date YYYY-MM-DD; got {str(value)[:40]!r}")
        elif not YEAR_MIN <= day.year <= YEAR_MAX:
            self._add(number, "date", f"must lie in {YEAR_MIN}-{YEAR_MAX}; got {day}")
        elif day > self.today:
            self._add(number, "date", f"{day} is in the future")
        else:
            return day
        return None

    def _time(self, number: int, name: str, value: Any) -> time | None | bool:
        """The time of day, None when empty, False (reported) when it is not a time."""
        if value is None:
            return None
        if isinstance(value, time):
            return value.replace(tzinfo=None, microsecond=0)
        parsed = parse_time(value) if isinstance(value, str) else None
        if parsed is None:
            self._add(number, name, f"must be a time HH:MM or empty; got {str(value)[:40]!r}")
            return False
        return parsed


def _as_date(value: Any) -> date | None:
    if isinstance(value, datetime):
        return value.date() if value.time() == time(0) else None
    if isinstance(value, date):
        return value
    if isinstance(value, str) and _DATE.fullmatch(value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            return None
    return None


def _rebuild_months(session: Session, days: list[dict[str, Any]], rule: AttendanceRule) -> int:
    """Summarise again every (employee, month) the imported days fall in; return how many."""
    months: dict[str, Period] = {}
    covered: dict[str, date] = {}  # month -> last day the file covers in it
    touched: set[tuple[int, str]] = set()
    for row in days:
        month = period_of(row["day"], PeriodKind.MONTH)
        months[month.code] = month
        covered[month.code] = max(covered.get(month.code, row["day"]), row["day"])
        touched.add((row["employee_id"], month.code))
    stored: dict[tuple[int, str], dict[date, time | None]] = defaultdict(dict)
    first = min(m.starts_on for m in months.values())
    last = max(m.ends_on for m in months.values())
    employee_ids = sorted({employee for employee, _ in touched})
    for employee_id, day, check_in in repo.check_ins(session, employee_ids, first, last):
        stored[(employee_id, f"{day:%Y-%m}")][day] = check_in
    summaries = []
    for employee_id, code in sorted(touched):
        recorded = stored[(employee_id, code)]
        until = max(covered[code], *recorded) if recorded else covered[code]
        summary = rule.summarise(recorded, months[code].starts_on, until)
        summaries.append({"employee_id": employee_id, "month": code, **asdict(summary)})
    repo.upsert_months(session, summaries)
    return len(summaries)
