"""GET /employees/{id}/recommendations and GET /trainings/{code}/outcomes: contract and access."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pandas as pd
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

import service.api.recommendations  # noqa: F401  (adds the routes to the blueprint)
from service.api.recommendations import SOURCE_KEY
from service.db.models import AuditEntry
from service.domain.program_effects import GapClosureModel
from service.domain.program_effects import link_records
from service.domain.recommender_data import links_frame
from service.domain.recommender_data import load_catalogue
from service.serving.loader import LoadedModel
from tests.service.api.world import World
from tests.service.domain.recommender_history import add_assessment
from tests.service.domain.recommender_history import add_standard

STANDARD = {"M.03": 3, "M.02": 3, "T.01": 2}


@pytest.fixture(scope="module")
def assessed(shared_app: Flask, shared_world: World) -> World:
    """Give the world's position a standard and assess everyone below it on M.03 and M.02."""
    with shared_app.extensions["db"].sessions() as session:
        add_standard(session, shared_world.position_id, STANDARD)
        for employee_id in shared_world.employees.values():
            levels = {"M.03": 1.5, "M.02": 2, "T.01": 2}
            add_assessment(session, employee_id, date(2025, 2, 1), levels)
        session.commit()
    return shared_world


def test_the_answer_has_gaps_items_and_the_fallback_model(
    shared_client: FlaskClient, assessed: World
) -> None:
    url = f"/api/v1/employees/{assessed.employees['E1']}/recommendations?k=3"

    body = shared_client.get(url, headers=assessed.headers("employee")).json

    assert [(g["competency"], g["required"], g["current"], g["gap"]) for g in body["gaps"]] == [
        ("M.03", 3, 1.5, 1.5),
        ("M.02", 3, 2, 1),
        ("T.01", 2, 2, 0),
    ]
    assert body["jpm_category"] == "kurang_optimal"  # 5.5 / 8 = 68.75%
    assert body["model"] == {"name": "rule_gap_matching", "version": None, "fallback": True}
    assert 1 <= len(body["items"]) <= 3
    for item in body["items"]:
        assert set(item) >= {"training_code", "title", "score", "covers", "reason"}
        assert set(item["covers"]) <= {"M.03", "M.02"}
        assert item["reason"].startswith("mencakup ")
        assert item["reason_en"].startswith("covers ")
    scores = [item["score"] for item in body["items"]]
    assert scores == sorted(scores, reverse=True)


@pytest.mark.parametrize(
    ("role", "person", "status"),
    [
        ("employee", "E1", 200),
        ("employee", "E2", 404),
        ("supervisor", "E1", 200),
        ("supervisor", "E2", 200),
        ("supervisor", "O", 404),
        ("hr", "T", 200),
        ("hr", "O", 404),
        ("admin", "O", 200),
        ("data", "E1", 403),
    ],
)
def test_who_may_read_recommendations(
    shared_client: FlaskClient, assessed: World, role: str, person: str, status: int
) -> None:
    url = f"/api/v1/employees/{assessed.employees[person]}/recommendations"

    response = shared_client.get(url, headers=assessed.headers(role))

    assert response.status_code == status
    if status != 200:
        assert response.mimetype == "application/problem+json"


def test_reading_someone_elses_recommendations_is_audited(
    shared_app: Flask, shared_client: FlaskClient, assessed: World
) -> None:
    target = assessed.employees["E1"]

    shared_client.get(
        f"/api/v1/employees/{target}/recommendations", headers=assessed.headers("hr")
    )
    shared_client.get(
        f"/api/v1/employees/{target}/recommendations", headers=assessed.headers("employee")
    )

    with shared_app.extensions["db"].sessions() as session:
        rows = session.scalars(
            select(AuditEntry).where(
                AuditEntry.employee_id == target,
                AuditEntry.resource == "recommendations",
                AuditEntry.actor_username.in_(["user-hr", "user-employee"]),
            )
        ).all()
    assert [(row.actor_username, row.action) for row in rows] == [("user-hr", "read")]


@pytest.mark.parametrize("k", ["0", "51", "five"])
def test_a_bad_k_is_a_validation_problem(
    shared_client: FlaskClient, assessed: World, k: str
) -> None:
    url = f"/api/v1/employees/{assessed.employees['E1']}/recommendations?k={k}"

    response = shared_client.get(url, headers=assessed.headers("admin"))

    assert response.status_code == 422
    assert [e["field"] for e in response.json["errors"]] == ["k"]


@dataclass
class ServedModel:
    """A model source serving one fitted model (the provider's `current()` interface)."""

    model: LoadedModel

    def current(self) -> LoadedModel:
        return self.model


def test_a_served_model_ranks_and_is_named_in_the_answer(
    shared_app: Flask,
    shared_client: FlaskClient,
    assessed: World,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with shared_app.extensions["db"].sessions() as session:
        links = links_frame(load_catalogue(session))
    no_outcomes = pd.DataFrame(columns=["employee_id", "competency_code", "level", "programs"])
    fitted = GapClosureModel(link_records(links)).fit(no_outcomes.assign(years=[], gain=[]))
    served = ServedModel(LoadedModel("kinerja-recommender", "7", fitted, "", "test"))
    monkeypatch.setitem(shared_app.extensions, SOURCE_KEY, served)
    url = f"/api/v1/employees/{assessed.employees['E1']}/recommendations"

    body = shared_client.get(url, headers=assessed.headers("admin")).json

    assert body["model"] == {"name": "kinerja-recommender", "version": "7", "fallback": False}
    assert body["items"]
    assert all("from the programme content" in item["reason_en"] for item in body["items"])


def test_outcomes_of_a_programme_per_competency(
    shared_client: FlaskClient, assessed: World
) -> None:
    body = shared_client.get(
        "/api/v1/trainings/MAN-KOM-02/outcomes", headers=assessed.headers("data")
    ).json

    assert body["training_code"] == "MAN-KOM-02"
    assert [item["competency"] for item in body["items"]] == ["M.02", "M.03"]
    assert body["total"] == 2
    assert all(item["n_participants"] == 0 and item["effect"] is None for item in body["items"])
    missing = shared_client.get(
        "/api/v1/trainings/NOPE/outcomes", headers=assessed.headers("data")
    )
    assert missing.status_code == 404
    assert missing.mimetype == "application/problem+json"


@pytest.mark.parametrize("code", ["%00", "A%00B"])
def test_a_code_no_programme_can_have_is_not_found(
    shared_client: FlaskClient, assessed: World, code: str
) -> None:
    """A NUL byte cannot be stored in a code; PostgreSQL refused the lookup with a 500."""
    response = shared_client.get(
        f"/api/v1/trainings/{code}/outcomes", headers=assessed.headers("data")
    )

    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"
