"""extract -> train -> evaluate -> register/promote -> export, inside one MLflow run.

Each step lives in its own module and runs alone; this module only orchestrates and logs:
parameters, data window and snapshot id, held-out metrics beside the baselines and the oracle,
fairness by group, calibration and curves, feature importances, drift, the model card, and
the promotion decision.
"""

from __future__ import annotations

import fcntl
import tempfile
from collections.abc import Callable
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path
from typing import Any

import mlflow
import pandas as pd
from mlflow import MlflowClient
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool
from threadpoolctl import threadpool_limits

from service.db import make_engine
from service.domain.errors import DomainError
from service.domain.feedback360_results import DEFAULT_MIN_GROUP_ANSWERS
from service.features.signals import group_minimum
from service.features.stored_rows import feature_set_id
from training.card import model_card
from training.compare import compare_signals
from training.config import RISK_MODEL_NAME
from training.drift import drift_table
from training.evaluate import Report
from training.evaluate import evaluate
from training.evaluate import save_figures
from training.extract import DEFAULT_CHUNK
from training.extract import Extract
from training.extract import extract
from training.extract import read_truth
from training.extract import snapshot_id
from training.register import DEFAULT_GATES
from training.register import Decision
from training.register import Gates
from training.register import champion_score
from training.register import decide
from training.register import export_champion
from training.register import log_candidate
from training.register import promote
from training.register import register
from training.register import version_tags
from training.sampling import SamplePlan
from training.sampling import compare_for
from training.train import DEFAULT_PARAMS
from training.train import PeriodSplit
from training.train import build_pipeline
from training.train import fit_baselines
from training.train import fit_pipeline
from training.train import shuffled_labels
from training.train import split_periods

EXPERIMENT = "kinerja-risk"
STEPS = ("extract", "train", "evaluate", "register", "export")
OnStep = Callable[[str], None]


@dataclass
class TrainSummary:
    """What one pipeline run produced and decided."""

    run_id: str
    version: str | None
    promoted: bool
    reasons: list[str]
    metrics: dict[str, float]
    split: PeriodSplit
    snapshot: str
    exported: Path | None = None
    employees: str = ""
    drift: pd.DataFrame = field(default_factory=pd.DataFrame)


class NotEnoughData(DomainError, ValueError):
    """The database holds too little history to train on (the CLI prints it, no traceback).

    Still a ValueError, as the errors it wraps were, for callers that catch those.
    """

    status = 409
    title = "Not enough data to train"


def experiment_id(tracking_uri: str, name: str = EXPERIMENT) -> str:
    """Get or create the experiment; with a SQLite store, artefacts go beside the database."""
    client = MlflowClient(tracking_uri)
    found = client.get_experiment_by_name(name)
    if found is not None:
        return found.experiment_id
    location = None
    if tracking_uri.startswith("sqlite"):
        database = Path(make_url(tracking_uri).database or ".").resolve()
        location = (database.parent / "mlartifacts").as_uri()
    return client.create_experiment(name, artifact_location=location)


#: pg_advisory_lock keys of the promotion sections, one fixed key per registered model
#: (any 64-bit number no other code of ours locks; these spell "KNRJ" and the model).
ADVISORY_LOCK_KEYS = {
    "kinerja-risk": 0x4B4E524A_00000001,
    "kinerja-recommender": 0x4B4E524A_00000002,
}


@contextmanager
def promotion_lock(
    models_dir: str | Path, name: str, database_url: str | None = None
) -> Iterator[None]:
    """Hold `name`'s promotion lock: one run at a time compares, promotes and exports.

    Two retrains at once (a requested job while the scheduled one runs) would otherwise
    both be compared with the same champion and both set `previous` to it. The lock is a
    file lock beside the export, so it holds for every process of this host that exports
    to the same KINERJA_MODELS_DIR; when `database_url` (the application database) is
    PostgreSQL, a PostgreSQL advisory lock on it is held as well, so retrains on several
    hosts sharing that database promote one after the other too. Training itself still
    runs in parallel.
    """
    directory = Path(models_dir)
    directory.mkdir(parents=True, exist_ok=True)
    with (directory / f".{name}.promote.lock").open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            with _advisory_lock(database_url, ADVISORY_LOCK_KEYS[name]):
                yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@contextmanager
