"""Batch scoring: every employee's risk for the latest period into `risk_scores`, in chunks.

Per chunk of employee ids: one statement per source (`repositories.risk_batch`: the rows
every serving path reads, from statements planned by the id range so a chunk costs the same
however large the agency, as plain column arrays), one `Panel`, `features_at` for the latest
period, one `predict_proba` on the bare calibrated estimator, drivers for the
flagged rows only (`--drivers all` explains everyone: about 50 times the prediction cost)
in one prediction call per block of rows (a row left unexplained stores JSON `null` drivers, so
the risk read knows to explain it live rather than serve an empty list), and one bulk write
(`COPY` on PostgreSQL, `executemany` on SQLite) after deleting the chunk's old scores of the
period by id range.
Memory holds one chunk of history at a time; `ScoreSummary` reports the time of each stage.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import field
from datetime import UTC
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import Connection
from sqlalchemy import Engine
from sqlalchemy import delete
from sqlalchemy.orm import Session
from threadpoolctl import threadpool_limits

from service.db import make_database
from service.db import make_engine
from service.db import session_scope
from service.db.models import RiskScore
from service.db.repositories import risk as repo
from service.db.repositories.risk_batch import Columns
from service.db.repositories.risk_batch import range_histories
from service.features import FEATURE_NAMES
from service.features import build_panel
from service.features import features_at
from service.features import history_start
from service.features import serving_axis
from service.features.catalogue import FEATURE_INDEX
from service.features.catalogue import MIN_EVALUATED_PERIODS
from service.features.panel import PeriodAxis
from service.serving.batch import explain_rows
from service.serving.fallback import PRIOR_TABLE
from service.serving.fallback import fallback_answer
from service.serving.fallback import table_from_transitions
from service.serving.loader import LoadedModel
from service.serving.loader import ModelSource
from service.serving.predictor import RISK_MODEL_NAME
from service.serving.predictor import top_drivers
from training.extract import employee_chunks
from training.extract import read_axis

#: Employees per chunk: large enough that per-statement costs vanish, small enough that a
#: chunk's raw history (about 100 rows per employee) stays within a few hundred MB.
DEFAULT_SCORE_CHUNK = 25_000
#: Flagged rows explained per prediction call (each becomes 1 + features rows).
EXPLAIN_BLOCK = 2_000
STAGES = ("read", "features", "predict", "explain", "write")
_COLUMNS = (
    "employee_id", "period", "status", "probability", "flagged", "threshold", "drivers",
    "model_name", "model_version", "fallback", "scored_at",
)  # fmt: skip


@dataclass
class ScoreSummary:
    """What one scoring run wrote, and the seconds spent in each stage (`STAGES`)."""

    period: str
    employees: int
    scored: int
    flagged: int
    model_version: str | None
    fallback: bool
    seconds: float = 0.0
    stages: dict[str, float] = field(default_factory=lambda: dict.fromkeys(STAGES, 0.0))
    stage_cpu: dict[str, float] = field(default_factory=lambda: dict.fromkeys(STAGES, 0.0))


@dataclass
class Scored:
    """One chunk's answers as columns: what `risk_scores` stores per employee."""

    employee_ids: np.ndarray
    status: np.ndarray
    probability: np.ndarray
    flagged: np.ndarray
    drivers: list[list[dict[str, Any]] | None]
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


def contributions(pipeline: Any, X: np.ndarray) -> np.ndarray:
    """(rows, features) drop in probability when each feature takes its typical value.

    The same substitution as the single-employee answer, in blocks of `EXPLAIN_BLOCK` rows
    (one prediction call each) so memory stays bounded.
    """
    blocks = range(0, len(X), EXPLAIN_BLOCK)
    parts = [explain_rows(pipeline, X[i : i + EXPLAIN_BLOCK])[1] for i in blocks]
    return np.concatenate(parts) if parts else np.empty((0, X.shape[1]))


def score_matrix(
    model: LoadedModel, X: np.ndarray, explain: str = "flagged", clock: Clock | None = None
) -> tuple[np.ndarray, np.ndarray, list[list[dict[str, Any]] | None]]:
    """Probability, flag and drivers for each row of the feature matrix `X`.

    Predicts on the calibrated estimator itself (`X` is already in `FEATURE_NAMES` order).
    Rows not explained (unflagged, with `explain="flagged"`) get None, not an empty list.
    """
    clock = clock or Clock()
    estimator = model.pipeline.named_steps["model"]
    probability = clock("predict", estimator.predict_proba, X)[:, 1]
    flagged = probability >= model.threshold
    chosen = np.flatnonzero(flagged if explain == "flagged" else np.ones(len(X), bool))
    drivers: list[list[dict[str, Any]] | None] = [None] * len(X)
    effect = clock("explain", contributions, model.pipeline, X[chosen])
    for row, i in enumerate(chosen.tolist()):
        drivers[i] = top_drivers(X[i], effect[row])
    return probability, flagged, drivers


def score_chunk(
    ids: np.ndarray, X: np.ndarray, period: str, model: LoadedModel | None,
    table: dict[str, float], explain: str = "flagged", clock: Clock | None = None,
) -> Scored:  # fmt: skip
    """Answer every row of `X`: insufficient history, the model, or the rule fallback."""
    n = len(ids)
    enough = X[:, FEATURE_INDEX["periods_evaluated"]] >= MIN_EVALUATED_PERIODS
    probability, flagged = np.full(n, np.nan), np.zeros(n, dtype=bool)
    drivers: list[list[dict[str, Any]] | None] = [[] for _ in range(n)]
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


