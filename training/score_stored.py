"""What `kinerja score` finds stored for a range of employees, and how it writes back.

A stored score that is not outdated has unchanged inputs (`service.serving.freshness` marks
it outdated in the same transaction as any write that changes them), so its feature row
(`risk_scores.features`, float64 little-endian in `FEATURE_NAMES` order) is the one a fresh
read of the history would give. Each employee of a range is then one of:

- untouched: a fresh row with a feature row, by the model version (and fallback state) of
  this run, explained as this run explains: the stored answer is this run's answer;
- reused: a fresh row with a feature row, answered again from it (another model version);
- recomputed: no row, an outdated one, or one without a feature row of the current
  feature set (`feature_set`): the history is read again.

The write replaces the rows in one transaction: a row that was fresh when the range was
read and is outdated by then had its inputs changed meanwhile, so the new row is written
outdated too (the risk read answers it live; the next run recomputes it). PostgreSQL deletes
them with `RETURNING outdated` and copies the new rows in; SQLite updates each in place by an
upsert that keeps such a row outdated (`upsert_rows`).
Not detectable: a change committed between the history read and the write to an employee
whose row was already outdated (or absent) when the range was read; its `forget_scores`
finds nothing to mark. A full scoring (`--full`) had that window for every row.
"""

from __future__ import annotations

from collections.abc import Collection
from collections.abc import Iterator
from collections.abc import Sequence
from dataclasses import dataclass
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

#: A stored row's state as bits of one integer beside its employee id (`_STATE`).
_OUTDATED, _FEATURES, _OK, _FLAGGED, _UNEXPLAINED, _VERSION = (1 << k for k in range(6))
_STATE_BITS = 6
_EMPLOYEES = text("SELECT id FROM employees WHERE id BETWEEN :first AND :last ORDER BY id")
#: `period || ''` keeps the statements on the (employee_id, period) index: the period index
#: would visit every stored row of the period (the whole country) for each range.
_STATE = text(
    f"""
    SELECT CAST(employee_id AS BIGINT) * {1 << _STATE_BITS}
           + CASE WHEN outdated THEN {_OUTDATED} ELSE 0 END
           + CASE WHEN feature_set = :feature_set AND features IS NOT NULL
                  THEN {_FEATURES} ELSE 0 END
           + CASE WHEN status = 'ok' THEN {_OK} ELSE 0 END
           + CASE WHEN flagged THEN {_FLAGGED} ELSE 0 END
           + CASE WHEN drivers IS NULL OR CAST(drivers AS TEXT) = 'null'
                  THEN {_UNEXPLAINED} ELSE 0 END
           + CASE WHEN model_version = :version AND NOT fallback THEN {_VERSION} ELSE 0 END
    FROM risk_scores
    WHERE period || '' = :period AND employee_id BETWEEN :first AND :last
    """
)
_FEATURES_RANGE = text(
    "SELECT employee_id, features FROM risk_scores WHERE period || '' = :period "
    "AND employee_id BETWEEN :first AND :last AND feature_set = :feature_set "
    "AND features IS NOT NULL ORDER BY employee_id"
)
_FEATURES_SOME = text(
    "SELECT employee_id, features FROM risk_scores WHERE period || '' = :period "
    "AND employee_id IN :ids AND feature_set = :feature_set AND features IS NOT NULL "
    "ORDER BY employee_id"
).bindparams(bindparam("ids", expanding=True))
_DELETE_RANGE = text(
    "DELETE FROM risk_scores WHERE period || '' = :period "
    "AND employee_id BETWEEN :first AND :last RETURNING employee_id, outdated"
)
_PRESENT_RANGE = text(
    "SELECT employee_id, outdated FROM risk_scores WHERE period || '' = :period "
    "AND employee_id BETWEEN :first AND :last"
)
_PRESENT_SOME = text(
    "SELECT employee_id, outdated FROM risk_scores WHERE period = :period AND employee_id IN :ids"
).bindparams(bindparam("ids", expanding=True))
_DELETE_SOME = text(
    "DELETE FROM risk_scores WHERE period = :period AND employee_id IN :ids "
    "RETURNING employee_id, outdated"
).bindparams(bindparam("ids", expanding=True))


@dataclass
class Stored:
    """The period's stored rows of one id range, aligned on the range's employees (sorted)."""

    employee_ids: np.ndarray
    #: A row not outdated is stored.
    fresh: np.ndarray
    #: ... with a feature row of the current feature set.
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


