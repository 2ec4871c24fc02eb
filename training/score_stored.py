"""What `kinerja score` finds stored for a range of employees, and how it writes back.

A stored score that is not outdated has unchanged inputs (`service.serving.freshness` marks
it outdated in the same transaction as any write that changes them), so its feature row
(`risk_feature_rows`, float64 little-endian in `FEATURE_NAMES` order) is the one a fresh
read of the history would give. Each employee of a range is then one of:

- untouched: a fresh row of the current feature set (`feature_set`), by the model version
  (and fallback state) of this run, explained as this run explains: the stored answer is
  this run's answer;
- reused: a fresh row of the current feature set with a feature row, answered again from
  it (another model version);
- recomputed: no row, an outdated one, or one of another feature set or without a feature
  row: the history is read again.

`training.score_write` writes the answers back, and says which change stays unseen.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np
from sqlalchemy import Connection
from sqlalchemy import bindparam
from sqlalchemy import text

from service.features import FEATURE_NAMES
from service.features.stored_rows import VECTOR_DTYPE

#: Employees per `IN` list of a history read: scattered employees (an incremental run after
#: a few changes) are read by lists of ids, each costing what it costs in a range read, not
#: a set of statements each (about 3 ms of CPU; an employee costs 0.3 ms in a range, about
#: 1 ms scattered, mostly its rater's team in the raters' statistics).
LIST_BATCH = 1_000
#: Ids per `IN` list of a delete or of a read of stored feature rows.
DELETE_BATCH = 5_000

#: A stored row's state as bits of one integer beside its employee id (`_STATE`, with the
#: row's id, which the write updates it by).
_OUTDATED, _FEATURES, _OK, _FLAGGED, _UNEXPLAINED, _VERSION = (1 << k for k in range(6))
_STATE_BITS = 6
_EMPLOYEES = "SELECT id FROM employees WHERE id BETWEEN :first AND :last"
#: `period || ''` keeps the statements on the (employee_id, period) index: the period index
#: would visit every stored row of the period (the whole country) for each range.
_STATE = f"""
    SELECT CAST(employee_id AS BIGINT) * {1 << _STATE_BITS}
           + CASE WHEN outdated THEN {_OUTDATED} ELSE 0 END
           + CASE WHEN feature_set = :feature_set THEN {_FEATURES} ELSE 0 END
           + CASE WHEN status = 'ok' THEN {_OK} ELSE 0 END
           + CASE WHEN flagged THEN {_FLAGGED} ELSE 0 END
           + CASE WHEN drivers IS NULL OR CAST(drivers AS TEXT) = 'null'
                  THEN {_UNEXPLAINED} ELSE 0 END
           + CASE WHEN model_version = :version AND NOT fallback THEN {_VERSION} ELSE 0 END
           AS packed,
           id
    FROM risk_scores
    WHERE period || '' = :period AND employee_id BETWEEN :first AND :last
