"""The fast path of an import: a clean CSV checked column by column, not row by row.

A file of 100,000 evaluations holds a handful of distinct periods and ratings, so each
column is checked on its set of distinct values and mapped with dictionaries at C speed;
only the feedback text is looked at per cell. The path is conservative: it accepts a file
only when every cell is one the row-by-row check (`import_rows`) would take as it stands
(already stripped, a known NIP in scope, a valid period, no duplicate, nothing stored yet)
and answers None at the first doubt, and the caller then runs the row-by-row check, which
reports every problem. Both build the same write tuples (`evaluation_values`), which a test
checks on random files.
"""

from __future__ import annotations

from collections.abc import Collection
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import repeat
from typing import Any

from service.domain.entities import Rating
from service.domain.errors import Invalid
from service.domain.evaluation_input import evaluation_values
from service.domain.evaluation_input import feedback_text
from service.domain.evaluation_input import parse_evaluation
from service.domain.import_lookup import Known
from service.domain.import_rules import FORMULA_STARTS
from service.domain.import_rules import VALUE_COLUMNS
from service.domain.import_rules import Layout
from service.domain.import_rules import unquote_formula
from service.domain.periods import Period

NIP_LENGTH = 18
# Plain strings, not enum members: the bulk write then passes them on untouched.
_OPTIONAL_RATINGS: dict[str, str | None] = {"": None, **{r.value: r.value for r in Rating}}
_HEAD = ("period", "work_result_rating", "behavior_rating")


class Doubt(Exception):
    """A cell the fast path does not vouch for: leave the file to the row-by-row check."""


@dataclass(frozen=True)
class Columns:
    """The data rows of a CSV as columns of raw text, by header name."""

    by_name: dict[str, Sequence[str]]
    size: int

    @classmethod
    def of(cls, records: list[list[str]], layout: Layout) -> Columns | None:
        """Columns of `records` (data rows, header excluded); None for a ragged file."""
        rows = [record for record in records if record and any(record)]
        if not rows or any(len(row) != layout.width for row in rows):
            return None
        columns = list(zip(*rows, strict=True))
        return cls({name: columns[at] for name, at in layout.index.items()}, len(rows))

    def candidates(self) -> tuple[set[str], set[str]]:
        """The distinct NIPs and period codes worth looking up in the database."""
        nips = set(self.by_name["nip"]) | set(self.by_name.get("rater_nip", ()))
        return {n for n in nips if len(n) == NIP_LENGTH}, set(self.by_name["period"])


def fast_values(
    columns: Columns,
    known: Known,
    rater_id: int | None,
    units: Collection[int] | None = None,
) -> tuple[list[tuple[Any, ...]], dict[str, Period]] | None:
    """Return the write tuples and periods of a file without a single problem, or None."""
    try:
        return _values(columns, known, rater_id, units)
    except Doubt:
        return None


def _values(
    columns: Columns, known: Known, rater_id: int | None, units: Collection[int] | None
) -> tuple[list[tuple[Any, ...]], dict[str, Period]]:
    column = columns.by_name
    employees = _mapped(column["nip"], known.employee_ids)
    if units is not None and not {known.unit_of[e] for e in set(employees)} <= set(units):
        raise Doubt
    raters = _raters(column.get("rater_nip"), known, rater_id, columns.size)
    heads, periods = _heads(column)
    head_of = list(map(heads.__getitem__, zip(*(column[name] for name in _HEAD), strict=True)))
    _check_unique(employees, [head[0] for head in head_of], known)
    _check_predikat(column.get("predikat"), head_of)
    sevens = zip(
        *(_ratings(column.get(value), columns.size) for value in VALUE_COLUMNS), strict=True
    )
    feedback = _feedback(column.get("feedback"), columns.size)
    rows = [
        (employee, rater, *head[:4], *seven, *head[11:13], text)
        for employee, rater, head, seven, text in zip(
            employees, raters, head_of, sevens, feedback, strict=True
        )
    ]
    return rows, periods


def _mapped(cells: Sequence[str], mapping: dict[str, Any]) -> list[Any]:
    """Map every cell through `mapping`; a cell it does not hold is a Doubt."""
    if not set(cells) <= mapping.keys():
        raise Doubt
    return list(map(mapping.__getitem__, cells))


def _raters(
    cells: Sequence[str] | None, known: Known, default: int | None, size: int
) -> Sequence[int | None]:
    if cells is None:
        return list(repeat(default, size))
    return _mapped(cells, {"": default, **known.employee_ids})


def _ratings(cells: Sequence[str] | None, size: int) -> Sequence[str | None]:
    return list(repeat(None, size)) if cells is None else _mapped(cells, _OPTIONAL_RATINGS)


def _heads(
    column: dict[str, Sequence[str]],
) -> tuple[dict[tuple[str, ...], tuple[Any, ...]], dict[str, Period]]:
    """`evaluation_values` of each distinct (period, work, behaviour), by `parse_evaluation`,
    and the periods by code."""
    heads: dict[tuple[str, ...], tuple[Any, ...]] = {}
    periods: dict[str, Period] = {}
    for key in set(zip(*(column[name] for name in _HEAD), strict=True)):
        if any(cell != cell.strip() for cell in key):
            raise Doubt
        try:
            inp = parse_evaluation(dict(zip(_HEAD, key, strict=True)))
        except Invalid:
            raise Doubt from None
        heads[key] = tuple(getattr(value, "value", value) for value in evaluation_values(inp))
        periods[inp.period.code] = inp.period
    return heads, periods


def _check_unique(employees: list[int], periods: list[str], known: Known) -> None:
    """No employee twice for one period, and none already evaluated for it."""
    pairs = list(zip(employees, periods, strict=True))
    if len(set(pairs)) != len(pairs) or not known.evaluated.isdisjoint(pairs):
        raise Doubt


def _check_predikat(cells: Sequence[str] | None, heads: list[tuple[Any, ...]]) -> None:
    """A filled `predikat` cell (an export imported back) must be the computed one."""
    if cells is not None and any(
        cell and cell != head[11] for cell, head in zip(cells, heads, strict=True)
    ):
        raise Doubt


def _feedback(cells: Sequence[str] | None, size: int) -> list[str | None]:
    if cells is None:
        return list(repeat(None, size))
    return [_text(cell) if cell else None for cell in cells]


def _text(cell: str) -> str | None:
    text = cell.strip()
    if not text:
        return None
    if text.startswith(FORMULA_STARTS):
        raise Doubt
    if text.startswith("'"):
        text = unquote_formula(text)
    try:
        return feedback_text(text)
    except Invalid:
        raise Doubt from None