def _fetch_all(connection: Connection, statement: Any, parameters: dict[str, Any]) -> list[Any]:
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
    ids = _integers(_fetch_all(connection, _EMPLOYEES, span))
    parameters = span | {
        "period": answering.period,
        "feature_set": answering.feature_set,
        "version": answering.model_version,
    }
    packed = _integers(_fetch_all(connection, _STATE, parameters))
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

    stored = Stored(
        ids, aligned(fresh), aligned(usable),
        aligned(usable & _standing(answering, state)),
        aligned((state & _OK) != 0), aligned((state & _FLAGGED) != 0),
        np.full((n, len(FEATURE_NAMES)), np.nan), employee[~known].tolist(),
    )  # fmt: skip
    if vectors:
        _fill_vectors(connection, parameters, stored)
    return stored


def _fetch_listed(
    connection: Connection, statement: Any, parameters: dict[str, Any], ids: list[int]
) -> list[Any]:
    """`_fetch_all` of `statement` for the `ids`, bound as `:ids` in lists of at most
    `DELETE_BATCH`."""
    return [
        row
        for start in range(0, len(ids), DELETE_BATCH)
        for row in _fetch_all(
            connection, statement, parameters | {"ids": ids[start : start + DELETE_BATCH]}
        )
    ]


def _integers(rows: list[Any]) -> np.ndarray:
    """The first column of single-integer rows as int64."""
    return np.fromiter((row[0] for row in rows), dtype=np.int64, count=len(rows))


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
        rows = _fetch_all(connection, _FEATURES_RANGE, parameters)
    else:
        some = {k: parameters[k] for k in ("period", "feature_set")}
        rows = _fetch_listed(connection, _FEATURES_SOME, some, ids.tolist())
    found = _integers(rows)
    at = np.searchsorted(stored.employee_ids, found)
    inside = at < len(stored.employee_ids)
    inside[inside] = stored.employee_ids[at[inside]] == found[inside]
    take = inside.copy()
    take[inside] = wanted[at[inside]]
    width = len(FEATURE_NAMES)
    if take.any():
        blobs = b"".join(row[1] for row, chosen in zip(rows, take.tolist(), strict=True) if chosen)
        stored.vectors[at[take]] = np.frombuffer(blobs, dtype=VECTOR_DTYPE).reshape(-1, width)
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


def delete_rows(
    connection: Connection, period: str, first: int, last: int, ids: Sequence[int] | None
) -> set[int]:
    """Delete the period's rows of employees `ids` (None: of the whole range `first..last`);
    the ids of those that were outdated when deleted."""
    if ids is None:
        found = connection.execute(_DELETE_RANGE, {"period": period, "first": first, "last": last})
        return {int(employee) for employee, outdated in found if outdated}
    outdated: set[int] = set()
    for start in range(0, len(ids), DELETE_BATCH):
        part = list(ids[start : start + DELETE_BATCH])
        found = connection.execute(_DELETE_SOME, {"period": period, "ids": part})
        outdated.update(int(employee) for employee, was in found if was)
    return outdated


def upsert_rows(
    connection: Connection,
    columns: Sequence[str],
    rows: list[tuple[Any, ...]],
    span: tuple[str, int, int],
    only: Sequence[int] | None,
    fresh: Collection[int],
) -> int:
    """SQLite: write `rows` (`columns`, the last two `outdated` and `scored_at`) over the
    stored rows of the period `span[0]` and employees `span[1]..span[2]` (or `only`); the
    number written outdated.

    One executemany of an upsert: it updates a stored row in place and inserts a missing
    one (also one deleted since the range was read). A row of a `fresh` employee (not
    outdated when read) that is outdated by now stays outdated, as the delete-and-insert
    write marks it. Then the other stored rows of the range (or of `only`: deleted
    employees) are deleted.
    """
    period, first, last = span
    fresh = set(fresh)
    kept = ("employee_id", "period", "outdated")
    names = ", ".join(columns)
    marks = ", ".join("?" * len(columns))
    sets = ", ".join(f"{name} = excluded.{name}" for name in columns if name not in kept)
    connection.connection.driver_connection.cursor().executemany(
        f"INSERT INTO risk_scores ({names}) VALUES ({marks}) ON CONFLICT "
        f"(employee_id, period) DO UPDATE SET {sets}, outdated = risk_scores.outdated AND ?",
        [(*row, row[0] in fresh) for row in rows],
    )
    if only is None:
        found = _fetch_all(
            connection, _PRESENT_RANGE, {"period": period, "first": first, "last": last}
        )
    else:
        found = _fetch_listed(connection, _PRESENT_SOME, {"period": period}, list(only))
    written_ids = {row[0] for row in rows}
    gone = [int(employee) for employee, _ in found if employee not in written_ids]
    for start in range(0, len(gone), DELETE_BATCH):
        connection.execute(
            _DELETE_SOME, {"period": period, "ids": gone[start : start + DELETE_BATCH]}
        )
    return sum(1 for employee, outdated in found if outdated and employee in written_ids)
