"""Use case: export the evaluations of a unit (and its subunits) for a period as CSV or XLSX.

The columns are those `import_evaluations` reads, so an export imports back unchanged. Text
that a spreadsheet would run as a formula (starting with = + - or @, possibly after quotes
added by an earlier export) gets one leading `'`; the import removes exactly one again.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from collections.abc import Sequence
from typing import Any
from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm import aliased

from service.db.models import BEHAVIOR_COLUMNS
from service.db.models import Employee
from service.db.models import Evaluation
from service.db.models import Unit
from service.domain.errors import Invalid
from service.domain.errors import NotFound
from service.domain.imports import FORMULA_SIGNS
from service.domain.periods import parse_period

ExportFormat = Literal["csv", "xlsx"]
FORMATS: tuple[ExportFormat, ...] = ("csv", "xlsx")
EXPORT_COLUMNS = (
    "nip",
    "name",
    "period",
    "work_result_rating",
    "behavior_rating",
    *(value.value for value in BEHAVIOR_COLUMNS),
    "predikat",
    "rater_nip",
    "feedback",
)
_FORMULA = re.compile(f"'*[{re.escape(FORMULA_SIGNS)}]")


def export_evaluations(
    session: Session,
    unit_id: int,
    period: str,
    fmt: ExportFormat,
    *,
    include_subunits: bool = True,
) -> bytes:
    """Return the unit's evaluations for `period` as CSV (UTF-8 with BOM) or XLSX bytes.

    Rows are ordered by NIP; NotFound when the unit does not exist, Invalid for a bad
    period or format.
    """
    code = parse_period(period).code
    if fmt not in FORMATS:
        raise Invalid.field("format", f"must be one of {', '.join(FORMATS)}; got {fmt!r}")
    if session.get(Unit, unit_id) is None:
        raise NotFound(f"no unit with id {unit_id}")
    rows = [
        [neutralise_formula(cell) for cell in row]
        for row in _rows(session, _unit_ids(unit_id, include_subunits), code)
    ]
    return _csv(rows) if fmt == "csv" else _xlsx(rows)


def neutralise_formula(value: Any) -> Any:
    """Prefix `'` to text a spreadsheet would run as a formula; other values pass."""
    if isinstance(value, str) and _FORMULA.match(value):
        return f"'{value}"
    return value


def unit_subtree(unit_id: int) -> Any:
    """A recursive CTE (column `id`) of the unit and every unit below it; cycle-safe."""
    tree = select(Unit.id).where(Unit.id == unit_id).cte("unit_subtree", recursive=True)
    return tree.union(select(Unit.id).where(Unit.parent_id == tree.c.id))


def _unit_ids(unit_id: int, include_subunits: bool) -> Any:
    if include_subunits:
        return select(unit_subtree(unit_id).c.id)
    return [unit_id]


def _rows(session: Session, unit_ids: Any, period: str) -> Iterable[Sequence[Any]]:
    rater = aliased(Employee)
    query = (
        select(
            Employee.nip,
            Employee.name,
            Evaluation.period,
            Evaluation.work_result_rating,
            Evaluation.behavior_rating,
            *(getattr(Evaluation, column) for column in BEHAVIOR_COLUMNS.values()),
            Evaluation.predikat,
            rater.nip,
            Evaluation.feedback,
        )
        .join(Employee, Evaluation.employee_id == Employee.id)
        .outerjoin(rater, Evaluation.rater_id == rater.id)
        .where(Evaluation.period == period, Employee.unit_id.in_(unit_ids))
        .order_by(Employee.nip)
    )
    for row in session.execute(query):
        yield [None if cell is None else str(cell) for cell in row]


def _csv(rows: list[list[Any]]) -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(EXPORT_COLUMNS)
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8-sig")


def _xlsx(rows: list[list[Any]]) -> bytes:
    from openpyxl import Workbook  # here, not at the top: only XLSX exports need it

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("evaluations")
    sheet.append(EXPORT_COLUMNS)
    for row in rows:
        sheet.append([_xlsx_text(cell) for cell in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _xlsx_text(cell: str | None) -> str | None:
    """Remove characters XLSX cannot hold (control characters other than tab and newlines)."""
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    return None if cell is None else ILLEGAL_CHARACTERS_RE.sub("", cell)
