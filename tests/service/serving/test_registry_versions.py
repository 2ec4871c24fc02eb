"""GET /api/v1/models' list of versions (service/serving/registry.py) from a real store."""

from __future__ import annotations

import json
from pathlib import Path

from mlflow import MlflowClient

from service.serving.registry import list_versions

NAME = "kinerja-risk"


def test_a_metric_that_could_not_be_measured_is_absent_not_nan(tmp_path: Path) -> None:
    """A held-out period too small for the fairness gap logs it as NaN: the versions list
    leaves it out (the decision says why) instead of answering NaN, which is not JSON."""
    tracking_uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    client = MlflowClient(tracking_uri, tracking_uri)
    experiment = client.create_experiment("kinerja-risk", (tmp_path / "artifacts").as_uri())
    run = client.create_run(experiment)
    client.log_metric(run.info.run_id, "roc_auc", 0.8)
    client.log_metric(run.info.run_id, "fairness_max_tpr_gap", float("nan"))
    client.set_terminated(run.info.run_id)
    client.create_registered_model(NAME)
    client.create_model_version(NAME, (tmp_path / "model").as_uri(), run_id=run.info.run_id)
    [version] = list_versions(tracking_uri, NAME)
    assert version["metrics"] == {"roc_auc": 0.8}
    json.dumps(version, allow_nan=False)  # raises on NaN