def _advisory_lock(database_url: str | None, key: int) -> Iterator[None]:
    """Hold `pg_advisory_lock(key)` on a connection of its own (PostgreSQL only).

    The connection is in autocommit mode, so it is never idle in a transaction while the
    section runs; the lock is released by `pg_advisory_unlock`, and by the server if the
    process dies. On any other database this does nothing (the file lock covers one host).
    """
    if database_url is None or make_url(database_url).get_backend_name() != "postgresql":
        yield
        return
    engine = make_engine(database_url, poolclass=NullPool)
    try:
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(select(func.pg_advisory_lock(key)))
            try:
                yield
            finally:
                connection.execute(select(func.pg_advisory_unlock(key)))
    finally:
        engine.dispose()


def _noop(_step: str) -> None:
    return None


def run(
    database_url: str,
    tracking_uri: str,
    models_dir: str | Path,
    params: dict[str, Any] | None = None,
    *,
    chunk_size: int = DEFAULT_CHUNK,
    on_step: OnStep = _noop,
    on_rows: Callable[[int], None] | None = None,
    shuffle_labels: bool = False,
    threads: int | None = None,
    gates: Gates = DEFAULT_GATES,
    compare: bool | None = None,
    sample: SamplePlan = SamplePlan(),  # noqa: B008 (frozen, so one shared default is safe)
    min_group_answers: int = DEFAULT_MIN_GROUP_ANSWERS,
) -> TrainSummary:
    """Run the whole pipeline once and return its summary.

    `shuffle_labels` permutes the training labels within each period (a deliberately bad
    candidate, used to show that the gates refuse it); held-out labels stay true. `threads`
    caps OpenMP threads of the trees (1 avoids spin-waiting on a busy machine). `sample`
    bounds the employees read and trained on (`training.sampling`; default: at most
    200,000, a deterministic hash sample above that); the held-out rows, on which the
    champion is scored too, are the sampled employees' latest labelled period. `compare`
    also fits the model without the continuous-performance signals and logs the difference
    (`training/compare.py`; it doubles the tree fitting time): None decides by size (on up
    to 30,000 sampled employees). `min_group_answers` is the configured 360 anonymity
    threshold (KINERJA_FEEDBACK_MIN_GROUP_ANSWERS) the features apply, as served.
    """
    with threadpool_limits(limits=threads, user_api="openmp"):
        return _run(
            database_url, tracking_uri, models_dir, params, chunk_size, on_step, on_rows,
            shuffle_labels, gates, compare, sample, min_group_answers,
        )  # fmt: skip


def _run(
    database_url: str,
    tracking_uri: str,
    models_dir: str | Path,
    params: dict[str, Any] | None,
    chunk_size: int,
    on_step: OnStep,
    on_rows: Callable[[int], None] | None,
    shuffle_labels: bool,
    gates: Gates,
    compare: bool | None,
    sample: SamplePlan,
    min_group_answers: int,
) -> TrainSummary:
    settings = {**DEFAULT_PARAMS, **(params or {})}
    engine = make_engine(database_url)
    try:
        on_step("extract")
        try:
            data = extract(engine, chunk_size, on_rows, sample, min_group_answers)
            split = split_periods(data.rows)
        except ValueError as exc:  # no evaluations, or too few labelled periods
            raise NotEnoughData(f"cannot train kinerja-risk: {exc}") from exc
        test = data.rows[data.rows["period"] == split.test].reset_index(drop=True)
        truth = read_truth(engine, split.test, test["employee_id"].to_numpy())
    finally:
        engine.dispose()
    on_step("train")
    fitting = shuffled_labels(data.rows) if shuffle_labels else data.rows
    model = fit_pipeline(build_pipeline(settings), fitting, split)
    rule_table, logreg = fit_baselines(fitting, split)
    on_step("evaluate")
    report = evaluate(model, rule_table, logreg, test, truth)
    compare = compare_for(compare, data.sample)
    compared = compare_signals(settings, fitting, test, split, report.metrics) if compare else None
    training_rows = data.rows[data.rows["period"] != split.test]
    drift = drift_table(training_rows, data.latest) if len(data.latest) else pd.DataFrame()
    mlflow.set_tracking_uri(tracking_uri)
    mlflow.set_registry_uri(tracking_uri)
    with (
        mlflow.start_run(experiment_id=experiment_id(tracking_uri)) as active,
        promotion_lock(models_dir, RISK_MODEL_NAME, database_url),
    ):
        summary = _log_and_promote(
            active.info.run_id, data, split, settings, model, rule_table, report, test, gates,
            on_step,
        )  # fmt: skip
        summary.drift = drift
        if compared is not None:
            mlflow.log_metrics(compared[0])
            mlflow.log_text(compared[1].to_csv(index=False), "tables/signals_comparison.csv")
            summary.metrics.update(compared[0])
        _log_drift(drift)
        mlflow.log_params({"shuffled_labels": shuffle_labels, "compare_signals": compare})
        mlflow.log_params(feature_params(min_group_answers))
        on_step("export")
        summary.exported = export_champion(MlflowClient(tracking_uri), RISK_MODEL_NAME, models_dir)
    return summary


