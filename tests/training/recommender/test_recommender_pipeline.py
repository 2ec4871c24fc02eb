"""The recommender's training step on generated data: quality against the truth, registry, gates.

Both tests seed the same small data set once (SQLite) and are slow (seeding, MLflow).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from mlflow import MlflowClient

from service.serving.loader import CHECKSUM_FILE
from service.serving.loader import METADATA_FILE
from service.serving.loader import MODEL_FILE
from service.serving.loader import sha256_of
from tests.training.test_synthetic_support import seed_sqlite
from training.config import RECOMMENDER_MODEL_NAME
from training.recommender.extract import choose_cutoff
from training.recommender.extract import heldout_profiles
from training.recommender.extract import read_history
from training.recommender.extract import read_truth
from training.recommender.extract import training_episodes
from training.recommender.model import fit_model
from training.recommender.pipeline import run_recommender_training
from training.recommender.report import evaluate_model

API_METRICS = (
    "ndcg_at_5",
    "precision_at_5",
    "baseline_popularity_ndcg_at_5",
    "baseline_rule_ndcg_at_5",
    "gap_closure_at_3",
    "oracle_gap_closure_at_3",
)


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> str:
    """A generated agency of 800 employees over eight quarters; returns its database URL."""
    directory = tmp_path_factory.mktemp("recommender")
    engine, _ = seed_sqlite(directory, sqlite_template, employees=800, seed=5, quarters=8)
    url = str(engine.url)
    engine.dispose()
    return url


@pytest.mark.slow
def test_the_model_beats_both_baselines_and_nears_the_oracle(seeded: str) -> None:
    from service.db import make_engine

    engine = make_engine(seeded)
    history = read_history(engine)
    cutoff = choose_cutoff(history)
    profiles = heldout_profiles(engine, history, cutoff, limit=2_000, seed=0)
    truth = read_truth(engine)
    engine.dispose()
    episodes = training_episodes(history, cutoff)
    assert episodes["next_assessed_on"].max().date() <= cutoff

    model = fit_model(episodes, history.links)
    prior = fit_model(episodes.iloc[:0], history.links)
    metrics = evaluate_model(model, prior, history, cutoff, profiles, truth).metrics

    better = max(metrics["baseline_rule_ndcg_at_5"], metrics["baseline_popularity_ndcg_at_5"])
    assert metrics["ndcg_at_5"] >= 1.1 * better
    assert metrics["gap_closure_at_3"] >= 0.8 * metrics["oracle_gap_closure_at_3"]
    assert metrics["n_eval_employees"] >= 100
    # the same ranking with the true effects: what better effect estimates could still win
    assert metrics["gap_closure_at_3"] <= metrics["known_effects_gap_closure_at_3"] + 0.05


@pytest.mark.slow
def test_a_run_logs_the_metrics_registers_promotes_and_exports(
    seeded: str, tmp_path: Path
) -> None:
    tracking = f"sqlite:///{tmp_path / 'mlflow.db'}"
    steps: list[str] = []

    summary = run_recommender_training(seeded, tracking, tmp_path / "models", on_step=steps.append)

    assert steps == ["extract", "train", "evaluate", "register", "export"]
    assert summary.promoted and summary.version == "1"
    client = MlflowClient(tracking)
    logged = client.get_run(summary.run_id).data.metrics
    assert {*API_METRICS, "known_effects_gap_closure_at_3"} <= set(logged)
    champion = client.get_model_version_by_alias(RECOMMENDER_MODEL_NAME, "champion")
    assert str(champion.version) == "1"
    exported = tmp_path / "models" / RECOMMENDER_MODEL_NAME
    recorded = (exported / CHECKSUM_FILE).read_text().split()[0]
    assert recorded == sha256_of(exported / MODEL_FILE) == champion.tags["sha256"]
    assert json.loads((exported / METADATA_FILE).read_text())["version"] == "1"
    assert {"true_effect", "measured_effect", "ci_low"} <= set(summary.effects.columns)


@pytest.mark.slow
def test_a_worse_candidate_is_registered_but_not_promoted(seeded: str, tmp_path: Path) -> None:
    tracking = f"sqlite:///{tmp_path / 'mlflow.db'}"
    first = run_recommender_training(seeded, tracking, tmp_path / "models")

    # An enormous ridge weight ignores every outcome: the content prior, a worse ranking.
    second = run_recommender_training(
        seeded, tracking, tmp_path / "models", params={"prior_strength": 1e9}
    )

    assert first.promoted and not second.promoted
    assert any("worse than champion v1" in reason for reason in second.reasons)
    champion = MlflowClient(tracking).get_model_version_by_alias(
        RECOMMENDER_MODEL_NAME, "champion"
    )
    assert str(champion.version) == "1"
