"""The fast path of an import: a clean CSV checked column by column in Arrow, not row by row.

A file of 100,000 evaluations holds a handful of distinct periods and ratings, so each column
is checked on its distinct values (in Python, through the same `parse_evaluation` as the API)
and mapped to the stored values by Arrow kernels; only the feedback text is looked at per
cell, and only the few cells that are not plain go through Python. The path is conservative:
it accepts a file only when every cell is one the row-by-row check (`import_rows`) would take
as it stands (already stripped, a known NIP in scope, a valid period, no duplicate, nothing
stored yet, no calibration closed) and answers None at the first doubt; the caller then runs
the row-by-row check, which reports every problem. Both build the same rows (`WRITE_COLUMNS`),
which a test checks on random files.
"""

from __future__ import annotations

from collections.abc import Collection
from itertools import product
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from service.domain.entities import Rating
from service.domain.errors import Invalid
from service.domain.evaluation_input import COLUMN_NAMES
from service.domain.evaluation_input import FEEDBACK_MAX_CHARS
from service.domain.evaluation_input import WRITE_COLUMNS
from service.domain.evaluation_input import evaluation_values
from service.domain.evaluation_input import feedback_text
from service.domain.evaluation_input import parse_evaluation
from service.domain.import_arrow import ArrowFile
from service.domain.import_lookup import Known
from service.domain.import_rules import FORMULA_STARTS
from service.domain.import_rules import VALUE_COLUMNS
from service.domain.import_rules import unquote_formula
from service.domain.periods import Period

_RATINGS = [rating.value for rating in Rating]
_NIP = "^[0-9]{18}$"  # NIP_PATTERN, anchored for Arrow
_HEAD = ("period", "work_result_rating", "behavior_rating")
# What a row's head decides (besides its period's position, `code_index`).
_HEAD_VALUES = (*COLUMN_NAMES[:4], *COLUMN_NAMES[-3:-1])  # period ... behaviour, predikat
# Feedback stored exactly as written: printable ASCII at both ends (nothing to strip, no
# formula sign, no quote), no control character and no CR inside. Other cells go through
# `_text`, the row-by-row rules.
_PLAIN_TEXT = r"(?s)^[!-&(-*,.-<>?A-~](.*[!-~])?$"
_UNPLAIN_INSIDE = r"[\x00-\x08\x0b-\x1f\x7f-\x{9f}]"


class Doubt(Exception):
    """A cell the fast path does not vouch for: leave the file to the row-by-row check."""


def candidates(file: ArrowFile, everyone: bool = False) -> tuple[list[str], list[str]]:
    """The distinct NIP-shaped cells (`nip`, `rater_nip`) and period cells to look up; no
    NIPs when `everyone` (every employee) was read already: they would go unused."""
    if everyone:
        return [], pc.unique(file.columns["period"]).to_pylist()
    cells = [file.columns[name] for name in ("nip", "rater_nip") if name in file.columns]
    nips = pc.unique(pa.concat_arrays(cells) if len(cells) > 1 else cells[0])
    nips = nips.filter(pc.match_substring_regex(nips, _NIP))
    return nips.to_pylist(), pc.unique(file.columns["period"]).to_pylist()


def named(file: ArrowFile, known: Known, units: Collection[int] | None = None) -> pa.Array | None:
    """Each row's position in `known` when every `nip` cell is, as it stands, the NIP of a
    known employee (of `units`, when given); None otherwise (the fast path would refuse it).
    `fast_table` takes it, and it says whom the file names before the rest is checked."""
    try:
        return _named(file.columns["nip"], known, units)
    except Doubt:
        return None


def fast_table(
    file: ArrowFile,
    known: Known,
    rater_id: int | None,
    units: Collection[int] | None = None,
    at: pa.Array | None = None,
) -> tuple[pa.Table, dict[str, Period]] | None:
    """The rows to write (`WRITE_COLUMNS`) and periods of a file without a problem, or None;
    `at`, when given, is `named`'s answer for the same file, known employees and units."""
    try:
        at = _named(file.columns["nip"], known, units) if at is None else at
        return _table(file, known, rater_id, units, at)
    except Doubt:
        return None


