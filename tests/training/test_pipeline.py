"""The MLflow pipeline on a few hundred generated employees: registered, promoted, exported,
and a worse candidate refused."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from mlflow import MlflowClient

from service.config import ConfigError
from service.serving.loader import CHECKSUM_FILE
from service.serving.loader import METADATA_FILE
from service.serving.loader import MODEL_FILE
from service.serving.loader import sha256_of
from training.pipeline import run
from training.register import Decision
from training.register import Gates
from training.register import decide
from training.register import gates_from
from training.sample import SAMPLE_GATES
from training.sample import Sample

NAME = "kinerja-risk"
METRICS = (
    "roc_auc",
    "pr_auc",
    "brier",
    "ece",
    "baseline_rule_roc_auc",
    "baseline_logreg_roc_auc",
    "oracle_roc_auc",
    "fairness_max_tpr_gap",
)


def test_run_logs_the_api_metrics_and_the_oracle_beats_the_rule(risk_sample: Sample) -> None:
    assert set(METRICS) <= set(risk_sample.metrics)
    assert risk_sample.metrics["oracle_roc_auc"] > risk_sample.metrics["baseline_rule_roc_auc"]
    assert risk_sample.metrics["roc_auc"] > 0.6


def test_run_compares_the_model_with_and_without_the_continuous_signals(
    risk_sample: Sample,
) -> None:
    metrics = risk_sample.metrics
    for name in ("roc_auc", "pr_auc", "brier", "ece"):
        without = metrics[f"without_signals.{name}"]
        assert 0 <= without <= 1
        assert metrics[f"signals_gain.{name}"] == pytest.approx(metrics[name] - without)


def test_first_version_is_champion_and_exported_with_its_checksum(risk_sample: Sample) -> None:
    client = MlflowClient(risk_sample.tracking_uri, risk_sample.tracking_uri)
    champion = client.get_model_version_by_alias(NAME, "champion")
    assert str(champion.version) == risk_sample.version and risk_sample.promoted
    exported = Path(risk_sample.models_dir) / NAME
    recorded = (exported / CHECKSUM_FILE).read_text().split()[0]
    assert recorded == sha256_of(exported / MODEL_FILE) == champion.tags["sha256"]
    metadata = json.loads((exported / METADATA_FILE).read_text())
    assert metadata["version"] == risk_sample.version
    assert 0 < metadata["rule_table"]["*"] < 1


def test_run_logs_plots_tables_card_and_snapshot(risk_sample: Sample) -> None:
    client = MlflowClient(risk_sample.tracking_uri, risk_sample.tracking_uri)
    run_id = client.get_model_version(NAME, risk_sample.version).run_id
    paths = {a.path for a in client.list_artifacts(run_id, "plots")}
    assert paths == {"plots/roc.png", "plots/pr.png", "plots/reliability.png"}
    tables = {a.path for a in client.list_artifacts(run_id, "tables")}
    assert {"tables/fairness.csv", "tables/feature_importance.csv", "tables/drift.csv"} <= tables
    assert "tables/signals_comparison.csv" in tables
    card = Path(client.download_artifacts(run_id, "model_card.md")).read_text()
    assert f"version {risk_sample.version}" in card
    record = card.split("## How sure an answer is", 1)[1].split("\n## ", 1)[0]
    rows = [line.split(" | ") for line in record.splitlines() if line.startswith("| 0.")]
    assert (
        rows
        and sum(int(row[1]) for row in rows) == client.get_run(run_id).data.metrics["test_rows"]
    )
    params = client.get_run(run_id).data.params
    assert len(params["data.snapshot_id"]) == 16 and params["split.test"] == "2025-Q3"


@pytest.mark.slow
def test_a_worse_candidate_is_registered_but_not_promoted(sample_copy: Sample) -> None:
    summary = run(
        sample_copy.database_url,
        sample_copy.tracking_uri,
        sample_copy.models_dir,
        shuffle_labels=True,
        threads=1,
        gates=SAMPLE_GATES,
    )
    client = MlflowClient(sample_copy.tracking_uri, sample_copy.tracking_uri)
    assert not summary.promoted
    assert summary.version != sample_copy.version
    assert str(client.get_model_version_by_alias(NAME, "champion").version) == sample_copy.version
    assert any("worse than champion" in reason for reason in summary.reasons)
    exported = json.loads((Path(sample_copy.models_dir) / NAME / METADATA_FILE).read_text())
    assert exported["version"] == sample_copy.version


@pytest.mark.slow
def test_a_retrain_on_the_same_data_is_promoted_and_keeps_previous(sample_copy: Sample) -> None:
    summary = run(
        sample_copy.database_url,
        sample_copy.tracking_uri,
        sample_copy.models_dir,
        threads=1,
        gates=SAMPLE_GATES,
    )
    client = MlflowClient(sample_copy.tracking_uri, sample_copy.tracking_uri)
    assert summary.promoted
    assert str(client.get_model_version_by_alias(NAME, "champion").version) == summary.version
    assert str(client.get_model_version_by_alias(NAME, "previous").version) == sample_copy.version


GOOD = {"roc_auc": 0.80, "ece": 0.02, "fairness_max_tpr_gap": 0.05}


@pytest.mark.parametrize(
    ("metrics", "champion_auc", "promote", "reason"),
    [
        (GOOD, None, True, "ece 0.0200 <= 0.05"),
        (GOOD, 0.80, True, "at least as good as"),
        (GOOD, 0.81, False, "worse than champion"),
        ({**GOOD, "ece": 0.06}, None, False, "ece 0.0600 > 0.05"),
        ({**GOOD, "fairness_max_tpr_gap": 0.11}, None, False, "fairness_max_tpr_gap 0.1100 > 0.1"),
        ({**GOOD, "ece": float("nan")}, None, False, "ece nan > 0.05"),
    ],
)
def test_gates(
    metrics: dict[str, float], champion_auc: float | None, promote: bool, reason: str
) -> None:
    decision = decide(metrics, Decision(True, [], champion_auc, "1"), Gates())
    assert decision.promote is promote
    assert any(reason in r for r in decision.reasons)


def test_gates_come_from_the_configuration_and_default_to_the_national_limits() -> None:
    assert gates_from({}) == Gates(max_ece=0.05, max_tpr_gap=0.10)
    assert gates_from({"RISK_GATE_MAX_TPR_GAP": "0.25", "RISK_GATE_MAX_ECE": ""}) == Gates(
        max_ece=0.05, max_tpr_gap=0.25
    )
    for bad in ("0", "1.5", "-0.1", "abc"):
        with pytest.raises(ConfigError, match="RISK_GATE_MAX_ECE"):
            gates_from({"RISK_GATE_MAX_ECE": bad})