def _drivers_json(drivers: list[dict[str, Any]] | None) -> str:
    """Drivers as JSON text; `null` marks a row whose drivers were not computed."""
    if drivers is None:
        return "null"
    return json.dumps(drivers, ensure_ascii=False) if drivers else "[]"


def _records(scored: Scored, period: str, now: datetime) -> list[tuple[Any, ...]]:
    """`_COLUMNS` tuples of every answer (probability and threshold only where status ok)."""
    ok = scored.status == "ok"
    threshold = scored.threshold
    return [
        (
            int(e),
            period,
            s,
            float(p) if k else None,
            bool(f),
            threshold if k else None,
            _drivers_json(d),
            RISK_MODEL_NAME,
            scored.model_version,
            scored.fallback,
            now,
        )  # fmt: skip
        for e, s, p, f, d, k in zip(
            scored.employee_ids.tolist(),
            scored.status.tolist(),
            scored.probability.tolist(),
            scored.flagged.tolist(),
            scored.drivers,
            ok.tolist(),
            strict=True,
        )  # fmt: skip
    ]


def write_scores(
    connection: Connection, period: str, first_id: int, last_id: int, rows: list[tuple[Any, ...]]
) -> None:
    """Replace the period's scores of employees `first_id..last_id` with `rows` (`_COLUMNS`).

    PostgreSQL gets one COPY; SQLite one executemany of plain tuples (drivers already JSON
    text, the time in SQLAlchemy's own storage format), so no per-row object is built.
    """
    table = RiskScore.__table__
    chunk = table.c.employee_id.between(first_id, last_id)
    connection.execute(delete(table).where(table.c.period == period, chunk))
    if not rows:
        return
    driver = connection.connection.driver_connection
    if connection.dialect.name == "postgresql":
        statement = f"COPY risk_scores ({', '.join(_COLUMNS)}) FROM STDIN"
        with driver.cursor() as cursor, cursor.copy(statement) as copy:
            for row in rows:
                copy.write_row(row)
        return
    stamp = table.c.scored_at.type.bind_processor(connection.dialect)
    when = stamp(rows[0][-1]) if stamp else rows[0][-1]
    marks = ", ".join("?" * len(_COLUMNS))
    cursor = driver.cursor()
    cursor.executemany(
        f"INSERT INTO risk_scores ({', '.join(_COLUMNS)}) VALUES ({marks})",
        [(*row[:-1], when) for row in rows],
    )


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
) -> ScoreSummary:
    """Score every employee for the latest evaluated period; replace that period's scores.

    `threads` caps the trees' OpenMP threads (None: all cores); `workers` > 1 scores the
    chunks in that many processes (`training.score_workers`), one chunk in memory each.
    """
    began = time.perf_counter()
    model = ModelSource(RISK_MODEL_NAME, tracking_uri, models_dir, refresh_seconds=0).current()
    import sklearn.ensemble._hist_gradient_boosting.predictor  # noqa: F401 - OpenMP loaded

    engine = make_engine(database_url)
    try:
        job = plan_job(engine, model, explain)
        summary = ScoreSummary(
            job.period, 0, 0, 0, model.version if model else None, model is None
        )
        ranges = list(employee_chunks(engine, chunk_size))
        with threadpool_limits(limits=threads, user_api="openmp"):
            if workers > 1:
                from training.score_workers import score_in_workers

                clock = Clock(summary.stages, summary.stage_cpu)
                counts = score_in_workers(database_url, job, ranges, workers, threads, clock)
            else:
                clock = Clock(summary.stages, summary.stage_cpu)
                counts = (score_range(engine, job, first, last, clock) for first, last in ranges)
            for employees, scored, flagged in counts:
                summary.employees += employees
                summary.scored += scored
                summary.flagged += flagged
                if on_rows is not None:
                    on_rows(employees)
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


def plan_job(engine: Engine, model: LoadedModel | None, explain: str) -> Job:
    """The latest evaluated period and everything a chunk of it is scored with."""
    axis = read_axis(engine)
    period = axis.code(axis.length - 1)
    table = _rule_table(engine, period) if model is None else {}
    return Job(period, serving_axis(period), model, table, explain)


def read_range(engine: Engine, first_id: int, last_id: int, axis: PeriodAxis) -> Columns:
    """The stored history of employees `first_id..last_id` that the features of `axis` read.

    Evaluations and realisations come coded (numbers, not text: `range_histories`).
    """
    with Session(engine) as session:
        since = history_start(axis)
        return range_histories(session, first_id, last_id, axis.codes(), since, coded=True)


def range_features(columns: Columns, axis: PeriodAxis) -> tuple[np.ndarray, np.ndarray]:
    """Employee ids (sorted) and their feature rows as of the end of `axis`."""
    panel = build_panel(axis, **columns)
    return panel.employee_ids, features_at(panel, axis.length - 1)


def score_range(
    engine: Engine, job: Job, first_id: int, last_id: int, clock: Clock
) -> tuple[int, int, int]:
    """Read, score and store employees `first_id..last_id`: (employees, scored, flagged)."""
    axis = job.axis
    columns = clock("read", read_range, engine, first_id, last_id, axis)
    ids, X = clock("features", range_features, columns, axis)
    del columns
    scored = score_chunk(ids, X, job.period, job.model, job.table, job.explain, clock)
    rows = _records(scored, job.period, datetime.now(UTC))
    with engine.begin() as connection:
        clock("write", write_scores, connection, job.period, first_id, last_id, rows)
    return len(rows), int((scored.status == "ok").sum()), int(scored.flagged.sum())


__all__ = ["FEATURE_NAMES", "ScoreSummary", "score_all", "score_matrix", "write_scores"]