def _named(cells: pa.Array, known: Known, units: Collection[int] | None) -> pa.Array:
    nips, _, unit_ids = known.arrays()
    at = _index(cells, nips)
    allowed = pa.array(sorted(units or ()), pa.int64())
    if units is not None and not pc.all(pc.is_in(unit_ids.take(at), allowed)).as_py():
        raise Doubt
    return at


def _table(
    file: ArrowFile,
    known: Known,
    rater_id: int | None,
    units: Collection[int] | None,
    at: pa.Array,
) -> tuple[pa.Table, dict[str, Period]]:
    column = file.columns
    nips, ids, unit_ids = known.arrays()
    employees = ids.take(at)
    allowed = pa.array(sorted(units or ()), pa.int64())
    encoded = [pc.dictionary_encode(column[name]) for name in _HEAD]
    heads, periods = _heads([code.dictionary.to_pylist() for code in encoded])
    head_at = _head_index(encoded)
    data = {name: values.take(head_at) for name, values in heads.items()}
    _check_unique(employees, data.pop("code_index"), known, heads)
    _check_open(unit_ids.take(at), data["period"], known)
    _check_predikat(column.get("predikat"), data["predikat"])
    data["employee_id"] = employees
    raters = _raters(column.get("rater_nip"), nips, ids, rater_id, file.size)
    if units is not None and column.get("rater_nip") is not None:
        _check_rater_units(raters, ids, unit_ids, allowed, rater_id)
    data["rater_id"] = raters
    for value in VALUE_COLUMNS:
        data[f"behavior_{value}"] = _optional_rating(column.get(value), file.size)
    data["feedback"] = _feedback(column.get("feedback"), file.size)
    return pa.table([data[name] for name in WRITE_COLUMNS], names=list(WRITE_COLUMNS)), periods


def _index(cells: pa.Array, values: pa.Array) -> pa.Array:
    """The position of every cell in `values`; a cell it does not hold is a Doubt."""
    at = pc.index_in(cells, value_set=values)
    if at.null_count:
        raise Doubt
    return at


def _raters(
    cells: pa.Array | None, nips: pa.Array, ids: pa.Array, default: int | None, size: int
) -> pa.Array:
    """The rater of each row: the named employee, or `default` where the cell is empty."""
    fallback = pa.scalar(default, pa.int64())
    if cells is None:
        return pc.fill_null(pa.nulls(size, pa.int64()), fallback)
    at = pc.index_in(cells, value_set=nips)
    empty = pc.equal(cells, "")
    if pc.any(pc.and_(pc.invert(empty), pc.is_null(at))).as_py():
        raise Doubt
    return pc.if_else(empty, fallback, ids.take(at))


def _check_rater_units(
    raters: pa.Array, ids: pa.Array, unit_ids: pa.Array, allowed: pa.Array, default: int | None
) -> None:
    """An hr import names raters of its units only (or the importer, the default rater)."""
    named = pc.unique(raters.drop_null())
    if default is not None:
        named = named.filter(pc.not_equal(named, default))
    units = unit_ids.take(pc.index_in(named, value_set=ids))
    if len(units) and not pc.all(pc.is_in(units, allowed)).as_py():  # all([]) is null
        raise Doubt


def _head_index(encoded: list[pa.DictionaryArray]) -> pa.Array:
    """Each row's position in `_heads`: (period, work, behaviour) in mixed radix."""
    index = pa.nulls(0, pa.int64())
    for number, code in enumerate(encoded):
        at = code.indices.cast(pa.int64())
        index = at if not number else pc.add(pc.multiply(index, len(code.dictionary)), at)
    return index


