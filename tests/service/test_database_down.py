"""A lost database answers a quick 503 problem+json, and the service recovers when it returns."""

from __future__ import annotations

import shutil
import socket
import threading
import time
from collections.abc import Callable
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.engine import make_url
from werkzeug.test import TestResponse

from service import create_app
from service.db import make_engine
from service.db.migrate import upgrade
from service.domain.users import create_user
from tests.conftest import PG_URL

QUICK_SECONDS = 5
PASSWORD = "kopi-susu-gula-aren-7"
LOGIN = {"username": "ops.check", "password": PASSWORD}


def _config(tmp_path: Path, url: str) -> dict[str, str]:
    return {
        "KINERJA_ENV": "test",
        "KINERJA_HOME": str(tmp_path / "home"),
        "KINERJA_MODELS_DIR": str(tmp_path / "models"),
        "DATABASE_URL": url,
        "MLFLOW_TRACKING_URI": f"sqlite:///{tmp_path / 'mlflow.db'}",
        "KINERJA_SECRET_KEY": "test-secret-key-not-for-production",
    }


def _timed(call: Callable[[], TestResponse]) -> tuple[TestResponse, float]:
    started = time.monotonic()
    response = call()
    return response, time.monotonic() - started


def _assert_unavailable(response: TestResponse, seconds: float) -> None:
    body = response.get_json()
    assert response.status_code == 503, body
    assert response.mimetype == "application/problem+json"
    assert (body["status"], body["title"]) == (503, "Service Unavailable")
    assert "database" in body["detail"]
    assert int(response.headers["Retry-After"]) > 0
    assert seconds < QUICK_SECONDS


def _assert_all_unavailable(client: FlaskClient) -> None:
    """The token endpoint, an authenticated endpoint and the readiness probe all say 503."""
    _assert_unavailable(*_timed(lambda: client.post("/api/v1/auth/token", json=LOGIN)))
    bearer = {"Authorization": "Bearer not-checked-without-a-database"}
    _assert_unavailable(*_timed(lambda: client.get("/api/v1/competencies", headers=bearer)))
    response, seconds = _timed(lambda: client.get("/readyz"))
    assert response.status_code == 503
    assert response.get_json()["database"]["ok"] is False
    assert seconds < QUICK_SECONDS


def _unreachable_postgresql(tmp_path: Path) -> Flask:
    url = "postgresql://postgres@127.0.0.1:1/kinerja"
    return create_app(_config(tmp_path, url), use_env=False)


def _vanished_sqlite_directory(tmp_path: Path) -> Flask:
    directory = tmp_path / "volume"
    app = create_app(_config(tmp_path, f"sqlite:///{directory / 'kinerja.db'}"), use_env=False)
    shutil.rmtree(directory)  # the engine made it; now the volume is gone
    return app


@pytest.mark.parametrize("make_app", [_unreachable_postgresql, _vanished_sqlite_directory])
def test_unreachable_database_answers_503_quickly(
    tmp_path: Path, make_app: Callable[[Path], Flask]
) -> None:
    app = make_app(tmp_path)
    try:
        _assert_all_unavailable(app.test_client())
    finally:
        app.extensions["db"].engine.dispose()


