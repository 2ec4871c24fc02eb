"""The data team's page of a trained version: calibration and ROC plots, fairness, card.

Served from the session's trained sample: what the page shows is compared with the
artefacts its training run logged in MLflow.
"""

from __future__ import annotations

import csv
import html
import re
from pathlib import Path

import pytest
from babel.numbers import format_decimal
from flask import Flask
from flask.testing import FlaskClient
from mlflow import MlflowClient

from service.serving import ModelProvider
from service.web.model_report import card_html
from tests.service.api.world import World
from tests.service.serving.samples import shared_sample
from tests.service.web.conftest import sign_in
from training.sample import Sample


@pytest.fixture(scope="module")
def risk_sample(tmp_path_factory: pytest.TempPathFactory) -> Sample:
    return shared_sample(tmp_path_factory)


@pytest.fixture
def data_team(client: FlaskClient, app: Flask, world: World, risk_sample: Sample) -> FlaskClient:
    app.config["MLFLOW_TRACKING_URI"] = risk_sample.tracking_uri
    app.extensions["models"] = ModelProvider(risk_sample.tracking_uri, risk_sample.models_dir)
    sign_in(client, "data")
    return client


def _logged(sample: Sample, path: str, directory: Path) -> list[dict[str, str]]:
    client = MlflowClient(sample.tracking_uri, sample.tracking_uri)
    run_id = client.get_model_version("kinerja-risk", sample.version).run_id
    local = client.download_artifacts(run_id, path, str(directory))
    with open(local, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _id(value: str | float, digits: int = 3) -> str:
    """A number as the Indonesian pages print it (decimal comma)."""
    return format_decimal(float(value), format="#,##0." + "#" * digits, locale="id")


def test_model_page_plots_calibration_and_roc_of_the_champion(
    data_team: FlaskClient, risk_sample: Sample, tmp_path: Path
) -> None:
    body = data_team.get("/models").get_data(as_text=True)
    assert f"Yang dicatat pelatihan untuk versi {risk_sample.version}" in body
    assert body.count('class="chart line-chart"') == 2
    calibration = body.split('id="calibration-title"')[1].split("</svg>")[0]
    reliability = _logged(risk_sample, "tables/reliability.csv", tmp_path)
    assert calibration.count("<circle") == len(reliability) + 2  # the bins and the diagonal
    for row in reliability:
        assert f"teramati {_id(row['observed'])}" in calibration
    roc = body.split('id="roc-title"')[1].split("</svg>")[0]
    assert f"Kurva ROC (AUC {_id(risk_sample.metrics['roc_auc'])})" in body
    assert "ambang penandaan" in roc  # the operating point of the flag threshold


def test_model_page_shows_the_fairness_table_and_the_card(
    data_team: FlaskClient, risk_sample: Sample, tmp_path: Path
) -> None:
    body = data_team.get("/models").get_data(as_text=True)
    table = body.split('<table class="fairness">')[1].split("</table>")[0]
    fairness = _logged(risk_sample, "tables/fairness.csv", tmp_path)
    assert table.count("<tr>") == len(fairness) + 1
    for row in fairness:
        assert f"<td>{html.escape(row['group'])}</td>" in table
        assert f'<td class="num">{_id(row["tpr"])}</td>' in table
    assert _id(risk_sample.metrics["fairness_max_tpr_gap"]) in body
    card = body.split('<div class="model-card" lang="en">')[1].split("</div>")[0]
    assert f"<h3>Model card: kinerja-risk version {risk_sample.version}</h3>" in card
    assert "<h4>Held-out metrics</h4>" in card and "<table>" in card


def test_auc_chart_names_the_model_and_its_baselines_in_the_users_language(
    data_team: FlaskClient, risk_sample: Sample
) -> None:
    body = data_team.get("/models").get_data(as_text=True)
    chart = body.split('id="auc-title"')[1].split("</svg>")[0]
    labels = re.findall(r'text-anchor="end" class="tick">([^<]+)</text>', chart)
    assert labels[0] == "model"
    assert "baseline aturan" in labels
    assert not {"roc auc", "baseline rule"} & set(labels)


def test_unknown_version_shows_the_champion(data_team: FlaskClient, risk_sample: Sample) -> None:
    body = data_team.get("/models?version=999").get_data(as_text=True)
    assert f"Yang dicatat pelatihan untuk versi {risk_sample.version}" in body


def test_card_markup_is_shown_as_text() -> None:
    shown = str(card_html("# Card\n\n<script>alert(1)</script>\n\n[x](javascript:alert(1))"))
    assert "<h3>Card</h3>" in shown
    assert "<script>" not in shown and "&lt;script&gt;" in shown
    assert 'href="javascript' not in shown


def test_chart_ticks_use_the_readers_decimal_mark(data_team: FlaskClient) -> None:
    """The tables said 0,734 while the charts beside them said 0.2, 0.5, 0.8 in Indonesian."""
    body = data_team.get("/models").get_data(as_text=True)
    ticks = re.findall(r'class="tick">([^<]*)<', body)
    assert "0,2" in ticks and "0.2" not in ticks
    data_team.set_cookie("kinerja_lang", "en")
    english = re.findall(r'class="tick">([^<]*)<', data_team.get("/models").get_data(as_text=True))
    assert "0.2" in english and "0,2" not in english
