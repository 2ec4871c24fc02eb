"""Contract of /employees/{id}/risk, /teams/me and /models: shapes, access, audit, fallback."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.db.models import AuditEntry
from service.db.models import ModelJob
from service.domain.entities import Rating
from service.serving import ModelProvider
from tests.factories import make_employee
from tests.factories import make_evaluation
from tests.service.api.world import World
from tests.service.serving.samples import shared_sample
from training.sample import Sample

QUARTERS = ("2024-Q3", "2024-Q4", "2025-Q1", "2025-Q2")
BELOW = Rating.DI_BAWAH_EKSPEKTASI


@pytest.fixture(scope="module")
def risk_sample(tmp_path_factory: pytest.TempPathFactory) -> Sample:
    return shared_sample(tmp_path_factory)


def _history(session: Session, world: World) -> None:
    """E1: four quarters, the last two with results below expectation; E2: one quarter."""
    for i, period in enumerate(QUARTERS):
        rating = BELOW if i >= 2 else Rating.SESUAI_EKSPEKTASI
        make_evaluation(
            session,
            employee_id=world.employees["E1"],
            period=period,
            work_result_rating=rating,
            behavior_ratings={"kolaboratif": BELOW} if i == 3 else {},
        )
    make_evaluation(session, employee_id=world.employees["E2"], period=QUARTERS[-1])
    session.commit()


@pytest.fixture
def served(app: Flask, world: World, session: Session, risk_sample: Sample) -> World:
    """The world with histories, served by the sample's trained champion."""
    _history(session, world)
    app.extensions["models"] = ModelProvider(risk_sample.tracking_uri, risk_sample.models_dir)
    return world


def _risk(client: FlaskClient, world: World, role: str, person: str) -> dict:
    response = client.get(
        f"/api/v1/employees/{world.employees[person]}/risk", headers=world.headers(role)
    )
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_risk_answer_has_the_api_shape(
    client: FlaskClient, served: World, risk_sample: Sample
) -> None:
    body = _risk(client, served, "employee", "E1")
    assert set(body) >= {"employee_id", "as_of_period", "status", "probability", "flagged",
                         "threshold", "drivers", "model"}  # fmt: skip
    assert body["as_of_period"] == QUARTERS[-1] and body["status"] == "ok"
    assert body["model"] == {
        "name": "kinerja-risk",
        "version": risk_sample.version,
        "fallback": False,
    }
    assert 0.0 <= body["probability"] <= 1.0
    assert body["flagged"] is (body["probability"] >= body["threshold"])
    assert 1 <= len(body["drivers"]) <= 5
    contributions = [d["contribution"] for d in body["drivers"]]
    assert contributions == sorted(contributions, reverse=True) and min(contributions) > 0
    assert all(d["label"] and d["label_en"] for d in body["drivers"])
    band = body["uncertainty"]["band"]  # the model's held-out record in this band
    assert band["low"] <= body["probability"] <= band["high"]
    assert body["uncertainty"]["similar"] > 0 and body["uncertainty"]["level"] == 0.9
    interval = body["uncertainty"]["interval"]
    assert interval["low"] <= body["uncertainty"]["observed"] <= interval["high"]


def test_thin_history_is_insufficient_data(client: FlaskClient, served: World) -> None:
    body = _risk(client, served, "supervisor", "E2")  # E2 reports to E1, below the supervisor
    assert (body["status"], body["probability"], body["flagged"], body["uncertainty"]) == (
        "insufficient_data",
        None,
        False,
        None,
    )


@pytest.mark.parametrize(
    ("role", "person", "status"),
    [
        ("employee", "E1", 200),
        ("supervisor", "E1", 200),
        ("hr", "E1", 200),
        ("admin", "E1", 200),
        ("employee", "T", 404),
        ("supervisor", "O", 404),
        ("data", "E1", 403),
    ],
)
def test_risk_access(
    client: FlaskClient, served: World, role: str, person: str, status: int
) -> None:
    response = client.get(
        f"/api/v1/employees/{served.employees[person]}/risk", headers=served.headers(role)
    )
    assert response.status_code == status
    if status != 200:
        assert response.content_type == "application/problem+json"


