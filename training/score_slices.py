"""A new period's scoring from the previous period's panel slices and the new period's rows.

Scoring period P+1 reads the look-back of P+1, and all of it but period P+1 was read when P
was scored. Each history read of P kept, beside the feature row, what the panel held for
the employee (`risk_feature_rows.panel_slice`, `features.panel_slice`). While the score of
P is fresh, nothing it read has changed (`service.serving.freshness` marks it outdated in
the same transaction as any write to its inputs, its rater's statistics included), so the
employee's panel of P+1 is that slice shifted by one period plus period P+1's rows: the
read here restricts every source to P+1 (assessments to those of P+1's days, the raters'
statistics to P+1). An employee whose score of P is outdated, of another feature set or
kept no slice, or whose P+1 evaluation names a rater other than the one the slice kept, is
read in full (`training.score.read_features`). The feature rows are those of a full read,
to the bit (the tests compare them).

SQLite only: on PostgreSQL every history is read in full and no slice is kept.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

import numpy as np
from sqlalchemy import Connection
from sqlalchemy import Engine
from sqlalchemy import text
from sqlalchemy.orm import Session

from service.db.repositories.risk_batch import Columns
from service.db.repositories.risk_batch import listed_histories
from service.db.repositories.risk_batch import range_histories
from service.features import build_panel
from service.features import features_at
from service.features.panel import PeriodAxis
from service.features.panel_slice import combine
from service.features.panel_slice import encode
from training.score_stored import batches
from training.score_stored import fetch_columns
from training.score_stored import read_sets

if TYPE_CHECKING:
    from training.score import Clock
    from training.score import Job

#: The slices of the previous period whose score is fresh and of this run's feature set, of
#: a range (`period || ''` keeps it on the scores' (employee_id, period) index, as the state
#: read does) or of a list of employees; their length tells where each one ends.
_SLICES = """
SELECT f.employee_id, length(f.panel_slice) AS size, f.panel_slice
FROM risk_scores s CROSS JOIN risk_feature_rows f
WHERE s.period || '' = :period AND s.employee_id {who}
  AND NOT s.outdated AND s.feature_set = :feature_set
  AND f.employee_id = s.employee_id AND f.period = s.period AND f.panel_slice IS NOT NULL
"""
_SLICES_RANGE = _SLICES.format(who="BETWEEN :first AND :last")
_SLICES_SOME = _SLICES.format(who="IN :ids")
_SLICE_COLUMNS = (("employee_id", "size"), "panel_slice")


def previous_period(job: Job) -> str:
    """The period before the one scored (the last of the slices' axes)."""
    return job.axis.code(job.axis.length - 2)


def previous_slices(engine: Engine, job: Job, ids: np.ndarray) -> tuple[np.ndarray, list[bytes]]:
    """Those of `ids` (sorted) whose score of the previous period is fresh and of this run's
    feature set, with a slice kept; and their slices, in that order. One range read when
    they are most of their range, else lists of them (a daily re-score's few)."""
    if not len(ids):
        return ids, []
    shared = {"period": previous_period(job), "feature_set": job.feature_set}
    with engine.connect() as connection:
        if 2 * len(ids) >= ids[-1] - ids[0] + 1:
            span = shared | {"first": int(ids[0]), "last": int(ids[-1])}
            parts = [fetch_columns(connection, _SLICES_RANGE, *_SLICE_COLUMNS, span)]
        else:
            parts = [
                fetch_columns(connection, _SLICES_SOME, *_SLICE_COLUMNS, shared | {"ids": part})
                for part in batches(ids.tolist())
            ]
    found = np.concatenate([columns[0] for columns, _ in parts])
    sizes = np.concatenate([columns[1] for columns, _ in parts])
    blob = b"".join(blob for _, blob in parts)
    ends = np.cumsum(sizes)
    starts = ends - sizes
    keep = np.flatnonzero(np.isin(found, ids))
    keep = keep[np.argsort(found[keep], kind="stable")]  # by employee, whatever the plan
    slices = [blob[s:e] for s, e in zip(starts[keep].tolist(), ends[keep].tolist(), strict=True)]
    return found[keep], slices


#: Slices older than the previous period's: no run reads them once a later period is scored.
_DROP_OLD = text(
    "UPDATE risk_feature_rows SET panel_slice = NULL WHERE employee_id BETWEEN :first AND :last "
    "AND period < :previous AND panel_slice IS NOT NULL"
)


def drop_old_slices(connection: Connection, job: Job, first: int, last: int) -> None:
    """Forget the slices of employees `first..last` of periods before the previous one (a
    run of period P+1 reads those of P; nothing reads older ones)."""
    previous = previous_period(job)
    connection.execute(_DROP_OLD, {"first": first, "last": last, "previous": previous})


def new_period_axis(axis: PeriodAxis) -> PeriodAxis:
    """The one-period axis of `axis`'s last period."""
    return PeriodAxis(axis.kind, axis.first + axis.length - 1, 1)


def first_day(axis: PeriodAxis) -> date:
    """The first day of `axis`."""
    months = 12 // axis.per_year
    year, month = divmod(axis.first * months, 12)
    return date(year, month + 1, 1)


def _read_new(engine: Engine, read: tuple[int, int] | list[int], axis: PeriodAxis) -> Columns:
    """The rows of the ids `read` (a range or a list) dated in `axis`'s one period."""
    since = first_day(axis)
    with Session(engine) as session:
        if isinstance(read, list):
            return listed_histories(
                session, read, axis.codes(), since, coded=True, assessed_since=since
            )
        return range_histories(
            session, *read, axis.codes(), since, coded=True, assessed_since=since
        )


def sliced_features(
    engine: Engine, job: Job, ids: np.ndarray, sliced: tuple[np.ndarray, list[bytes]], clock: Clock
) -> tuple[np.ndarray, np.ndarray, list[bytes], np.ndarray]:
    """Feature rows of the employees `sliced[0]` (with their slices `sliced[1]`) from their
    slices and the new period's rows: their ids, rows and new slices, and the ids left to a
    full read (their new period names another rater; deleted employees are left out)."""
    from training.score import join_reads

    wanted, slices = sliced
    axis = new_period_axis(job.axis)
    needed = np.isin(ids, wanted)
    parts = [clock("read", _read_new, engine, read, axis) for read in read_sets(ids, needed)]
    columns = parts[0] if len(parts) == 1 else clock("features", join_reads, parts)
    return clock("features", _combined, columns, axis, job, wanted, slices)


def _combined(
    columns: Columns, axis: PeriodAxis, job: Job, wanted: np.ndarray, slices: list[bytes]
) -> tuple[np.ndarray, np.ndarray, list[bytes], np.ndarray]:
    employees = columns["employees"]
    keep = np.isin(np.asarray(employees["employee_id"], dtype=np.int64), wanted)
    columns = dict(columns) | {"employees": {k: np.asarray(v)[keep] for k, v in employees.items()}}
    new = build_panel(axis, **columns, min_group_answers=job.min_group_answers)
    at = np.searchsorted(wanted, new.employee_ids)
    panel, moved = combine([slices[i] for i in at.tolist()], new, job.axis.length)
    X = features_at(panel, job.axis.length - 1)
    kept = encode(panel)
    stay = np.flatnonzero(~moved)
    return (
        panel.employee_ids[stay],
        X[stay],
        [kept[i] for i in stay.tolist()],
        panel.employee_ids[moved],
    )
