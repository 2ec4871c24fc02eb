"""The report of a version whose fairness gap could not be measured says so (never 0 or NaN).

A held-out period with no two groups of 20 poor outcomes logs `fairness_max_tpr_gap` as NaN
(training/evaluate.py); the page must not print it as a number.
"""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient
from mlflow import MlflowClient

from service.serving import ModelProvider
from tests.service.api.world import World
from tests.service.serving.samples import risk_sample  # noqa: F401 (fixture)
from tests.service.serving.samples import sample_copy  # noqa: F401 (fixture)
from tests.service.web.conftest import sign_in
from training.sample import Sample

FAIRNESS = "attribute,group,tpr,positives,rows\ngender,L,0.5,6,70\ngender,P,0.75,9,80\n"


def test_an_unmeasured_gap_reads_not_measurable(
    client: FlaskClient,
    app: Flask,
    world: World,
    sample_copy: Sample,  # noqa: F811
) -> None:
    tracking = MlflowClient(sample_copy.tracking_uri, sample_copy.tracking_uri)
    experiment = tracking.get_experiment_by_name("kinerja-risk").experiment_id
    run = tracking.create_run(experiment)
    tracking.log_metric(run.info.run_id, "roc_auc", 0.7)
    tracking.log_metric(run.info.run_id, "fairness_max_tpr_gap", float("nan"))
    tracking.log_text(run.info.run_id, FAIRNESS, "tables/fairness.csv")
    tracking.set_terminated(run.info.run_id)
    version = tracking.create_model_version(
        "kinerja-risk", f"runs:/{run.info.run_id}/model", run_id=run.info.run_id
    ).version
    app.config["MLFLOW_TRACKING_URI"] = sample_copy.tracking_uri
    app.extensions["models"] = ModelProvider(sample_copy.tracking_uri, sample_copy.models_dir)
    sign_in(client, "data")
    body = client.get(f"/models?version={version}").get_data(as_text=True)
    fairness = body.split('id="fairness-title"')[1].split("<table")[0]
    assert "tidak dapat diukur" in fairness, fairness
    assert "NaN" not in fairness and "0,000" not in fairness
