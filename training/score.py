"""Batch scoring: every employee's risk for the latest period into `risk_scores`, in chunks.

Memory holds one chunk of history (default 50,000 employees) at a time. Drivers are computed
for flagged employees by default (they are the ones a supervisor reads about); `--drivers all`
explains everyone at about 30 times the prediction cost.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import Engine
from threadpoolctl import threadpool_limits

from service.db import make_database
from service.db import session_scope
from service.db.repositories import risk as repo
from service.features import FEATURE_NAMES
from service.features import features_at
from service.features import panel_from_histories
from service.features import serving_axis
from service.features.catalogue import FEATURE_INDEX
from service.features.catalogue import MIN_EVALUATED_PERIODS
from service.serving.fallback import PRIOR_TABLE
from service.serving.fallback import fallback_answer
from service.serving.fallback import table_from_transitions
from service.serving.loader import LoadedModel
from service.serving.loader import ModelSource
from service.serving.predictor import RISK_MODEL_NAME
from service.serving.predictor import top_drivers
from training.extract import DEFAULT_CHUNK
from training.extract import employee_chunks
from training.extract import read_axis
from training.extract import read_histories


@dataclass
class ScoreSummary:
    """What one scoring run wrote."""

    period: str
    employees: int
    scored: int
    flagged: int
    model_version: str | None
    fallback: bool
    seconds: float = 0.0


def contributions(pipeline: Any, X: np.ndarray) -> np.ndarray:
    """(rows, features) drop in probability when each feature takes its typical value."""
    reference = pipeline.named_steps["features"].reference_values_
    base = pipeline.predict_proba(X)[:, 1]
    out = np.empty_like(X)
    for j in range(X.shape[1]):
        changed = X.copy()
        changed[:, j] = reference[j]
        out[:, j] = base - pipeline.predict_proba(changed)[:, 1]
    return out


def score_matrix(
    model: LoadedModel, X: np.ndarray, explain: str = "flagged"
) -> tuple[np.ndarray, np.ndarray, list[list[dict[str, Any]]]]:
    """Probability, flag and drivers for each row of the feature matrix `X`."""
    probability = model.pipeline.predict_proba(X)[:, 1]
    flagged = probability >= model.threshold
    chosen = np.flatnonzero(flagged if explain == "flagged" else np.ones(len(X), bool))
    drivers: list[list[dict[str, Any]]] = [[] for _ in range(len(X))]
    if len(chosen):
        effect = contributions(model.pipeline, X[chosen])
        for row, i in enumerate(chosen):
            drivers[i] = top_drivers(X[i], effect[row])
    return probability, flagged, drivers


def _records(
    ids: np.ndarray, X: np.ndarray, period: str, model: LoadedModel | None,
    table: dict[str, float], explain: str,
) -> list[dict[str, Any]]:  # fmt: skip
    now = datetime.now(UTC)
    enough = X[:, FEATURE_INDEX["periods_evaluated"]] >= MIN_EVALUATED_PERIODS
    rows = [_insufficient(int(e), period, model, now) for e in ids[~enough]]
    X, ids = X[enough], ids[enough]
    if model is None:
        answers = [fallback_answer(int(e), period, x, table) for e, x in zip(ids, X, strict=True)]
        return rows + [_from_answer(a, now) for a in answers]
    probability, flagged, drivers = score_matrix(model, X, explain)
    base = {
        "period": period,
        "status": "ok",
        "threshold": model.threshold,
        "scored_at": now,
        "model_name": model.name,
        "model_version": model.version,
        "fallback": False,
    }
    return rows + [
        {**base, "employee_id": int(e), "probability": float(p), "flagged": bool(f), "drivers": d}
        for e, p, f, d in zip(ids, probability, flagged, drivers, strict=True)
    ]


def _insufficient(
    employee_id: int, period: str, model: LoadedModel | None, now: datetime
) -> dict[str, Any]:
    return {
        "employee_id": employee_id, "period": period, "status": "insufficient_data",
        "probability": None, "flagged": False, "threshold": None, "drivers": [],
        "model_name": RISK_MODEL_NAME, "model_version": model.version if model else None,
        "fallback": model is None, "scored_at": now,
    }  # fmt: skip


def _from_answer(answer: dict[str, Any], now: datetime) -> dict[str, Any]:
    return {
        "employee_id": answer["employee_id"], "period": answer["as_of_period"],
        "status": answer["status"], "probability": answer["probability"],
        "flagged": answer["flagged"], "threshold": answer["threshold"],
        "drivers": answer["drivers"], "model_name": RISK_MODEL_NAME, "model_version": None,
        "fallback": True, "scored_at": now,
    }  # fmt: skip


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
    chunk_size: int = DEFAULT_CHUNK,
    explain: str = "flagged",
    on_rows: Callable[[int], None] | None = None,
    threads: int | None = None,
) -> ScoreSummary:
    """Score every employee for the latest evaluated period; replace that period's scores.

    `threads` caps the trees' OpenMP threads (None: all cores).
    """
    import time

    began = time.perf_counter()
    model = ModelSource(RISK_MODEL_NAME, tracking_uri, models_dir, refresh_seconds=0).current()
    import sklearn.ensemble._hist_gradient_boosting.predictor  # noqa: F401 - OpenMP loaded

    limits = threadpool_limits(limits=threads, user_api="openmp")
    database = make_database(database_url)
    period = read_axis(database.engine).code(read_axis(database.engine).length - 1)
    axis = serving_axis(period)
    since = axis.codes()
    table = _rule_table(database.engine, period) if model is None else {}
    summary = ScoreSummary(period, 0, 0, 0, model.version if model else None, model is None)
    first_day = serving_axis(period)
    for first_id, last_id in employee_chunks(database.engine, chunk_size):
        start = datetime(first_day.first // first_day.per_year - 1, 1, 1).date()
        histories = read_histories(database.engine, first_id, last_id, start, since, since)
        panel = panel_from_histories(histories, axis)
        X = features_at(panel, axis.length - 1)
        records = _records(panel.employee_ids, X, period, model, table, explain)
        with session_scope(database) as session:
            repo.replace_risk_scores(session, period, records)
        summary.employees += len(records)
        summary.scored += sum(r["status"] == "ok" for r in records)
        summary.flagged += sum(bool(r["flagged"]) for r in records)
        if on_rows is not None:
            on_rows(len(records))
    database.engine.dispose()
    limits.restore_original_limits()
    summary.seconds = time.perf_counter() - began
    return summary


__all__ = ["FEATURE_NAMES", "ScoreSummary", "score_all", "score_matrix"]