def feature_params(min_group_answers: int) -> dict[str, Any]:
    """What the features were computed with: the 360 minimum they applied (`group_minimum`:
    the configured one, never below 3) and the feature set id that includes it
    (`feature_set_id`, as `kinerja score` stores with each feature row)."""
    return {
        "data.min_group_answers": group_minimum(min_group_answers),
        "data.feature_set": feature_set_id(min_group_answers),
    }


def _log_and_promote(
    run_id: str,
    data: Extract,
    split: PeriodSplit,
    settings: dict[str, Any],
    model: Any,
    rule_table: dict[str, float],
    report: Report,
    test: pd.DataFrame,
    gates: Gates,
    on_step: OnStep,
) -> TrainSummary:
    snapshot = snapshot_id(data.rows)
    mlflow.log_params({f"model.{k}": v for k, v in settings.items()})
    mlflow.log_params(
        {
            "data.window_start": data.window[0],
            "data.window_end": data.window[1],
            "data.snapshot_id": snapshot,
            "data.rows": len(data.rows),
            "split.train": ",".join(split.train),
            "split.calibration": split.calibration,
            "split.test": split.test,
            **data.sample.params(),
        }
    )
    mlflow.log_metrics(report.metrics)
    _log_tables(report)
    on_step("register")
    client = MlflowClient()
    uri, sha = log_candidate(model)
    champion = champion_score(client, RISK_MODEL_NAME, test)
    decision = decide(report.metrics, champion, gates)
    mlflow.log_params(
        {
            "gate.max_ece": gates.max_ece,
            "gate.max_tpr_gap": gates.max_tpr_gap,
            "gate.unmeasured_fairness": gates.unmeasured_fairness,
        }
    )
    tags = version_tags(sha, rule_table, report.metrics, report.bands)
    tags["promoted"] = str(decision.promote)
    version = register(client, RISK_MODEL_NAME, uri, run_id, tags)
    if decision.promote:
        promote(client, RISK_MODEL_NAME, version, champion.champion_version)
    _log_decision(client, version, decision)
    context = {
        "window": data.window,
        "split": split,
        "snapshot": snapshot,
        "rows": len(data.rows),
        "employees": data.sample.describe(),
    }
    card = model_card(
        RISK_MODEL_NAME,
        version,
        context,
        report.metrics,
        report.fairness,
        report.importance,
        decision.reasons,
        report.bands,
    )
    mlflow.log_text(card, "model_card.md")
    return TrainSummary(
        run_id, version, decision.promote, decision.reasons, report.metrics, split, snapshot,
        employees=context["employees"],
    )  # fmt: skip


def _log_tables(report: Report) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        for path in save_figures(report, directory):
            mlflow.log_artifact(str(path), "plots")
        for name, frame in (
            ("fairness.csv", report.fairness),
            ("feature_importance.csv", report.importance),
            ("reliability.csv", report.reliability),
        ):
            frame.to_csv(directory / name, index=False)
            mlflow.log_artifact(str(directory / name), "tables")


def _log_drift(drift: pd.DataFrame) -> None:
    if drift.empty:
        return
    mlflow.log_metrics({f"psi.{row.feature}": float(row.psi) for row in drift.itertuples()})
    mlflow.log_metric("psi_max", float(drift["psi"].max()))
    mlflow.log_text(drift.to_csv(index=False), "tables/drift.csv")


def _log_decision(client: MlflowClient, version: str, decision: Decision) -> None:
    mlflow.log_param("promoted", decision.promote)
    mlflow.log_text("\n".join(decision.reasons), "decision.txt")
    client.set_model_version_tag(RISK_MODEL_NAME, version, "decision", "; ".join(decision.reasons))
