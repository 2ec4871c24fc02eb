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


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("id", "Seberapa yakin: saat model diuji, {similar} orang mendapat peluang antara"),
        ("en", "How sure: when the model was tested, {similar} people got a chance between"),
    ],
)
def test_outlook_says_how_sure_the_estimate_is(
    client: FlaskClient,
    app: Flask,
    world: World,
    session: Session,
    risk_sample: Sample,
    language: str,
    text: str,
) -> None:
    """The page cites the model's held-out record in the answer's band (peers.md 8.9)."""
    for quarter in (1, 2, 3, 4):
        make_evaluation(session, employee_id=world.employees["E1"], period=f"2025-Q{quarter}")
    session.commit()
    app.extensions["models"] = ModelProvider(risk_sample.tracking_uri, risk_sample.models_dir)
    sign_in(client, "supervisor")
    url = f"/api/v1/employees/{world.employees['E1']}/risk"
    answer = client.get(url, headers=world.headers("supervisor")).get_json()
    client.set_cookie("kinerja_lang", language)
    body = client.get(f"/employees/{world.employees['E1']}").get_data(as_text=True)
    outlook = body.split('id="outlook-title"', 1)[1].split("</section>", 1)[0]
    similar = answer["uncertainty"]["similar"]
    shown = f"{similar:,}".replace(",", "." if language == "id" else ",")
    assert text.format(similar=shown) in outlook
    interval = answer["uncertainty"]["interval"]
    low, high = round(interval["low"] * 100), round(interval["high"] * 100)
    assert f"{low}% {'sampai' if language == 'id' else 'to'} {high}%" in outlook


def test_team_card_says_how_sure_the_estimate_is(
    client: FlaskClient, app: Flask, world: World, session: Session, risk_sample: Sample
) -> None:
    for quarter in (1, 2, 3, 4):
        make_evaluation(session, employee_id=world.employees["E1"], period=f"2025-Q{quarter}")
    session.commit()
    app.extensions["models"] = ModelProvider(risk_sample.tracking_uri, risk_sample.models_dir)
    url = f"/api/v1/employees/{world.employees['E1']}/risk"
    record = client.get(url, headers=world.headers("supervisor")).get_json()["uncertainty"]
    sign_in(client, "supervisor")
    client.set_cookie("kinerja_lang", "en")
    body = client.get("/team").get_data(as_text=True)
    card = body.split(f'id="member-{world.employees["E1"]}"', 1)[1].split("</li>", 1)[0]
    observed = round(record["observed"] * 100)
    similar = f"{record['similar']:,}"
    assert f"in the model's test, {observed}% of {similar} people with a similar chance" in card
