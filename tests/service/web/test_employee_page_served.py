"""The employee page with a trained risk model served: an employee with too short a record."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from service.serving import ModelProvider
from tests.factories import make_evaluation
from tests.service.api.world import World
from tests.service.serving.samples import shared_sample
from tests.service.web.conftest import sign_in
from training.sample import Sample


@pytest.fixture(scope="module")
def risk_sample(tmp_path_factory: pytest.TempPathFactory) -> Sample:
    return shared_sample(tmp_path_factory)


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("id", "Ditampilkan setelah pegawai memiliki cukup periode yang sudah dinilai."),
        ("en", "Shown once the employee has enough evaluated periods."),
    ],
)
def test_outlook_of_a_short_record_says_why_no_action_is_shown(
    client: FlaskClient,
    app: Flask,
    world: World,
    session: Session,
    risk_sample: Sample,
    language: str,
    text: str,
) -> None:
    make_evaluation(session, employee_id=world.employees["E2"], period="2025-Q2")
    session.commit()
    app.extensions["models"] = ModelProvider(risk_sample.tracking_uri, risk_sample.models_dir)
    sign_in(client, "supervisor")
    client.set_cookie("kinerja_lang", language)
    body = client.get(f"/employees/{world.employees['E2']}").get_data(as_text=True)
    outlook = body.split('id="outlook-title"', 1)[1].split("</section>", 1)[0]
    assert 'class="badge risk-unknown"' in outlook  # too short a record for an estimate
    assert text in outlook
