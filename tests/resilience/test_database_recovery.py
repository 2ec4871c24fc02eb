"""A database that goes away and comes back: quick 503s while it is gone, then business as usual.

PostgreSQL is reached through a TCP proxy that the test cuts (every pooled connection is reset
and new ones are refused, as in a network failure or a database restart) and restores on the
same address; the SQLite volume is moved away (its open connections closed, as an unmounted
volume would end them) and back. While the database is gone, reads,
writes and the readiness probe answer 503 problem+json within seconds; once it is back, the
same app serves the same login and the same data, and a write made before is still there.
(tests/service/test_database_down.py covers databases that never answer or are dropped.)
"""

from __future__ import annotations

import time
from collections.abc import Callable
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.engine import make_url
from werkzeug.test import TestResponse

from service import create_app
from tests.resilience.proxy import Proxy
from tests.service.api.world import World
from tests.service.api.world import build_world

QUICK_SECONDS = 5


@pytest.fixture
def outage(
    app_config: dict[str, str], tmp_path: Path
) -> Iterator[tuple[Flask, Callable[[], None], Callable[[], None]]]:
    """An app on the test's database with a way to take that database away and back."""
    url = make_url(app_config["DATABASE_URL"])
    if url.get_backend_name() == "sqlite":
        volume = Path(url.database).parent
        parked = tmp_path / "parked"
        app = create_app(app_config, use_env=False)

        def unmount() -> None:  # open connections would keep writing to the moved file
            volume.rename(parked)
            app.extensions["db"].engine.dispose()

        yield app, unmount, lambda: parked.rename(volume)
    else:
        proxy = Proxy((url.host or "127.0.0.1", url.port or 5432))
        proxied = url.set(host="127.0.0.1", port=proxy.up())
        config = {**app_config, "DATABASE_URL": proxied.render_as_string(hide_password=False)}
        app = create_app(config, use_env=False)
        yield app, proxy.down, proxy.up
        proxy.down()
    app.extensions["db"].engine.dispose()


@pytest.fixture
def app_config(app_config: dict[str, str], tmp_path: Path) -> dict[str, str]:
    """The SQLite file gets a directory of its own, which the test moves away."""
    url = make_url(app_config["DATABASE_URL"])
    if url.get_backend_name() != "sqlite":
        return app_config
    volume = tmp_path / "volume"
    volume.mkdir()
    moved = Path(url.database).rename(volume / "kinerja.db")
    return {**app_config, "DATABASE_URL": f"sqlite:///{moved}"}


def _timed(call: Callable[[], TestResponse]) -> tuple[TestResponse, float]:
    started = time.monotonic()
    response = call()
    return response, time.monotonic() - started


def _feedback(client: FlaskClient, world: World, body: str) -> TestResponse:
    return client.post(
        f"/api/v1/employees/{world.employees['E1']}/feedback",
        json={"period": "2025", "target": "perilaku", "body": body},
        headers=world.headers("supervisor"),
    )


def test_the_service_answers_503_while_the_database_is_gone_and_recovers(
    outage: tuple[Flask, Callable[[], None], Callable[[], None]],
) -> None:
    app, take_away, bring_back = outage
    with app.extensions["db"].sessions() as session:
        world = build_world(session)
    client = app.test_client()
    assert _feedback(client, world, "sebelum gangguan").status_code == 201

    take_away()
    calls = [
        lambda: _feedback(client, world, "selama gangguan"),
        lambda: client.get(
            f"/api/v1/employees/{world.employees['E1']}", headers=world.headers("hr")
        ),
    ]
    for call in calls:
        response, seconds = _timed(call)
        assert response.status_code == 503, response.get_data(as_text=True)[:300]
        assert response.mimetype == "application/problem+json"
        assert int(response.headers["Retry-After"]) > 0 and seconds < QUICK_SECONDS
    response, seconds = _timed(lambda: client.get("/readyz"))
    assert response.status_code == 503 and seconds < QUICK_SECONDS

    bring_back()
    assert _feedback(client, world, "setelah gangguan").status_code == 201
    listed = client.get(
        f"/api/v1/employees/{world.employees['E1']}/feedback", headers=world.headers("hr")
    )
    assert listed.status_code == 200
    bodies = sorted(item["body"] for item in listed.get_json()["items"])
    assert bodies == ["sebelum gangguan", "setelah gangguan"]
    assert client.get("/readyz").status_code == 200