def test_reading_someone_elses_risk_is_audited(
    client: FlaskClient, served: World, session: Session
) -> None:
    _risk(client, served, "supervisor", "E1")
    _risk(client, served, "employee", "E1")  # one's own: no row
    rows = session.scalars(select(AuditEntry).where(AuditEntry.resource == "risk")).all()
    assert [(r.actor_username, r.employee_id) for r in rows] == [
        ("user-supervisor", served.employees["E1"])
    ]


def test_without_a_model_the_rule_answers_marked_fallback(
    client: FlaskClient, app: Flask, world: World, session: Session, tmp_path: Path
) -> None:
    _history(session, world)
    app.extensions["models"] = ModelProvider(
        f"sqlite:///{tmp_path / 'none.db'}", tmp_path / "none"
    )
    body = _risk(client, world, "employee", "E1")
    assert body["model"]["fallback"] is True and body["model"]["version"] is None
    # The rule fires (the last predikat, butuh_perbaikan, is poor); its rate comes from the
    # only stored transition, E1's own 2025-Q1 -> 2025-Q2, which was poor as well.
    assert (body["status"], body["flagged"], body["probability"]) == ("ok", True, 1.0)
    assert [d["feature"] for d in body["drivers"]] in ([], ["predikat_last"])


def test_team_lists_direct_reports_with_coaching(client: FlaskClient, served: World) -> None:
    response = client.get("/api/v1/teams/me", headers=served.headers("supervisor"))
    assert response.status_code == 200
    body = response.get_json()
    assert body["total"] == len(body["items"]) == 1
    item = body["items"][0]
    assert (item["employee_id"], item["name"]) == (served.employees["E1"], "Pegawai E1")
    assert item["risk"]["employee_id"] == served.employees["E1"]
    # Read in one batch for the team, answered exactly as the single-employee read answers.
    assert item["risk"] == _risk(client, served, "supervisor", "E1")
    codes = {c["code"] for c in item["coaching"]}
    assert codes & {"work_below", "value_kolaboratif"}
    assert all(
        c["action"] and c["why"] and c["action_en"] and c["why_en"] for c in item["coaching"]
    )


@pytest.mark.parametrize(("role", "status"), [("employee", 403), ("data", 403)])
def test_team_is_for_supervisors(
    client: FlaskClient, served: World, role: str, status: int
) -> None:
    assert client.get("/api/v1/teams/me", headers=served.headers(role)).status_code == status


def test_models_lists_the_champion_for_the_data_team(
    client: FlaskClient, app: Flask, world: World, risk_sample: Sample
) -> None:
    app.config["MLFLOW_TRACKING_URI"] = risk_sample.tracking_uri
    app.extensions["models"] = ModelProvider(risk_sample.tracking_uri, risk_sample.models_dir)
    response = client.get("/api/v1/models", headers=world.headers("data"))
    assert response.status_code == 200
    body = response.get_json()
    champion = [v for v in body["items"] if v["role"] == "champion"]
    assert [v["version"] for v in champion] == [risk_sample.version]
    assert {"roc_auc", "ece", "fairness_max_tpr_gap"} <= set(champion[0]["metrics"])
    assert champion[0]["drift"], "drift (PSI per feature) is shown"
    assert body["served"]["version"] == risk_sample.version
    assert body["served"]["loading"] is False, "the first request waited for the load"
    assert client.get("/api/v1/models", headers=world.headers("employee")).status_code == 403


