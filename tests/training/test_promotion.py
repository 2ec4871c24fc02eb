"""Promotion edge cases: a champion that cannot be scored, NaN or missing metrics."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from mlflow import MlflowClient

from service.db import make_engine
from service.features import LABEL
from service.serving.loader import METADATA_FILE
from tests.training.at_once import two_at_once
from training.extract import extract
from training.pipeline import run
from training.register import Decision
from training.register import Gates
from training.register import champion_score
from training.register import decide
from training.sample import SAMPLE_GATES
from training.sample import Sample
from training.train import split_periods

NAME = "kinerja-risk"
GOOD = {"roc_auc": 0.80, "ece": 0.02, "fairness_max_tpr_gap": 0.05}


def test_a_candidate_whose_roc_auc_is_nan_is_not_promoted_even_without_a_champion() -> None:
    decision = decide({**GOOD, "roc_auc": float("nan")}, Decision(True), Gates())
    assert decision.promote is False
    assert any("roc_auc nan" in reason for reason in decision.reasons)


@pytest.mark.parametrize("missing", ["roc_auc", "ece", "fairness_max_tpr_gap"])
def test_a_candidate_missing_a_gated_metric_is_not_promoted(missing: str) -> None:
    metrics = {k: v for k, v in GOOD.items() if k != missing}
    decision = decide(metrics, Decision(True, [], 0.5, "1"), Gates())
    assert decision.promote is False
    assert any(f"{missing} missing" in reason for reason in decision.reasons)


def test_the_champion_on_held_out_rows_of_one_class_has_no_auc(risk_sample: Sample) -> None:
    engine = make_engine(risk_sample.database_url)
    try:
        rows = extract(engine).rows
    finally:
        engine.dispose()
    test = rows[rows["period"] == split_periods(rows).test]
    client = MlflowClient(risk_sample.tracking_uri, risk_sample.tracking_uri)
    champion = champion_score(client, NAME, test[test[LABEL] == 0])
    assert champion.champion_roc_auc is None and champion.champion_version == risk_sample.version
    assert any("one class" in reason for reason in champion.reasons)


def test_a_champion_whose_artefacts_are_gone_is_replaced(
    sample_copy: Sample, tmp_path: Path
) -> None:
    client = MlflowClient(sample_copy.tracking_uri, sample_copy.tracking_uri)
    gone = client.create_model_version(
        NAME, (tmp_path / "deleted" / "model").as_uri(), tags={"sha256": "0" * 64}
    )
    client.set_registered_model_alias(NAME, "champion", gone.version)
    stores = (sample_copy.database_url, sample_copy.tracking_uri, sample_copy.models_dir)
    summary = run(*stores, threads=1, gates=SAMPLE_GATES, compare=False)
    assert summary.promoted, summary.reasons
    assert any(f"champion v{gone.version} cannot score" in r for r in summary.reasons)
    assert str(client.get_model_version_by_alias(NAME, "champion").version) == summary.version
    assert str(client.get_model_version_by_alias(NAME, "previous").version) == str(gone.version)


def test_two_retrains_at_once_promote_one_after_the_other(sample_copy: Sample) -> None:
    """Both candidates finish training together; the second to promote must be compared
    with the champion the first one set and keep it as `previous` (not v1)."""
    stores = (sample_copy.database_url, sample_copy.tracking_uri, sample_copy.models_dir)
    options = {"threads": 1, "gates": SAMPLE_GATES, "compare": False}
    summaries = two_at_once(lambda on_step: run(*stores, **options, on_step=on_step), "evaluate")
    assert len(summaries) == 2 and all(s.promoted for s in summaries)
    client = MlflowClient(sample_copy.tracking_uri, sample_copy.tracking_uri)
    champion = str(client.get_model_version_by_alias(NAME, "champion").version)
    previous = str(client.get_model_version_by_alias(NAME, "previous").version)
    assert {champion, previous} == {s.version for s in summaries}
    exported = json.loads((Path(sample_copy.models_dir) / NAME / METADATA_FILE).read_text())
    assert exported["version"] == champion