def _heads(distinct: list[list[str]]) -> tuple[dict[str, pa.Array], dict[str, Period]]:
    """The written values of every (period, work, behaviour) of the distinct cells, decided
    by `parse_evaluation`, in the order of `_head_index`; and the periods by code."""
    if len(distinct[1]) > len(_RATINGS) or len(distinct[2]) > len(_RATINGS):
        raise Doubt
    rows: list[dict[str, Any]] = []
    periods: dict[str, Period] = {}
    for key in product(*distinct):
        if any(cell != cell.strip() for cell in key):
            raise Doubt
        try:
            inp = parse_evaluation(dict(zip(_HEAD, key, strict=True)))
        except Invalid:
            raise Doubt from None
        values = (getattr(value, "value", value) for value in evaluation_values(inp))
        rows.append(dict(zip(COLUMN_NAMES, values, strict=True)))
        periods[inp.period.code] = inp.period
    codes = {code: n for n, code in enumerate(periods)}
    heads = {name: pa.array([row[name] for row in rows], pa.string()) for name in _HEAD_VALUES}
    heads["code_index"] = pa.array([codes[row["period"]] for row in rows], pa.int64())
    return heads, periods


def _check_unique(
    employees: pa.Array, code_index: pa.Array, known: Known, heads: dict[str, pa.Array]
) -> None:
    """No employee twice for one period, and none already evaluated for it."""
    period_count = len(set(heads["period"].to_pylist()))
    keys = pc.add(pc.multiply(employees.cast(pa.int64()), period_count), code_index)
    if pc.count_distinct(keys).as_py() != len(keys):
        raise Doubt
    if known.evaluated:
        code_of = dict(
            zip(heads["period"].to_pylist(), heads["code_index"].to_pylist(), strict=True)
        )
        stored = [e * period_count + code_of[p] for e, p in known.evaluated if p in code_of]
        if stored and pc.any(pc.is_in(keys, pa.array(stored, pa.int64()))).as_py():
            raise Doubt


def _check_open(units: pa.Array, periods: pa.Array, known: Known) -> None:
    """No row of a unit and period a standing calibration closing covers (the row-by-row
    check names them)."""
    for period, closed in known.closed.items():
        covered = pc.and_(
            pc.equal(periods, period), pc.is_in(units, pa.array(list(closed), pa.int64()))
        )
        if pc.any(covered).as_py():
            raise Doubt


def _check_predikat(cells: pa.Array | None, computed: pa.Array) -> None:
    """A filled `predikat` cell (an export imported back) must be the computed one."""
    if cells is None:
        return
    wrong = pc.and_(pc.not_equal(cells, ""), pc.not_equal(cells, computed))
    if pc.any(wrong).as_py():
        raise Doubt


def _optional_rating(cells: pa.Array | None, size: int) -> pa.Array:
    """A BerAKHLAK value column: a rating or nothing (an empty cell, a missing column)."""
    if cells is None:
        return pa.nulls(size, pa.string())
    at = _index(cells, pa.array(["", *_RATINGS]))
    return pa.array([None, *_RATINGS], pa.string()).take(at)


def _feedback(cells: pa.Array | None, size: int) -> pa.Array:
    """Feedback as stored: plain cells as they are, the others by the row-by-row rules."""
    if cells is None:
        return pa.nulls(size, pa.string())
    empty = pc.equal(cells, "")
    plain = pc.and_(
        pc.match_substring_regex(cells, _PLAIN_TEXT),
        pc.invert(pc.match_substring_regex(cells, _UNPLAIN_INSIDE)),
    )
    plain = pc.and_(plain, pc.less_equal(pc.utf8_length(cells), FEEDBACK_MAX_CHARS))
    special = pc.indices_nonzero(pc.invert(pc.or_(plain, empty))).to_pylist()
    stored = pc.if_else(empty, pa.scalar(None, pa.string()), cells)
    if not special:
        return stored
    texts = [_text(cells[at].as_py()) for at in special]
    mask = pc.is_in(pa.array(range(size)), pa.array(special))
    return pc.replace_with_mask(stored, mask, pa.array(texts, pa.string()))


def _text(cell: str) -> str | None:
    """The row-by-row rules for one feedback cell (strip, formula, quote, storable)."""
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