@pytest.fixture
def silent_server() -> Iterator[int]:
    """A TCP port that accepts connections and never answers, like a hung database host."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    yield listener.getsockname()[1]
    listener.close()


def test_hung_database_answers_503_within_the_connect_timeout(
    tmp_path: Path, silent_server: int
) -> None:
    url = f"postgresql://postgres@127.0.0.1:{silent_server}/kinerja"
    app = create_app(_config(tmp_path, url), use_env=False)
    answers: list[tuple[TestResponse, float]] = []
    call = threading.Thread(
        target=lambda: answers.append(
            _timed(lambda: app.test_client().post("/api/v1/auth/token", json=LOGIN))
        ),
        daemon=True,
    )

    call.start()
    call.join(timeout=3 * QUICK_SECONDS)

    assert answers, "the request was still waiting for the database"
    _assert_unavailable(*answers[0])


def _admin(sql: str) -> None:
    with psycopg.connect(PG_URL, autocommit=True, connect_timeout=5) as connection:
        connection.execute(sql)


def _add_login(app: Flask) -> None:
    with app.extensions["db"].sessions() as session:
        create_user(session, LOGIN["username"], PASSWORD, "admin")
        session.commit()


@pytest.mark.slow  # migrating the recreated database takes ~5 s
@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_service_recovers_when_a_dropped_database_returns(app: Flask, database_url: str) -> None:
    client = app.test_client()
    name = make_url(database_url).database
    assert name and name.startswith("kinerja_t_")
    _add_login(app)
    assert client.post("/api/v1/auth/token", json=LOGIN).status_code == 200

    _admin(f'DROP DATABASE "{name}" WITH (FORCE)')
    _assert_all_unavailable(client)

    _admin(f'CREATE DATABASE "{name}"')
    engine = make_engine(database_url)
    upgrade(engine)
    engine.dispose()
    _add_login(app)
    response = client.post("/api/v1/auth/token", json=LOGIN)
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["token_type"] == "Bearer"
    assert client.get("/readyz").status_code == 200


def test_every_blueprint_sends_a_lost_database_to_the_503_handler(app: Flask) -> None:
    """Flask asks a blueprint's handlers first: none may catch these errors before ours."""
    from service.ops.unavailable import UNAVAILABLE_ERRORS
    from service.ops.unavailable import handle_database_unavailable

    for name in [*app.blueprints, None]:
        handlers = app.error_handler_spec[name][None]
        for error in UNAVAILABLE_ERRORS:
            found = next((handlers[c] for c in error.__mro__ if c in handlers), None)
            assert found in (None, handle_database_unavailable), (name, error, found)
    assert app.error_handler_spec[None][None][UNAVAILABLE_ERRORS[0]] is handle_database_unavailable


def test_a_page_outside_the_api_gets_the_same_answer(tmp_path: Path) -> None:
    app = _unreachable_postgresql(tmp_path)

    @app.get("/_probe/uses-database")
    def uses_database() -> dict[str, int]:
        with app.extensions["db"].engine.connect():
            return {"connected": 1}

    try:
        _assert_unavailable(*_timed(lambda: app.test_client().get("/_probe/uses-database")))
    finally:
        app.extensions["db"].engine.dispose()


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_a_read_only_database_answers_503_to_writes_and_recovers(
    app: Flask, database_url: str
) -> None:
    """A primary demoted to a standby (failover) or put in read-only maintenance refuses
    writes with ReadOnlySqlTransaction, an InternalError: the API answered 500. And the
    pooled connections kept the read-only default they started with after the database took
    writes again, so writes kept failing until the workers restarted."""
    from tests.service.api.world import build_world

    name = make_url(database_url).database
    with app.extensions["db"].sessions() as session:
        world = build_world(session)
    client = app.test_client()
    path = f"/api/v1/employees/{world.employees['E1']}/feedback"

    def write(body: str) -> TestResponse:
        return client.post(
            path,
            json={"period": "2025", "target": "perilaku", "body": body},
            headers=world.headers("supervisor"),
        )

    assert write("sebelum").status_code == 201
    _admin(f'ALTER DATABASE "{name}" SET default_transaction_read_only = on')
    app.extensions["db"].engine.dispose()  # as a failover's new connections would find it
    try:
        _assert_unavailable(*_timed(lambda: write("selama")))
        # An audited read writes its audit row with the answer: refused alike, not a 500.
        _assert_unavailable(*_timed(lambda: client.get(path, headers=world.headers("hr"))))
    finally:
        _admin(f'ALTER DATABASE "{name}" RESET default_transaction_read_only')

    assert write("sesudah").status_code == 201
    listed = client.get(path, headers=world.headers("hr")).get_json()["items"]
    assert {item["body"] for item in listed} == {"sebelum", "sesudah"}
