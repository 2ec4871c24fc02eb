"""The row-by-row check of an import file: every problem of every row, with row and column.

It decides through the same `parse_evaluation` as `POST /employees/{id}/evaluations`, so the
API and the import accept the same evaluations. It is the reference: the column-wise fast
path (`import_columns`) only takes files this check would accept without a single problem.
"""

from __future__ import annotations

from collections.abc import Collection
from collections.abc import Sequence
from typing import Any

from service.domain.calibration_lock import refusal
from service.domain.errors import Invalid
from service.domain.evaluation_input import EvaluationInput
from service.domain.evaluation_input import evaluation_values
from service.domain.evaluation_input import parse_evaluation
from service.domain.import_files import Row
from service.domain.import_files import label
from service.domain.import_lookup import Known
from service.domain.import_rules import FORMULA
from service.domain.import_rules import FORMULA_STARTS
from service.domain.import_rules import NIP_PATTERN
from service.domain.import_rules import VALUE_COLUMNS
from service.domain.import_rules import Layout
from service.domain.import_rules import Problems
from service.domain.import_rules import nip_problem
from service.domain.import_rules import unquote_formula
from service.domain.periods import Period
from service.domain.periods import parse_period

_PARSED_FIELDS = ("period", "work_result_rating", "behavior_rating", "feedback")
_EXTRA_VALUES = (
    "has values beyond the {} named columns; check the delimiter and quote text that contains it"
)


def candidates(layout: Layout, rows: list[Row]) -> tuple[set[str], set[str]]:
    """The distinct NIPs (of `nip` and `rater_nip`) and period codes worth looking up."""
    nips = _cells(layout, rows, ("nip", "rater_nip"), NIP_PATTERN.fullmatch)
    return nips, _cells(layout, rows, ("period",), _is_period)


class RowChecker:
    """Turns rows into write tuples, reporting every problem of every row.

    `units`, when given, are the units whose employees the file may name (an hr import), in
    `nip` and in `rater_nip` (where the default rater, the importer, is also allowed); a NIP
    outside them gets the same problem as a NIP nobody has.
    """

    def __init__(
        self,
        layout: Layout,
        known: Known,
        rater_id: int | None,
        units: Collection[int] | None = None,
    ) -> None:
        self.width = layout.width
        self.known = known
        self.rater_id = rater_id
        self.units = units
        self.problems = Problems()
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

    def _in_scope(self, employee_id: int) -> bool:
        return self.units is None or self.known.unit_of.get(employee_id) in self.units

    def _parse(self, number: int, cells: list[Any]) -> EvaluationInput | None:
        data = {name: cells[position] for name, position in self._fields}
        data["behavior_ratings"] = {v: cells[p] for v, p in self._values if cells[p] is not None}
        feedback = data.get("feedback")
        formula = isinstance(feedback, str) and feedback.startswith(FORMULA_STARTS)
        if formula:
            self.problems.add(number, "feedback", FORMULA)
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
        """The id of the employee a NIP cell names, or None (with the problem) when nobody the
        importer may name has it."""
        employee_id = self.known.employee_ids.get(nip)
        if employee_id is not None and self._in_scope(employee_id):
            return employee_id
        if employee_id is not None and column == "rater_nip" and employee_id == self.rater_id:
            return employee_id
        self.problems.add(number, column, nip_problem(nip, self.units is not None))
        return None

    def _rater(self, number: int, cells: list[Any]) -> int | None | bool:
        """The row's rater id, the default when empty, or False when its NIP is bad."""
        if self._rater_at is None or cells[self._rater_at] is None:
            return self.rater_id
        rater = self._employee(number, cells[self._rater_at], "rater_nip")
        return False if rater is None else rater

    def _closing(self, employee_id: int, period: str) -> Any:
        """The standing calibration closing covering the employee's unit for `period`."""
        closed = self.known.closed.get(period)
        return None if not closed else closed.get(self.known.unit_of.get(employee_id))

    def _conflicts(self, number: int, cells: list[Any], inp: EvaluationInput, who: int) -> bool:
        """Report a predikat that disagrees, a closed calibration, a duplicate row or an
        existing evaluation."""
        given = None if self._predikat_at is None else cells[self._predikat_at]
        key = (who, inp.period.code)
        if given is not None and given != inp.predikat.value:
            message = f"is {label(given)} but the ratings give {inp.predikat.value}"
            self.problems.add(number, "predikat", f"{message}; leave it empty to compute it")
        elif (closing := self._closing(who, key[1])) is not None:
            self.problems.add(number, "period", refusal(closing))
        elif key in self.known.evaluated:
            message = f"already evaluated: this employee has an evaluation for {key[1]}"
            self.problems.add(number, "period", message)
        elif self.seen.setdefault(key, number) != number:
            message = f"duplicate of row {self.seen[key]} (same nip and period)"
            self.problems.add(number, "period", message)
        else:
            return False
        return True


def _cells(layout: Layout, rows: list[Row], columns: Sequence[str], keep: Any) -> set[str]:
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
