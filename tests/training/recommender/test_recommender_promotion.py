"""Recommender promotion: a champion whose artefacts are gone; two retrains at once."""

from __future__ import annotations

from pathlib import Path

import pytest
from mlflow import MlflowClient

from tests.training.at_once import two_at_once
from training.config import RECOMMENDER_MODEL_NAME as NAME
from training.recommender.pipeline import run_recommender_training
from training.recommender.register import Decision
from training.recommender.register import decide
from training.recommender.register import ensure_registered
from training.sample import Sample


def _alias(client: MlflowClient, alias: str) -> str:
    return str(client.get_model_version_by_alias(NAME, alias).version)


def test_a_champion_whose_artefacts_are_gone_is_replaced(
    sample_copy: Sample, tmp_path: Path
) -> None:
    client = MlflowClient(sample_copy.tracking_uri, sample_copy.tracking_uri)
    ensure_registered(client, NAME)
    gone = client.create_model_version(
        NAME, (tmp_path / "deleted" / "model").as_uri(), tags={"sha256": "0" * 64}
    )
    client.set_registered_model_alias(NAME, "champion", gone.version)
    summary = run_recommender_training(
        sample_copy.database_url, sample_copy.tracking_uri, sample_copy.models_dir
    )
    assert summary.promoted, summary.reasons
    assert any(f"champion v{gone.version} cannot be scored" in r for r in summary.reasons)
    assert (_alias(client, "champion"), _alias(client, "previous")) == (
        summary.version,
        str(gone.version),
    )


@pytest.mark.slow
def test_two_retrains_at_once_promote_one_after_the_other(sample_copy: Sample) -> None:
    """The second to promote keeps the first's version as `previous`."""
    stores = (sample_copy.database_url, sample_copy.tracking_uri, sample_copy.models_dir)
    # released once both are logged, before either is compared with the champion
    summaries = two_at_once(
        lambda on_step: run_recommender_training(*stores, on_step=on_step), "register"
    )
    assert len(summaries) == 2 and all(s.promoted for s in summaries)
    client = MlflowClient(sample_copy.tracking_uri, sample_copy.tracking_uri)
    assert {_alias(client, "champion"), _alias(client, "previous")} == {
        s.version for s in summaries
    }


def test_a_candidate_without_a_held_out_error_is_not_promoted() -> None:
    nan = float("nan")
    metrics = {"heldout_gain_mae": nan, "baseline_prior_heldout_gain_mae": nan}
    decision = decide(nan, metrics, Decision(promote=True))
    assert decision.promote is False
    assert any("heldout_gain_mae nan" in reason for reason in decision.reasons)
    measured = {"heldout_gain_mae": 0.2, "baseline_prior_heldout_gain_mae": nan}
    assert decide(0.5, measured, Decision(promote=True)).promote is True
