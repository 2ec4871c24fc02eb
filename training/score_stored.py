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

The write deletes the rows it replaces with `RETURNING outdated`: a row that was fresh when
the range was read and is outdated by then had its inputs changed meanwhile, so the new row
is written outdated too (the risk read answers it live; the next run recomputes it).
Not detectable: a change committed between the history read and the write to an employee
whose row was already outdated (or absent) when the range was read; its `forget_scores`
finds nothing to mark. A full scoring (`--full`) had that window for every row.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sqlalchemy import Connection
from sqlalchemy import bindparam
from sqlalchemy import text

import service.features
from service.features import FEATURE_NAMES

#: Feature rows are stored as these bytes, bit for bit.
VECTOR_DTYPE = np.dtype("<f8")
#: Unneeded employees between two that must be read again, up to which one read covers both:
#: a range read costs about 6 ms of CPU whatever its size (ten statements), an employee
#: about 0.3 ms more (SQLite, 100,000 employees; 250 scattered in 25,000: 1.6 s of CPU
#: read one by one, 1.3 s at 20, 1.6 s at 40, 2.3 s at 80).
MERGE_GAP = 20
#: Ids per `IN` list of a delete.
DELETE_BATCH = 5_000

_EMPLOYEES = text("SELECT id FROM employees WHERE id BETWEEN :first AND :last ORDER BY id")
_STORED = text(
    """
    SELECT employee_id, outdated, model_version, fallback, status, flagged,
           CASE WHEN drivers IS NULL OR CAST(drivers AS TEXT) = 'null' THEN 1 ELSE 0 END,
           CASE WHEN feature_set = :feature_set THEN features END
    FROM risk_scores
    WHERE period = :period AND employee_id BETWEEN :first AND :last
    """
)
_DELETE_RANGE = text(
    "DELETE FROM risk_scores WHERE period = :period AND employee_id BETWEEN :first AND :last "
    "RETURNING employee_id, outdated"
)
_DELETE_SOME = text(
    "DELETE FROM risk_scores WHERE period = :period AND employee_id IN :ids "
    "RETURNING employee_id, outdated"
).bindparams(bindparam("ids", expanding=True))


def feature_set_id() -> str:
    """A short id of the ordered feature list and of the code that computes it.

    Stored with each feature row: a renamed, added or reordered feature, or any edit of
    `service.features` (a definition may change without a new name), makes the stored rows
    unusable, so they are computed again rather than served stale.
    """
    digest = hashlib.sha256("\n".join(FEATURE_NAMES).encode())
    package = Path(service.features.__file__).parent
    for source in sorted(package.glob("*.py")):
        digest.update(source.name.encode() + b"\0" + source.read_bytes())
    return digest.hexdigest()[:16]


def to_bytes(row: np.ndarray) -> bytes:
    """A feature row as stored: float64 little-endian, bit-exact."""
    return np.ascontiguousarray(row, dtype=VECTOR_DTYPE).tobytes()


@dataclass
class Stored:
    """The period's stored rows of one id range, aligned on the range's employees (sorted)."""

    employee_ids: np.ndarray
    #: A row not outdated is stored.
    fresh: np.ndarray
    #: ... with a feature row of the current feature set (`vectors` holds it, else NaN).
    usable: np.ndarray
    #: ... which is also the answer this run would give (same model version, explained alike).
    same: np.ndarray
    ok: np.ndarray
    flagged: np.ndarray
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


def _columns(rows: list[tuple[object, ...]], width: int) -> list[tuple[object, ...]]:
    return list(zip(*rows, strict=True)) if rows else [()] * width


def _standing(answering: Answering, columns: list[tuple[object, ...]]) -> np.ndarray:
    """Which stored answers stand as this run's: by this model version (never the rule
    fallback: its table follows everyone's evaluations), whose drivers this run would also
    leave out (unflagged rows, `--drivers flagged`) or give."""
    _, _, versions, fallback, status, flagged, unexplained, _ = columns
    if answering.model_version is None:
        return np.zeros(len(versions), dtype=bool)
    same = np.array(versions, dtype=object) == answering.model_version
    same &= ~np.array(fallback, dtype=bool)
    quiet = (np.array(status, dtype=object) == "ok") & ~np.array(flagged, dtype=bool)
    left_out = np.array(unexplained, dtype=bool) == (answering.explain == "flagged")
    return same & (~quiet | left_out)


def read_stored(connection: Connection, answering: Answering, first: int, last: int) -> Stored:
    """The employees of `first..last` and the stored rows of `answering.period` they have."""
    span = {"first": first, "last": last}
    ids = np.asarray(connection.execute(_EMPLOYEES, span).scalars().all(), dtype=np.int64)
    parameters = span | {"period": answering.period, "feature_set": answering.feature_set}
    columns = _columns(connection.execute(_STORED, parameters).all(), 8)
    employee = np.array(columns[0], dtype=np.int64)
    at = np.minimum(np.searchsorted(ids, employee), max(len(ids) - 1, 0))
    known = ids[at] == employee if len(ids) else np.zeros(len(employee), dtype=bool)
    fresh = ~np.array(columns[1], dtype=bool)
    vectors = columns[7]
    usable = fresh & np.array([vector is not None for vector in vectors], dtype=bool)
    found = [vectors[i] for i in np.flatnonzero(usable & known).tolist()]
    n, width = len(ids), len(FEATURE_NAMES)

    def aligned(values: np.ndarray) -> np.ndarray:
        out = np.zeros(n, dtype=bool)
        out[at[known]] = values[known]
        return out

    stored = Stored(
        ids, aligned(fresh), aligned(usable), aligned(usable & _standing(answering, columns)),
        aligned(np.array(columns[4], dtype=object) == "ok"),
        aligned(np.array(columns[5], dtype=bool)),
        np.full((n, width), np.nan), employee[~known].tolist(),
    )  # fmt: skip
    if found:
        rows = np.frombuffer(b"".join(found), dtype=VECTOR_DTYPE).reshape(-1, width)
        stored.vectors[at[usable & known]] = rows
    return stored


def read_spans(
    ids: np.ndarray, needed: np.ndarray, gap: int = MERGE_GAP
) -> Iterator[tuple[int, int]]:
    """Inclusive id ranges covering every `needed` employee of `ids` (sorted), in order.

    Needed employees at most `gap` positions apart share one range: reading a few extra
    employees costs less than another set of statements. When the ranges would cost more
    than reading everyone (a range about `gap` employees), one range covers them all.
    """
    positions = np.flatnonzero(needed)
    if not len(positions):
        return
    breaks = np.flatnonzero(np.diff(positions) > gap + 1)
    starts = np.concatenate(([positions[0]], positions[breaks + 1]))
    ends = np.concatenate((positions[breaks], [positions[-1]]))
    if len(starts) * gap + int((ends - starts + 1).sum()) >= positions[-1] - positions[0] + 1:
        starts, ends = starts[:1], ends[-1:]
    for start, end in zip(starts.tolist(), ends.tolist(), strict=True):
        yield int(ids[start]), int(ids[end])


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