def test_retrain_queues_a_job_that_records_its_failure(
    client: FlaskClient, app: Flask, world: World, session: Session
) -> None:
    from service.db import Database
    from training.jobs import run_job
    from training.pipeline import run

    app.config["RISK_JOBS_SPAWN"] = False
    response = client.post("/api/v1/models/retrain", json={}, headers=world.headers("data"))
    assert response.status_code == 201
    job = response.get_json()
    assert job["status"] == "queued"
    database: Database = app.extensions["db"]
    config = app.config
    with pytest.raises(ValueError, match="no evaluations"):
        run_job(
            database,
            job["id"],
            lambda: run(
                config["DATABASE_URL"], config["MLFLOW_TRACKING_URI"], config["KINERJA_MODELS_DIR"]
            ),
        )
    answer = client.get(
        f"/api/v1/models/jobs/{job['id']}", headers=world.headers("data")
    ).get_json()
    assert answer["status"] == "failed" and "no evaluations" in answer["message"]
    assert session.get(ModelJob, job["id"]).finished_at is not None
    assert (
        client.get(f"/api/v1/models/jobs/{job['id']}", headers=world.headers("hr")).status_code
        == 403
    )


def add_direct_reports(session: Session, world: World, count: int) -> None:
    """Give the world's supervisor S `count` more direct reports (in unit A1); commit."""
    for _ in range(count):
        make_employee(
            session,
            unit_id=world.units["A1"],
            position_id=world.position_id,
            supervisor_id=world.employees["S"],
        )
    session.commit()


def test_team_pages_with_limit_and_offset(
    client: FlaskClient, served: World, session: Session
) -> None:
    add_direct_reports(session, served, 51)  # 52 direct reports: more than one default page
    headers = served.headers("supervisor")

    def team(query: str) -> dict:
        response = client.get(f"/api/v1/teams/me{query}", headers=headers)
        assert response.status_code == 200, response.get_json()
        return response.get_json()

    whole = team("?limit=1000")
    ids = [item["employee_id"] for item in whole["items"]]
    assert whole["total"] == len(ids) == 52
    assert ids[0] == served.employees["E1"]  # the only one with a risk estimate comes first
    first = team("")
    assert (first["total"], len(first["items"])) == (52, 50)  # API.md: default limit >= 50
    rest = team("?limit=50&offset=50")
    assert [item["employee_id"] for item in first["items"] + rest["items"]] == ids
    audited = session.scalars(
        select(AuditEntry.employee_id).where(
            AuditEntry.resource == "risk", AuditEntry.actor_username == "user-supervisor"
        )
    ).all()
    assert len(audited) == 52 + 50 + 2  # one row per member shown, per request


@pytest.mark.parametrize("query", ["?limit=0", "?limit=1001", "?offset=-1", "?limit=abc"])
def test_team_paging_is_checked(client: FlaskClient, served: World, query: str) -> None:
    response = client.get(f"/api/v1/teams/me{query}", headers=served.headers("supervisor"))
    assert response.status_code == 422
    assert response.content_type == "application/problem+json"


def test_retrain_refuses_settings_it_may_not_change_and_queues_nothing(
    client: FlaskClient, app: Flask, world: World, session: Session
) -> None:
    app.config["RISK_JOBS_SPAWN"] = False
    bad = {"max_iter": 5, "calibration": "platt", "features": "all", "learning_rate": "fast"}
    response = client.post(
        "/api/v1/models/retrain", json={"params": bad}, headers=world.headers("data")
    )
    assert response.status_code == 422
    assert response.content_type == "application/problem+json"
    fields = {error["field"] for error in response.get_json()["errors"]}
    assert fields == {f"params.{name}" for name in bad}
    assert session.scalar(select(func.count()).select_from(ModelJob)) == 0
    good = {"max_iter": 50, "calibration": "isotonic", "learning_rate": 0.1}
    response = client.post(
        "/api/v1/models/retrain", json={"params": good}, headers=world.headers("data")
    )
    assert response.status_code == 201
    assert session.get(ModelJob, response.get_json()["id"]).params == good
