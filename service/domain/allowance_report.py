"""Use cases: the allowance percentages of a unit for a period, as a page or a payroll file.

For admin and hr over the unit (a unit outside hr's units is 404). Each line takes the
predikat of the employee's evaluation of the period itself, else (for a month) of its
quarter, else of its year; and the attendance summed over the period's months, which must all
be recorded (a missing month counts as missing attendance). Percentages only, never amounts.
One audit row per page or file read (naming the unit), and a read of each listed employee
(so each person's audit log shows it, as the evaluation export's does). Nothing here writes
evaluation or attendance data.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from service.auth import policy
from service.db.models import Employee
from service.db.repositories import Page
from service.db.repositories import allowance as repo
from service.domain.allowance import AllowanceRules
from service.domain.allowance import Attendance
from service.domain.allowance import allowance_share
from service.domain.audit import Actor
from service.domain.audit import AuditAction
from service.domain.audit import record
from service.domain.audit import record_reads
from service.domain.entities import PeriodKind
from service.domain.entities import Predikat
from service.domain.errors import Invalid
from service.domain.exports import neutralise_formula
from service.domain.periods import Period
from service.domain.periods import parse_period
from service.domain.periods import period_of

RESOURCE = "allowance"
FORMATS = ("csv", "xlsx")
COLUMNS = (
    "nip",
    "name",
    "unit_id",
    "rule",
    "predikat",
    "evaluation_period",
    "work_days",
    "present_days",
    "absent_days",
    "late_days",
    "performance_percent",
    "attendance_percent",
    "allowance_percent",
    "status",
)
_CHUNK = 1000


@dataclass(frozen=True)
class AllowanceLine:
    employee_id: int
    nip: str
    name: str
    unit_id: int
    rule: str
    predikat: Predikat | None
    evaluation_period: str | None
    work_days: int | None
    present_days: int | None
    absent_days: int | None
    late_days: int | None
    performance_percent: float | None
    attendance_percent: float | None
    allowance_percent: float | None
    status: str


def unit_allowance(
    session: Session,
    actor: Actor,
    unit_id: int,
    period: str,
    rules: AllowanceRules,
    limit: int,
    offset: int,
) -> Page[AllowanceLine]:
    """One page of the unit's (and subunits') allowance lines, by NIP."""
    parsed = parse_period(period)
    policy.managed_unit(session, actor, unit_id)
    page = repo.unit_employees(session, unit_id, limit, offset)
    lines = _lines(session, page.items, parsed, rules, repo.unit_tree(session))
    record(session, actor, AuditAction.READ, RESOURCE, resource_id=f"unit {unit_id} {period}")
    record_reads(session, actor, RESOURCE, [line.employee_id for line in lines])
    return Page(lines, page.total)


def export_allowance(
    session: Session, actor: Actor, unit_id: int, period: str, fmt: str, rules: AllowanceRules
) -> bytes:
    """Every line of the unit for payroll, as CSV (UTF-8 with BOM) or XLSX."""
    parsed = parse_period(period)
    if fmt not in FORMATS:
        raise Invalid.field("format", f"must be one of {', '.join(FORMATS)}; got {fmt!r}")
    policy.managed_unit(session, actor, unit_id)
    employees = repo.unit_employees(session, unit_id, None, 0).items
    tree, lines = repo.unit_tree(session), []
    for start in range(0, len(employees), _CHUNK):
        lines.extend(_lines(session, employees[start : start + _CHUNK], parsed, rules, tree))
    rows = [[neutralise_formula(getattr(line, c)) for c in COLUMNS] for line in lines]
    record(session, actor, AuditAction.EXPORT, RESOURCE, resource_id=f"unit {unit_id} {period}")
    record_reads(session, actor, RESOURCE, [line.employee_id for line in lines])
    return _csv(rows) if fmt == "csv" else _xlsx(rows)


def evaluation_periods(period: Period) -> list[str]:
    """The periods whose evaluation decides `period`'s predikat, most specific first."""
    codes = [period.code]
    if period.kind is PeriodKind.MONTH:
        codes.append(period_of(period.starts_on, PeriodKind.QUARTER).code)
    if period.kind is not PeriodKind.YEAR:
        codes.append(str(period.year))
    return codes


def months_of(period: Period) -> list[str]:
    """The month codes a period spans."""
    first = period_of(period.starts_on, PeriodKind.MONTH)
    months = [first]
    while months[-1].ends_on < period.ends_on:
        months.append(months[-1].next())
    return [month.code for month in months]


def _lines(
    session: Session,
    employees: Sequence[Employee],
    period: Period,
    rules: AllowanceRules,
    tree: dict[int, tuple[int | None, str | None]],
) -> list[AllowanceLine]:
    ids = [employee.id for employee in employees]
    candidates = evaluation_periods(period)
    months = months_of(period)
    predikat = repo.predikat_by_period(session, ids, candidates)
    totals = repo.attendance_totals(session, ids, months)
    return [
        _line(e, rules, tree, predikat.get(e.id, {}), totals.get(e.id), candidates, len(months))
        for e in employees
    ]


def _line(
    employee: Employee,
    rules: AllowanceRules,
    tree: dict[int, tuple[int | None, str | None]],
    predikat_by_period: dict[str, Predikat],
    totals: tuple[int, int, int, int] | None,
    candidates: list[str],
    month_count: int,
) -> AllowanceLine:
    name, rule = rules.for_unit(employee.unit_id, tree)
    used = next((code for code in candidates if code in predikat_by_period), None)
    predikat = predikat_by_period.get(used) if used else None
    attendance = None
    if totals is not None and totals[0] == month_count:
        attendance = Attendance(work_days=totals[1], present_days=totals[2], late_days=totals[3])
    share = allowance_share(rule, predikat, attendance)
    return AllowanceLine(
        employee_id=employee.id,
        nip=employee.nip,
        name=employee.name,
        unit_id=employee.unit_id,
        rule=name,
        predikat=predikat,
        evaluation_period=used,
        work_days=attendance.work_days if attendance else None,
        present_days=attendance.present_days if attendance else None,
        absent_days=attendance.absent_days if attendance else None,
        late_days=attendance.late_days if attendance else None,
        performance_percent=share.performance_percent,
        attendance_percent=share.attendance_percent,
        allowance_percent=share.allowance_percent,
        status=share.status,
    )


def _csv(rows: list[list[Any]]) -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    writer.writerows([_text(cell) for cell in row] for row in rows)
    return buffer.getvalue().encode("utf-8-sig")


def _xlsx(rows: list[list[Any]]) -> bytes:
    from openpyxl import Workbook  # here, not at import: a web worker's start does not need it

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("allowance")
    sheet.append(COLUMNS)
    for row in rows:
        sheet.append([_cell(value) for value in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _cell(value: Any) -> Any:
    """Numbers stay numbers (payroll sums them); text loses characters XLSX cannot hold."""
    if value is None or isinstance(value, int | float):
        return value
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE  # loaded by `_xlsx` already

    return ILLEGAL_CHARACTERS_RE.sub("", str(value))
