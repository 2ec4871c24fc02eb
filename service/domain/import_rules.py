"""What an evaluation import file must look like: its columns, its problems, formula cells.

Shared by the row-by-row check (`import_rows`, which reports every problem) and the
column-wise fast path (`import_columns`, which only accepts files without any).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field
from typing import Any

from service.domain.entities import BerakhlakValue
from service.domain.errors import FieldError
from service.domain.errors import Invalid
from service.domain.import_files import label

REQUIRED_COLUMNS = ("nip", "period", "work_result_rating", "behavior_rating")
VALUE_COLUMNS = tuple(value.value for value in BerakhlakValue)
EXPORT_ONLY_COLUMNS = ("name", "predikat", "rater_nip")
KNOWN_COLUMNS = (*REQUIRED_COLUMNS, "feedback", *VALUE_COLUMNS, *EXPORT_ONLY_COLUMNS)
MAX_ERRORS = 1000
FORMULA_SIGNS = "=+-@"  # a cell starting with one of these runs as a spreadsheet formula
FORMULA_STARTS = tuple(FORMULA_SIGNS)
NIP_PATTERN = re.compile(r"[0-9]{18}")
FORMULA = (
    "starts with =, +, - or @ and would run as a spreadsheet formula; "
    "start it with ' to store it as text"
)
_QUOTED_FORMULA = re.compile(f"'+[{re.escape(FORMULA_SIGNS)}]")


def unquote_formula(text: str) -> str:
    """Drop the `'` that protects text starting with a formula sign (the export's marker)."""
    return text[1:] if _QUOTED_FORMULA.match(text) else text


@dataclass
class Problems:
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
class Layout:
    """Where each known column sits in a row."""

    index: dict[str, int]
    width: int

    def get(self, name: str) -> int | None:
        return self.index.get(name)


def read_header(header: Sequence[Any]) -> Layout:
    """Map the header's column names (any case) to positions; Invalid on row 1 otherwise."""
    problems = Problems()
    index: dict[str, int] = {}
    for position, cell in enumerate(header):
        name = cell.lower() if isinstance(cell, str) else cell
        if name is None:
            problems.add(1, f"column {position + 1}", "has no name; name it or delete it")
        elif name not in KNOWN_COLUMNS:
            problems.add(1, label(name), f"unknown column; use {', '.join(KNOWN_COLUMNS)}")
        elif name in index:
            problems.add(1, name, f"appears twice (columns {index[name] + 1}, {position + 1})")
        else:
            index[name] = position
    for name in REQUIRED_COLUMNS:
        if name not in index:
            problems.add(1, name, "required column is missing from the header row")
    problems.raise_if_any()
    return Layout(index, len(header))


def nip_problem(nip: Any, scoped: bool = False) -> str:
    """Say why a NIP cell names nobody; `scoped` for an import limited to some units (hr),
    which says the same of a NIP outside them as of a NIP nobody has, so the answer never
    tells whether an employee the importer may not see exists."""
    if nip is None:
        return "is required: the employee's 18-digit NIP"
    if isinstance(nip, float) or (isinstance(nip, str) and "E+" in nip.upper()):
        return "lost digits as a number; store the NIP column as text (18 digits)"
    if not isinstance(nip, str) or not NIP_PATTERN.fullmatch(nip):
        return f"must be 18 digits; got {label(nip)}"
    return f"no employee has NIP {nip}{' in your units' if scoped else ''}"
