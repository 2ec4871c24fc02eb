"""The attendance import's answer and the allowance report (lines, page, export query)."""

from __future__ import annotations

from service.api.schemas.access import ExportFormat
from service.api.schemas.common import Model
from service.api.schemas.common import Out
from service.api.schemas.common import PageQuery
from service.api.schemas.common import PeriodCode
from service.domain.entities import Predikat


class AttendanceImportOut(Out):
    """Daily rows stored, employees they belong to, monthly summaries rebuilt."""

    count: int
    employees: int
    months: int


class AllowanceQuery(PageQuery):
    period: PeriodCode


class AllowanceExportQuery(Model):
    period: PeriodCode
    format: ExportFormat = ExportFormat.CSV


class AllowanceLineOut(Out):
    """One employee's allowance percentages; null percentages come with a status saying why."""

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


class AllowanceList(Out):
    """`{"items", "total"}` of the unit's lines, with the period and where the rule came from."""

    unit_id: int
    period: str
    rules_source: str
    items: list[AllowanceLineOut]
    total: int