"""
#: The feature rows (their primary key is the scores' (employee_id, period)).
_FEATURES_RANGE = (
    "SELECT employee_id, features FROM risk_feature_rows WHERE period = :period "
    "AND employee_id BETWEEN :first AND :last"
)
_FEATURES_SOME = (
    "SELECT employee_id, features FROM risk_feature_rows WHERE period = :period "
    "AND employee_id IN :ids"
)
_FEATURE_COLUMNS = (("employee_id",), "features")
#: Per dialect, the aggregates that give a whole column as one value: integers as text
#: ("1,2,3") and blobs one after another (in the same order: one pass over the rows). A read
#: of a range then builds no Python object per row, which cost more than SQLite's own work
#: (0.6 of 0.9 us a feature row; the state 0.9 -> 0.7 us a row).
_AGGREGATES = {
    "sqlite": ("group_concat({})", "CAST(group_concat({}, '') AS BLOB)"),
    "postgresql": ("string_agg(CAST({} AS TEXT), ',')", "string_agg({}, CAST('' AS BYTEA))"),
}


@cache
def _aggregated(dialect: str, rows: str, integers: tuple[str, ...], blob: str | None) -> Any:
    """The statement giving, in one row, the columns `integers` of the statement `rows`
    (integers) and then its column `blob` (blobs), aggregated as `_AGGREGATES` says."""
    number, blobs = _AGGREGATES[dialect]
    parts = [number.format(name) for name in integers] + [blobs.format(blob)] * bool(blob)
    statement = text(f"SELECT {', '.join(parts)} FROM ({rows}) AS selected")
    return statement.bindparams(bindparam("ids", expanding=True)) if ":ids" in rows else statement


def fetch_columns(
    connection: Connection,
    rows: str,
    integers: tuple[str, ...],
    blob: str | None,
    parameters: dict[str, Any],
) -> tuple[list[np.ndarray], bytes]:
    """The columns `integers` of the rows the statement `rows` selects, as int64 arrays,
    and the blobs of its column `blob` one after another (`_aggregated`), in one order."""
    statement = _aggregated(connection.dialect.name, rows, integers, blob)
    values = connection.execute(statement, parameters).one()
    columns = [
        np.fromstring(text, dtype=np.int64, sep=",") if text else np.empty(0, dtype=np.int64)
        for text in values[: len(integers)]
    ]
    return columns, bytes(values[-1] or b"") if blob else b""


@dataclass
class Stored:
    """The period's stored rows of one id range, aligned on the range's employees (sorted)."""

    employee_ids: np.ndarray
    #: The id of each employee's stored row (0: none stored).
    row_ids: np.ndarray
    #: A row stored is not outdated.
    fresh: np.ndarray
    #: ... of the current feature set, with a feature row (known once the rows that do not
    #: stand are fetched: `_fill_vectors`; a standing answer stands without one).
    usable: np.ndarray
    #: ... which is also the answer this run would give (same model version, explained alike).
    same: np.ndarray
    ok: np.ndarray
    flagged: np.ndarray
    #: The feature rows of the usable rows that do not stand (NaN elsewhere).
    vectors: np.ndarray
    #: Stored rows of ids that are no employee of the range (deleted employees).
    orphans: list[int]


@dataclass(frozen=True)
class Answering:
    """What a stored answer must match to stand as this run's (`Job` fields)."""

    period: str
    feature_set: str
    model_version: str | None
    explain: str


def _standing(answering: Answering, state: np.ndarray) -> np.ndarray:
    """Which stored answers (`_STATE` bits) stand as this run's: by this model version (never
    the rule fallback: its table follows everyone's evaluations), whose drivers this run
    would also leave out (unflagged rows, `--drivers flagged`) or give."""
    if answering.model_version is None:
        return np.zeros(len(state), dtype=bool)
    quiet = (state & (_OK | _FLAGGED)) == _OK
    left_out = ((state & _UNEXPLAINED) != 0) == (answering.explain == "flagged")
    return ((state & _VERSION) != 0) & (~quiet | left_out)


def fetch_all(connection: Connection, statement: Any, parameters: dict[str, Any]) -> list[Any]:
    """The driver's own rows of `statement` (no result processing: integers and bytes)."""
    result = connection.execute(statement, parameters)
    with result:
        return list(result.cursor.fetchall())


