from __future__ import annotations

from flask.testing import FlaskClient
from sqlalchemy import text

from service.db.migrate import head_revision


def test_healthz_answers(client: FlaskClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_readyz_reports_schema_at_head(client: FlaskClient) -> None:
    response = client.get("/readyz")
    body = response.get_json()
    assert response.status_code == 200
    assert body["database"]["schema"] == head_revision()
    assert body["status"] == "ready"


def test_readyz_not_ready_when_schema_behind(client: FlaskClient, app) -> None:
    with app.extensions["db"].engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = 'old'"))
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.get_json()["database"]["ok"] is False


def test_readyz_reports_the_risk_model_and_the_recommender(client: FlaskClient) -> None:
    models = client.get("/readyz").get_json()["models"]
    assert models["ok"] is True
    assert set(models["models"]) == {"kinerja-risk", "kinerja-recommender"}
    for name, status in models["models"].items():
        assert status["name"] == name and status["alias"] == "champion"
        # The test's tracking store is empty: both answer from their rules, and say so.
        assert status["fallback"] is True and status["version"] is None
