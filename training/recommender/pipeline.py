"""extract -> train -> evaluate -> register/promote -> export for `kinerja-recommender`.

One MLflow run (experiment `kinerja-recommender`) logs the parameters, the data window,
cutoff and snapshot id, the held-out metrics beside the baselines and the oracle, the learned
effects with the measured outcomes (and the true effects, on generated data), and the gate
decision. `run_recommender_training` is the step the training pipeline calls.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import field
from datetime import date
from pathlib import Path
from typing import Any

import mlflow
import pandas as pd
from mlflow import MlflowClient

from service.db import make_engine
from service.domain.program_effects import GapClosureModel
from service.domain.program_outcomes import measure_outcomes
from service.domain.ranking import GainModel
from training.config import RECOMMENDER_MODEL_NAME
from training.pipeline import experiment_id
from training.pipeline import promotion_lock
from training.recommender.extract import HOLDOUT_SHARE
from training.recommender.extract import History
from training.recommender.extract import Truth
from training.recommender.extract import choose_cutoff
from training.recommender.extract import heldout_profiles
from training.recommender.extract import read_history
from training.recommender.extract import read_truth
from training.recommender.extract import snapshot_id
from training.recommender.extract import training_episodes
from training.recommender.model import DEFAULT_PARAMS
from training.recommender.model import fit_model
from training.recommender.register import Decision
from training.recommender.register import champion_check
from training.recommender.register import decide
from training.recommender.register import ensure_registered
from training.recommender.register import log_candidate
from training.recommender.register import version_tags
from training.recommender.report import Report
from training.recommender.report import evaluate_model
from training.recommender.report import ranking_score
from training.register import export_champion
from training.register import promote
from training.register import register

EXPERIMENT = "kinerja-recommender"
#: Held-out employees scored against the truth (a seeded sample above this).
EVAL_LIMIT = 5_000
OnStep = Callable[[str], None]


@dataclass
class RecommenderSummary:
    """What one recommender run produced and decided."""

    run_id: str
    version: str | None
    promoted: bool
    reasons: list[str]
    metrics: dict[str, float]
    cutoff: date
    snapshot: str
    exported: Path | None = None
    effects: pd.DataFrame = field(default_factory=pd.DataFrame)


def _noop(_step: str) -> None:
    return None


def run_recommender_training(
    database_url: str,
    tracking_uri: str,
    models_dir: str | Path,
    params: dict[str, Any] | None = None,
    *,
    holdout_share: float = HOLDOUT_SHARE,
    eval_limit: int = EVAL_LIMIT,
    seed: int = 0,
    on_step: OnStep = _noop,
) -> RecommenderSummary:
    """Train, evaluate, register and (through the gates) promote the recommender once."""
    settings = {**DEFAULT_PARAMS, **(params or {})}
    engine = make_engine(database_url)
    try:
        on_step("extract")
        history = read_history(engine)
        cutoff = choose_cutoff(history, holdout_share)
        profiles = heldout_profiles(engine, history, cutoff, eval_limit, seed)
        truth = read_truth(engine)
    finally:
        engine.dispose()
    on_step("train")
    episodes = training_episodes(history, cutoff)
    model = fit_model(episodes, history.links, settings)
    prior = fit_model(episodes.iloc[:0], history.links, settings)
    on_step("evaluate")
    report = evaluate_model(model, prior, history, cutoff, profiles, truth)
    effects = effects_table(model, episodes, history, truth)
    mlflow.set_tracking_uri(tracking_uri)
    mlflow.set_registry_uri(tracking_uri)
    with mlflow.start_run(experiment_id=experiment_id(tracking_uri, EXPERIMENT)) as active:
        _log_run(settings, history, cutoff, holdout_share, report, effects)
        on_step("register")
        with promotion_lock(models_dir, RECOMMENDER_MODEL_NAME, database_url):
            version, decision = _register(active.info.run_id, model, report, history)
            on_step("export")
            client = MlflowClient(tracking_uri)
            exported = export_champion(client, RECOMMENDER_MODEL_NAME, models_dir)
    return RecommenderSummary(
        active.info.run_id,
        version,
        decision.promote,
        decision.reasons,
        report.metrics,
        cutoff,
        snapshot_id(history),
        exported,
        effects,
    )


def effects_table(
    model: GapClosureModel, episodes: pd.DataFrame, history: History, truth: Truth | None
) -> pd.DataFrame:
    """Join the learned effects, the measured outcomes (with CI) and, if known, the truth."""
    measured = measure_outcomes(episodes, history.links).rename(
        columns={"effect": "measured_effect"}
    )
    frame = model.effects_frame().merge(measured, on=["training_code", "competency_code"])
    if truth is not None:
        keys = frame["training_code"] + "|" + frame["competency_code"]
        frame["true_effect"] = keys.map(truth.effects)
    return frame


def _log_run(
    settings: dict[str, Any],
    history: History,
    cutoff: date,
    holdout_share: float,
    report: Report,
    effects: pd.DataFrame,
) -> None:
    mlflow.log_params({f"model.{k}": v for k, v in settings.items()})
    start, end = history.window
    mlflow.log_params(
        {
            "data.window_start": start,
            "data.window_end": end,
            "data.snapshot_id": snapshot_id(history),
            "data.episodes": len(history.episodes),
            "split.cutoff": cutoff.isoformat(),
            "split.holdout_share": holdout_share,
            "truth": report.truth is not None,
        }
    )
    mlflow.log_metrics({k: v for k, v in report.metrics.items() if pd.notna(v)})
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "program_effects.csv"
        effects.to_csv(path, index=False)
        mlflow.log_artifact(str(path), "tables")


def _register(
    run_id: str, model: GapClosureModel, report: Report, history: History
) -> tuple[str, Decision]:
    client = MlflowClient()
    uri, sha = log_candidate(model)
    ensure_registered(client, RECOMMENDER_MODEL_NAME)

    def score(gains: GainModel) -> float:
        return ranking_score(gains, report, history)

    champion = champion_check(client, RECOMMENDER_MODEL_NAME, score)
    decision = decide(score(model), report.metrics, champion)
    tags = {**version_tags(sha, report.metrics), "promoted": str(decision.promote)}
    version = register(client, RECOMMENDER_MODEL_NAME, uri, run_id, tags)
    if decision.promote:
        promote(client, RECOMMENDER_MODEL_NAME, version, champion.champion_version)
    mlflow.log_param("promoted", decision.promote)
    mlflow.log_text("\n".join(decision.reasons), "decision.txt")
    client.set_model_version_tag(
        RECOMMENDER_MODEL_NAME, version, "decision", "; ".join(decision.reasons)
    )
    return version, decision
