from __future__ import annotations

import json
import socket
import time
from pathlib import Path

from flask.testing import FlaskClient
from sqlalchemy import text

from service import create_app
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


def test_readyz_shows_no_tracking_server_password(
    app_config: dict[str, str], tmp_path: Path
) -> None:
    """/readyz answers anyone (load balancers send no token); a model's error quoted the
    tracking server's URL with the user and password an operator put in it."""
    with socket.socket() as closed:  # a port nothing listens on: the registry is unreachable
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    uri = f"http://mlflow-svc:Rahasia-Tracking-77@127.0.0.1:{port}/"
    app = create_app({**app_config, "MLFLOW_TRACKING_URI": uri}, use_env=False)
    client = app.test_client()
    try:
        deadline = time.monotonic() + 60
        while True:  # the first probe may find the models still loading
            body = client.get("/readyz").get_data(as_text=True)
            errors = [s.get("error") for s in json.loads(body)["models"]["models"].values()]
            if all(errors) or time.monotonic() > deadline:
                break
            time.sleep(0.5)
    finally:
        app.extensions["db"].engine.dispose()

    assert all(errors), body
    assert "Rahasia-Tracking-77" not in body and "mlflow-svc:" not in body
    assert f"http://***@127.0.0.1:{port}" in body  # the server is still named