def read_stored(
    connection: Connection,
    answering: Answering,
    first: int,
    last: int,
    vectors: bool = True,
) -> Stored:
    """The employees of `first..last` and the stored rows of `answering.period` they have.

    The rows' state comes as one integer each; feature rows are fetched only for the rows
    answered again from them (fresh, usable, not standing; none unless `vectors`): a row
    left as stored costs no blob.
    """
    span = {"first": first, "last": last}
    ids = np.sort(fetch_columns(connection, _EMPLOYEES, ("id",), None, span)[0][0])
    parameters = span | {
        "period": answering.period,
        "feature_set": answering.feature_set,
        "version": answering.model_version,
    }
    (packed, row_ids), _ = fetch_columns(connection, _STATE, ("packed", "id"), None, parameters)
    employee, state = packed >> _STATE_BITS, packed & ((1 << _STATE_BITS) - 1)
    at = np.minimum(np.searchsorted(ids, employee), max(len(ids) - 1, 0))
    known = ids[at] == employee if len(ids) else np.zeros(len(employee), dtype=bool)
    fresh = (state & _OUTDATED) == 0
    usable = fresh & ((state & _FEATURES) != 0)
    n = len(ids)

    def aligned(values: np.ndarray) -> np.ndarray:
        out = np.zeros(n, dtype=bool)
        out[at[known]] = values[known]
        return out

    stored_ids = np.zeros(n, dtype=np.int64)
    stored_ids[at[known]] = row_ids[known]
    stored = Stored(
        ids, stored_ids, aligned(fresh), aligned(usable),
        aligned(usable & _standing(answering, state)),
        aligned((state & _OK) != 0), aligned((state & _FLAGGED) != 0),
        np.full((n, len(FEATURE_NAMES)), np.nan), employee[~known].tolist(),
    )  # fmt: skip
    if vectors:
        _fill_vectors(connection, parameters, stored)
    return stored


def batches(ids: list[int]) -> Iterator[list[int]]:
    """`ids` in lists of at most `DELETE_BATCH`, each bound as one `IN` list."""
    for start in range(0, len(ids), DELETE_BATCH):
        yield ids[start : start + DELETE_BATCH]


def fetch_listed(
    connection: Connection, statement: Any, parameters: dict[str, Any], ids: list[int]
) -> list[Any]:
    """`fetch_all` of `statement` for the `ids`, bound as `:ids` (`batches`)."""
    return [
        row
        for part in batches(ids)
        for row in fetch_all(connection, statement, parameters | {"ids": part})
    ]


def _fill_vectors(connection: Connection, parameters: dict[str, Any], stored: Stored) -> None:
    """Fetch the feature rows of the usable rows that do not stand into `stored.vectors`.

    One range read when they are most of the range (after a promotion), else id lists. A
    row gone or changed since its state was read is no longer usable: its history is read.
    """
    wanted = stored.usable & ~stored.same
    ids = stored.employee_ids[wanted]
    if not len(ids):
        return
    if 2 * len(ids) >= len(stored.employee_ids):
        (found,), blobs = fetch_columns(connection, _FEATURES_RANGE, *_FEATURE_COLUMNS, parameters)
    else:
        some = {"period": parameters["period"]}
        parts = [
            fetch_columns(connection, _FEATURES_SOME, *_FEATURE_COLUMNS, some | {"ids": part})
            for part in batches(ids.tolist())
        ]
        found = np.concatenate([columns[0] for columns, _ in parts])
        blobs = b"".join(blob for _, blob in parts)
    at = np.searchsorted(stored.employee_ids, found)
    inside = at < len(stored.employee_ids)
    inside[inside] = stored.employee_ids[at[inside]] == found[inside]
    take = inside.copy()
    take[inside] = wanted[at[inside]]
    rows = np.frombuffer(blobs, dtype=VECTOR_DTYPE).reshape(len(found), len(FEATURE_NAMES))
    stored.vectors[at[take]] = rows[take]
    missing = wanted.copy()
    missing[at[take]] = False
    stored.usable &= ~missing


def read_sets(
    ids: np.ndarray, needed: np.ndarray, batch: int = LIST_BATCH
) -> Iterator[tuple[int, int] | list[int]]:
    """What to read to cover every `needed` employee of `ids` (sorted): one inclusive id
    range when they are at least half of the ids between the first and last of them (the
    few others cost less than a list), else lists of at most `batch` ids, in order."""
    positions = np.flatnonzero(needed)
    if not len(positions):
        return
    if 2 * len(positions) >= positions[-1] - positions[0] + 1:
        yield int(ids[positions[0]]), int(ids[positions[-1]])
        return
    chosen = ids[positions]
    for start in range(0, len(chosen), batch):
        yield chosen[start : start + batch].tolist()
