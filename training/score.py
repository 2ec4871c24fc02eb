"""Batch scoring: every employee's risk for the latest period into `risk_scores`, in chunks.

Per chunk of employee ids: first the state of the period's stored rows of the range (one
integer per row, and the row's id; feature rows only of the rows answered again from them,
`training.score_stored`). A row that is not outdated has unchanged inputs
(`service.serving.freshness` marks it outdated in the same transaction as any write to what
its features read), so by default a run is incremental: such a row, with a feature row of
the current feature set, is left as it is when it already holds this run's answer (same
model version, explained alike) and is answered again from its stored feature row otherwise
(after a promotion: no history read). Only the other employees (no row, outdated, no or
another feature set; all with `full`) have their history read: one statement per source
(`repositories.risk_batch`, planned by the ids so a chunk costs the same however large
the agency, as plain column arrays) over one id range when they are most of it, else by
lists of their ids (a scattered employee costs what it costs in a range), one `Panel`,
`features_at` for the latest period. On SQLite each such read keeps the employee's panel
slice, and one whose score of the previous period is fresh has only the new period's rows
read, the rest of the panel coming from that slice (`training.score_slices`). Then one
prediction of every row (`serving.trees.predict_rows`, the compiled walk of the trees,
which keeps each row's leaf in every tree), drivers for the flagged rows only (`--drivers
all` explains everyone), explained from those leaves per block of rows
(`serving.trees.strongest_rows`, as the live read does, written straight as their JSON
text; a row left unexplained stores JSON `null` drivers, so the risk read knows to explain
it live rather than serve an empty list), and one bulk write of the answered rows, with the
feature rows of those whose history was read (`training.score_write`: the stored rows
updated in place, on SQLite by an `executemany` by row id, on PostgreSQL by one statement
binding arrays; a new period's rows copied in on PostgreSQL). A row whose inputs changed
while the run scored it is written outdated (`training.score_write` says which change
stays unseen). The answers are those of a full run, to the bit. Memory holds one chunk of
history at a time; `ScoreSummary` reports the time of each stage and how many rows were
recomputed, reused and left untouched.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field
from dataclasses import fields
from datetime import UTC
from datetime import datetime
from itertools import repeat
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import Engine
from sqlalchemy.orm import Session
from threadpoolctl import threadpool_limits

from service.db import make_database
from service.db import make_engine
from service.db import session_scope
from service.db.repositories import risk as repo
from service.db.repositories.risk_batch import Columns
from service.db.repositories.risk_batch import listed_histories
from service.db.repositories.risk_batch import range_histories
from service.domain.errors import DomainError
from service.domain.feedback360_results import DEFAULT_MIN_GROUP_ANSWERS
from service.features import FEATURE_NAMES
from service.features import build_panel
from service.features import features_at
from service.features import history_start
from service.features import serving_axis
from service.features.catalogue import FEATURE_INDEX
from service.features.catalogue import MIN_EVALUATED_PERIODS
from service.features.panel import PeriodAxis
from service.features.panel_slice import encode as encode_slices
from service.features.stored_rows import VECTOR_DTYPE
from service.features.stored_rows import feature_set_id
from service.features.stored_rows import to_bytes
from service.serving.fallback import PRIOR_TABLE
from service.serving.fallback import fallback_answer
from service.serving.fallback import table_from_transitions
from service.serving.loader import LoadedModel
from service.serving.loader import ModelSource
from service.serving.predictor import MAX_DRIVERS
from service.serving.predictor import MIN_CONTRIBUTION
from service.serving.predictor import RISK_MODEL_NAME
from service.serving.predictor import drivers_json_of
from service.serving.trees import Predicted
from service.serving.trees import predict_rows
from service.serving.trees import prepare_rows
from service.serving.trees import strongest_rows
from training.extract import employee_chunks
from training.extract import read_axis
from training.score_slices import drop_old_slices
from training.score_slices import previous_slices
from training.score_slices import sliced_features
from training.score_stored import Answering
from training.score_stored import Stored
from training.score_stored import read_sets
from training.score_stored import read_stored
from training.score_write import Answers
from training.score_write import write_scores

#: Employees per chunk: large enough that per-statement costs vanish, small enough that a
#: chunk's raw history (about 100 rows per employee) stays within a few hundred MB.
DEFAULT_SCORE_CHUNK = 25_000
#: Flagged rows explained together at most: bounds what a block holds besides the rows'
#: leaves (its substituted cells, about 40 a row, and their raw scores).
EXPLAIN_BLOCK = 2_048
STAGES = ("stored", "read", "features", "predict", "explain", "write")


@dataclass
class ScoreSummary:
    """What one scoring run stored, and the seconds spent in each stage (`STAGES`).

    `scored` and `flagged` count every employee's stored answer, untouched ones included;
    `reused` were answered from their stored feature row, `recomputed` from their history,
    `untouched` already held this run's answer; `stale` were written outdated (their inputs
    changed while the run was scoring them); `sliced` of the recomputed had only the new
    period read, the rest from the previous period's panel slices (`training.score_slices`).
    """

    period: str
    employees: int
    scored: int
    flagged: int
    model_version: str | None
    fallback: bool
    reused: int = 0
    recomputed: int = 0
    untouched: int = 0
    stale: int = 0
    sliced: int = 0
    seconds: float = 0.0
    stages: dict[str, float] = field(default_factory=lambda: dict.fromkeys(STAGES, 0.0))
    stage_cpu: dict[str, float] = field(default_factory=lambda: dict.fromkeys(STAGES, 0.0))


@dataclass
class Scored:
    """One chunk's answers as columns: what `risk_scores` stores per employee (drivers: the
    model's as their JSON text, the rule's as dicts, None where not explained)."""

    employee_ids: np.ndarray
    status: np.ndarray
    probability: np.ndarray
    flagged: np.ndarray
    drivers: list[str | list[dict[str, Any]] | None]
    threshold: float | None
    model_version: str | None
    fallback: bool


class Clock:
    """Run a call and add its wall time to one stage of `stages`, its CPU time to `cpu`.

    CPU time is the process's (all its threads): on a shared machine it is the figure that
    compares runs, since wall time also counts waiting for a core.
    """

    def __init__(
        self, stages: dict[str, float] | None = None, cpu: dict[str, float] | None = None
    ) -> None:
        self.stages = stages if stages is not None else dict.fromkeys(STAGES, 0.0)
        self.cpu = cpu if cpu is not None else dict.fromkeys(STAGES, 0.0)

    def __call__(self, stage: str, function: Callable[..., Any], *args: Any) -> Any:
        began, used = time.perf_counter(), time.process_time()
        try:
            return function(*args)
        finally:
            self.stages[stage] = self.stages.get(stage, 0.0) + time.perf_counter() - began
            self.cpu[stage] = self.cpu.get(stage, 0.0) + time.process_time() - used


def strongest_drivers(
    pipeline: Any, X: np.ndarray, chosen: np.ndarray, predicted: Predicted | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """The drivers of the rows `chosen` of `X`: (chosen rows, `MAX_DRIVERS`) features (-1:
    none) and contributions (`trees.strongest_rows`, the live read's choice).

    The same substitution as the single-employee answer, in equal blocks of at most
    `EXPLAIN_BLOCK` rows so memory stays bounded (and no small last block pays a whole
    block's calls); `predicted` (`predict_rows` of `X`) spares predicting the rows again.
    """
    features = np.empty((len(chosen), MAX_DRIVERS), dtype=np.intp)
    effect = np.empty((len(chosen), MAX_DRIVERS))
    count = -(-len(chosen) // EXPLAIN_BLOCK)  # none when no row is chosen
    done = 0
    for block in np.array_split(chosen, count) if count else []:
        known = None if predicted is None else predicted.take(block)
        found = strongest_rows(pipeline, X[block], MAX_DRIVERS, MIN_CONTRIBUTION, known)
        features[done : done + len(block)], effect[done : done + len(block)] = found[1:]
        done += len(block)
    return features, effect


def score_matrix(
    model: LoadedModel, X: np.ndarray, explain: str = "flagged", clock: Clock | None = None
) -> tuple[np.ndarray, np.ndarray, list[str | None]]:
    """Probability, flag and drivers (JSON text) for each row of the feature matrix `X`.

    One prediction of every row (`predict_rows`: boosted trees keep each row's leaves,
    which the explanation of the flagged rows starts from). Rows not explained (unflagged,
    with `explain="flagged"`) get None, not an empty list. The drivers are written as the
    text they are stored as (`drivers_json_of`, part of the write), never as dicts.
    """
    clock = clock or Clock()
    if not len(X):  # every row of the chunk was left as stored
        return np.empty(0), np.zeros(0, dtype=bool), []
    predicted = clock("predict", predict_rows, model.pipeline, X)
    probability = predicted.probability
    flagged = probability >= model.threshold
    chosen = np.flatnonzero(flagged if explain == "flagged" else np.ones(len(X), bool))
    drivers: list[str | None] = [None] * len(X)
    found = clock("explain", strongest_drivers, model.pipeline, X, chosen, predicted)
    texts = clock("write", drivers_json_of, X[chosen], *found)
    for i, text in zip(chosen.tolist(), texts, strict=True):
        drivers[i] = text
    return probability, flagged, drivers


def score_chunk(
    ids: np.ndarray, X: np.ndarray, period: str, model: LoadedModel | None,
    table: dict[str, float], explain: str = "flagged", clock: Clock | None = None,
) -> Scored:  # fmt: skip
    """Answer every row of `X`: insufficient history, the model, or the rule fallback."""
    n = len(ids)
    enough = X[:, FEATURE_INDEX["periods_evaluated"]] >= MIN_EVALUATED_PERIODS
    probability, flagged = np.full(n, np.nan), np.zeros(n, dtype=bool)
    drivers: list[str | list[dict[str, Any]] | None] = [[] for _ in range(n)]
    rows = np.flatnonzero(enough)
    if model is None:
        for i in rows.tolist():
            answer = fallback_answer(int(ids[i]), period, X[i], table)
            probability[i], flagged[i] = answer["probability"], answer["flagged"]
            drivers[i] = answer["drivers"]
        threshold = answer_threshold(table)
    else:
        found, flags, explained = score_matrix(model, X[rows], explain, clock)
        probability[rows], flagged[rows] = found, flags
        for i, reasons in zip(rows.tolist(), explained, strict=True):
            drivers[i] = reasons
        threshold = model.threshold
    status = np.where(enough, "ok", "insufficient_data")
    version = model.version if model else None
    return Scored(ids, status, probability, flagged, drivers, threshold, version, model is None)


def answer_threshold(table: dict[str, float]) -> float | None:
    """The rule's threshold as `fallback_answer` reports it (None without poor rates)."""
    answer = fallback_answer(0, "", np.zeros(len(FEATURE_NAMES)), table)
    return answer["threshold"]


#: `json.dumps(..., ensure_ascii=False)` builds a new encoder at every call; one serves all.
_DRIVERS_ENCODER = json.JSONEncoder(ensure_ascii=False)


def _drivers_json(drivers: str | list[dict[str, Any]] | None) -> str:
    """Drivers as JSON text (as `json.dumps(drivers, ensure_ascii=False)` writes it); `null`
    marks a row whose drivers were not computed. The model's drivers come as that text
    already (`score_matrix`)."""
    if isinstance(drivers, str):
        return drivers
    if drivers is None:
        return "null"
    return _DRIVERS_ENCODER.encode(drivers) if drivers else "[]"


def _answers(
    scored: Scored, X: np.ndarray, read: np.ndarray, stored: Stored, job: Job, now: Any
) -> Answers:
    """The columns of every answer (probability and threshold only where status ok) and
    the feature rows `X[read]` (those whose history was read) as stored bytes, cut from
    one buffer of all; whether each row was fresh when read, and its id (`stored`)."""
    ok = (scored.status == "ok").tolist()
    probability = [p if k else None for p, k in zip(scored.probability.tolist(), ok, strict=True)]
    shared = {
        "period": job.period, "model_name": RISK_MODEL_NAME,
        "model_version": scored.model_version, "fallback": scored.fallback,
        "feature_set": job.feature_set, "scored_at": now,
    }  # fmt: skip
    buffer, size = to_bytes(X[read]), X.shape[1] * VECTOR_DTYPE.itemsize
    vectors = [buffer[start : start + size] for start in range(0, len(buffer), size)]
    return Answers(
        scored.employee_ids.tolist(), scored.status.tolist(), probability,
        scored.flagged.tolist(), [scored.threshold if k else None for k in ok],
        [_drivers_json(d) for d in scored.drivers], shared,
        np.isin(scored.employee_ids, stored.employee_ids[stored.fresh]).tolist(),
        stored.row_ids[np.searchsorted(stored.employee_ids, scored.employee_ids)].tolist(),
        list(zip(scored.employee_ids[read].tolist(), repeat(job.period), vectors)),
    )  # fmt: skip


def scored_at(dialect: Any, now: datetime) -> Any:
    """`now` as the write passes it: on SQLite the text sqlite3's datetime adapter stores
    for it (`isoformat(" ")`), made once here instead of once a row (25,000 adapter calls
    a chunk); PostgreSQL's COPY takes the datetime.

    The upsert bypasses SQLAlchemy's types, so the stored text is the driver's, not the
    one `DateTime` binds (which drops the offset): keep it so, as rows already hold it.
    """
    if dialect.name == "postgresql":
        return now
    return now.isoformat(" ")


def _rule_table(engine: Engine, period: str) -> dict[str, float]:
    previous = serving_axis(period).code(serving_axis(period).length - 2)
    database = make_database(str(engine.url.render_as_string(hide_password=False)))
    with session_scope(database) as session:
        pairs = repo.predikat_transitions(session, previous, period)
    database.engine.dispose()
    return table_from_transitions(pairs) if pairs else dict(PRIOR_TABLE)


def score_all(
    database_url: str,
    tracking_uri: str,
    models_dir: str | Path,
    *,
    chunk_size: int = DEFAULT_SCORE_CHUNK,
    explain: str = "flagged",
    on_rows: Callable[[int], None] | None = None,
    threads: int | None = None,
    workers: int = 1,
    full: bool = False,
    ranges: Sequence[tuple[int, int]] | None = None,
    min_group_answers: int = DEFAULT_MIN_GROUP_ANSWERS,
    period: str | None = None,
) -> ScoreSummary:
    """Score every employee for the latest evaluated period; replace that period's scores.

    Incremental unless `full`: stored rows that are not outdated are answered from their
    feature rows or left as they are (`training.score_stored`). `threads` caps scikit-learn's
    OpenMP threads (None: all cores; the boosted trees' compiled walk runs in one thread per
    process, so cores are used by `workers`); `workers` > 1 scores the chunks in that many
    processes (`training.score_workers`), one chunk in memory each. `ranges` scores only
    those inclusive id ranges, each as one chunk (None: every employee, listed in chunks of
    `chunk_size`); the stored rows of other employees stay as they are. `min_group_answers`
    is the configured 360 anonymity threshold the features apply (stored feature rows of
    another threshold are computed again: `feature_set_id`). `period` scores that period
    instead of the latest evaluated one (the benchmark and tests score the period before).
    """
    began = time.perf_counter()
    model = ModelSource(RISK_MODEL_NAME, tracking_uri, models_dir, refresh_seconds=0).current()
    import sklearn.ensemble._hist_gradient_boosting.predictor  # noqa: F401 - OpenMP loaded

    engine = make_engine(database_url)
    try:
        job = plan_job(engine, model, explain, full, min_group_answers, period)
        summary = ScoreSummary(
            job.period, 0, 0, 0, model.version if model else None, model is None
        )
        if ranges is None:
            ranges = employee_chunks(engine, chunk_size)
        with threadpool_limits(limits=threads, user_api="openmp"):
            clock = Clock(summary.stages, summary.stage_cpu)
            if workers > 1:
                from training.score_workers import score_in_workers

                counts = score_in_workers(database_url, job, list(ranges), workers, threads, clock)
            else:
                if model is not None:
                    prepare_rows(model.pipeline)  # start-up, not the first chunk's prediction
                counts = (score_range(engine, job, first, last, clock) for first, last in ranges)
            for done in counts:
                done.add_to(summary)
                if on_rows is not None:
                    on_rows(done.employees)
    finally:
        engine.dispose()
    summary.seconds = time.perf_counter() - began
    return summary


@dataclass(frozen=True)
class Job:
    """What scoring any chunk needs: the period, its axis, the model or the rule's table."""

    period: str
    axis: PeriodAxis
    model: LoadedModel | None
    table: dict[str, float]
    explain: str
    full: bool = False
    feature_set: str = ""
    min_group_answers: int = DEFAULT_MIN_GROUP_ANSWERS
    #: Keep each history read's panel slice, and read a new period from the previous
    #: period's slices (`training.score_slices`; SQLite only).
    slices: bool = False

    @property
    def answering(self) -> Answering:
        version = self.model.version if self.model else None
        return Answering(self.period, self.feature_set, version, self.explain)


class NothingToScore(DomainError, ValueError):
    """The database holds no evaluation, so there is no period to score (the CLI prints it,
    no traceback)."""

    status = 409
    title = "Nothing to score"


def plan_job(
    engine: Engine,
    model: LoadedModel | None,
    explain: str,
    full: bool = False,
    min_group_answers: int = DEFAULT_MIN_GROUP_ANSWERS,
    period: str | None = None,
) -> Job:
    """The latest evaluated period (or `period`) and everything a chunk of it is scored
    with."""
    if period is None:
        try:
            axis = read_axis(engine)
        except ValueError as exc:  # no evaluations
            message = f"cannot score: {exc}; record or import evaluations first"
            raise NothingToScore(message) from exc
        period = axis.code(axis.length - 1)
    table = _rule_table(engine, period) if model is None else {}
    return Job(
        period, serving_axis(period), model, table, explain, full,
        feature_set_id(min_group_answers), min_group_answers, engine.dialect.name == "sqlite",
    )  # fmt: skip


def read_range(engine: Engine, first_id: int, last_id: int, axis: PeriodAxis) -> Columns:
    """The stored history of employees `first_id..last_id` that the features of `axis` read.

    Evaluations and realisations come coded (numbers, not text: `range_histories`).
    """
    with Session(engine) as session:
        since = history_start(axis)
        return range_histories(session, first_id, last_id, axis.codes(), since, coded=True)


def read_listed(engine: Engine, employee_ids: list[int], axis: PeriodAxis) -> Columns:
    """`read_range` of the employees `employee_ids` only (`listed_histories`)."""
    with Session(engine) as session:
        since = history_start(axis)
        return listed_histories(session, employee_ids, axis.codes(), since, coded=True)


def range_features(
    columns: Columns, axis: PeriodAxis, min_group_answers: int = DEFAULT_MIN_GROUP_ANSWERS
) -> tuple[np.ndarray, np.ndarray]:
    """Employee ids (sorted) and their feature rows as of the end of `axis` (360 groups of
    at least `min_group_answers` answers: `build_panel`)."""
    ids, X, _ = panel_features(columns, axis, min_group_answers)
    return ids, X


def panel_features(
    columns: Columns, axis: PeriodAxis, min_group_answers: int, slices: bool = False
) -> tuple[np.ndarray, np.ndarray, list[bytes] | None]:
    """`range_features`, and each employee's panel slice when `slices` (`panel_slice`)."""
    panel = build_panel(axis, **columns, min_group_answers=min_group_answers)
    kept = encode_slices(panel) if slices else None
    return panel.employee_ids, features_at(panel, axis.length - 1), kept


#: Ids, feature rows and panel slices (None: not kept) of the employees read, and how many
#: of them were read from the previous period's slices.
Read = tuple[np.ndarray, np.ndarray, list[bytes | None], int]


def read_features(
    engine: Engine, job: Job, ids: np.ndarray, needed: np.ndarray, clock: Clock
) -> Read:
    """Ids, feature rows and panel slices from the history of the `needed` employees of
    `ids` (sorted). Those whose previous period's slice stands (`training.score_slices`)
    have only the new period read; the others their whole look-back, by one id range when
    they are most of it (it may hold a few more employees) or by lists of their ids
    (`read_sets`), in one panel."""
    found: list[Read] = []
    if job.slices and not job.full:
        sliced = clock("read", previous_slices, engine, job, ids[needed])
        if len(sliced[0]):
            *part, moved = sliced_features(engine, job, ids, sliced, clock)
            found.append((part[0], part[1], list(part[2]), len(part[0])))
            needed = needed & (~np.isin(ids, sliced[0]) | np.isin(ids, moved))
    parts = [
        clock("read", read_listed, engine, read, job.axis)
        if isinstance(read, list)
        else clock("read", read_range, engine, *read, job.axis)
        for read in read_sets(ids, needed)
    ]
    if parts:
        columns = parts[0] if len(parts) == 1 else clock("features", join_reads, parts)
        whole = clock(
            "features", panel_features, columns, job.axis, job.min_group_answers, job.slices
        )
        found.append((whole[0], whole[1], list(whole[2] or [None] * len(whole[0])), 0))
    if not found:
        return np.empty(0, dtype=np.int64), np.empty((0, len(FEATURE_NAMES))), [], 0
    return _joined(found)


def _joined(found: list[Read]) -> Read:
    """The reads `found` (of disjoint employees) as one, by employee id."""
    sliced = sum(part[3] for part in found)
    if len(found) == 1:
        ids, X, kept, _ = found[0]
        return np.asarray(ids, dtype=np.int64), X, kept, sliced
    ids = np.concatenate([part[0] for part in found]).astype(np.int64)
    order = np.argsort(ids, kind="stable")
    X = np.concatenate([part[1] for part in found])[order]
    kept = [slice_ for part in found for slice_ in part[2]]
    return ids[order], X, [kept[i] for i in order.tolist()], sliced


def join_reads(parts: list[dict[str, Columns]]) -> dict[str, Columns]:
    """The reads of disjoint id ranges as one read of all their employees.

    Every source names its employee, except the raters' statistics: those cover everyone
    a rater rated, whichever range read them, so a rater read by two ranges is kept once.
    """
    joined = {
        source: {name: np.concatenate([part[source][name] for part in parts]) for name in first}
        for source, first in parts[0].items()
    }
    stats = joined["rater_stats"]
    period = stats["period"] if "period" in stats else stats["period_index"]
    keys = zip(stats["rater_id"].tolist(), period.tolist(), strict=True)
    once = sorted({key: i for i, key in reversed(list(enumerate(keys)))}.values())
    joined["rater_stats"] = {name: values[once] for name, values in stats.items()}
    return joined


@dataclass
class Counts:
    """What one chunk stored (see `ScoreSummary`)."""

    employees: int = 0
    scored: int = 0
    flagged: int = 0
    reused: int = 0
    recomputed: int = 0
    untouched: int = 0
    stale: int = 0
    sliced: int = 0

    def add_to(self, summary: ScoreSummary) -> None:
        for name in (counted.name for counted in fields(self)):
            setattr(summary, name, getattr(summary, name) + getattr(self, name))


def chunk_matrix(
    engine: Engine, job: Job, stored: Stored, clock: Clock
) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[bytes | None], int]:
    """Ids, feature rows, whether reused and the panel slices (None: reused, or none
    kept) of the employees this run answers, and how many were read from the previous
    period's slices.

    Untouched rows (`stored.same`) are left out; rows with a stored feature row are
    answered from it; the others (all with `job.full`) from their history read again.
    """
    keep = stored.same & (not job.full)
    reuse = stored.usable & ~keep & (not job.full)
    again = ~keep & ~reuse
    ids, X = stored.employee_ids, stored.vectors.copy()
    slices: list[bytes | None] = [None] * len(ids)
    sliced = 0
    if again.any():
        found, rows, kept, sliced = read_features(engine, job, ids, again, clock)
        at = np.minimum(np.searchsorted(found, ids), max(len(found) - 1, 0))
        read = again & (found[at] == ids) if len(found) else np.zeros_like(again)
        X[read] = rows[at[read]]
        for i in np.flatnonzero(read).tolist():
            slices[i] = kept[at[i]]
        keep |= again & ~read  # deleted since the range was read: nothing to answer
    chosen = [slices[i] for i in np.flatnonzero(~keep).tolist()]
    return ids[~keep], X[~keep], reuse[~keep], chosen, sliced


def score_range(engine: Engine, job: Job, first_id: int, last_id: int, clock: Clock) -> Counts:
    """Read, score and store employees `first_id..last_id` (see `training.score_stored`)."""
    with engine.connect() as connection:
        stored = clock(
            "stored", read_stored, connection, job.answering, first_id, last_id, not job.full
        )
    return finish_range(engine, job, first_id, last_id, stored, clock)


def finish_range(
    engine: Engine, job: Job, first_id: int, last_id: int, stored: Stored, clock: Clock
) -> Counts:
    """Answer and store the employees of a range whose stored rows `stored` holds."""
    ids, X, reused, slices, sliced = chunk_matrix(engine, job, stored, clock)
    scored = score_chunk(ids, X, job.period, job.model, job.table, job.explain, clock)
    now = scored_at(engine.dialect, datetime.now(UTC))
    answers = clock("write", _answers, scored, X, ~reused, stored, job, now)
    answers.slices = [slices[i] for i in np.flatnonzero(~reused).tolist()]
    every = len(ids) == len(stored.employee_ids)
    only = None if every else [*ids.tolist(), *stored.orphans]
    span = (job.period, first_id, last_id)
    with engine.begin() as connection:
        stale = clock("write", write_scores, connection, span, answers, only)
        if job.slices and any(kept is not None for kept in answers.slices or ()):
            clock("write", drop_old_slices, connection, job, first_id, last_id)
    left = np.isin(stored.employee_ids, ids, invert=True)
    return Counts(
        employees=len(stored.employee_ids),
        scored=int((scored.status == "ok").sum() + (stored.ok & left).sum()),
        flagged=int(scored.flagged.sum() + (stored.flagged & left).sum()),
        reused=int(reused.sum()),
        recomputed=int((~reused).sum()),
        untouched=int(left.sum()),
        stale=stale,
        sliced=sliced,
    )


__all__ = ["FEATURE_NAMES", "ScoreSummary", "score_all", "score_matrix"]
