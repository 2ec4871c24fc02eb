from __future__ import annotations

import json
import socket
import time
from pathlib import Path

import pytest
from flask import Flask
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


def _set_revision(app: Flask, revision: str, *statements: str) -> None:
    """Put the database at `revision`, after running `statements` (a migration's changes)."""
    with app.extensions["db"].engine.begin() as connection:
        for statement in statements:
            connection.execute(text(statement))
        connection.execute(text("UPDATE alembic_version SET version_num = :v"), {"v": revision})


def test_readyz_not_ready_when_schema_behind(client: FlaskClient, app: Flask) -> None:
    """New code started before anyone ran its `kinerja init-db`: it needs the new schema."""
    from alembic.script import ScriptDirectory

    from service.db.migrate import MIGRATIONS_DIR

    previous = ScriptDirectory(str(MIGRATIONS_DIR)).get_revision(head_revision()).down_revision
    _set_revision(app, str(previous))
    response = client.get("/readyz")
    assert response.status_code == 503
    database = response.get_json()["database"]
    assert database["ok"] is False
    assert (database["schema_state"], database["schema"]) == ("behind", previous)


def test_readyz_not_ready_on_a_database_never_migrated(client: FlaskClient, app: Flask) -> None:
    with app.extensions["db"].engine.begin() as connection:
        connection.execute(text("DROP TABLE alembic_version"))
    response = client.get("/readyz")
    database = response.get_json()["database"]
    assert response.status_code == 503, database
    assert (database["schema"], database["schema_state"]) == (None, "not_migrated")
    assert client.get("/readyz").status_code == 503  # the pooled connection still answers


def test_readyz_stays_ready_on_a_newer_compatible_schema(client: FlaskClient, app: Flask) -> None:
    """A rolling upgrade: another instance migrated to a release this code does not know,
    adding a table and a nullable column; this instance keeps serving until replaced."""
    _set_revision(
        app,
        "ffff_newer_release_adds",
        "CREATE TABLE kinerja_future_things (id INTEGER PRIMARY KEY, note TEXT)",
        "ALTER TABLE model_jobs ADD COLUMN queue_name VARCHAR(40)",
        "ALTER TABLE model_jobs ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0",
    )
    response = client.get("/readyz")
    database = response.get_json()["database"]
    assert response.status_code == 200, database
    assert database == {
        "ok": True,
        "schema": "ffff_newer_release_adds",
        "head": head_revision(),
        "schema_state": "newer",
    }


def test_readyz_not_ready_on_a_newer_schema_without_a_mapped_column(
    client: FlaskClient, app: Flask
) -> None:
    _set_revision(
        app,
        "ffff_newer_release_renames",
        "ALTER TABLE model_jobs RENAME COLUMN message TO note",
    )
    response = client.get("/readyz")
    database = response.get_json()["database"]
    assert response.status_code == 503, database
    assert database["schema_state"] == "newer_incompatible"
    assert database["problems"] == ["column model_jobs.message is missing"]


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_readyz_not_ready_on_a_newer_schema_that_requires_a_new_column(
    client: FlaskClient, app: Flask
) -> None:
    """Old code's inserts would leave a new NOT NULL column without a default empty."""
    _set_revision(
        app, "ffff_newer_release_requires", "ALTER TABLE model_jobs ADD COLUMN owner TEXT NOT NULL"
    )
    response = client.get("/readyz")
    database = response.get_json()["database"]
    assert response.status_code == 503, database
    assert database["problems"] == [
        "column model_jobs.owner is required and this code does not fill it"
    ]


def test_the_head_schema_has_everything_the_models_map(app: Flask) -> None:
    """The check's baseline: the migrations and the models agree on every column."""
    from service.db.compatibility import incompatibilities

    assert incompatibilities(app.extensions["db"].engine, "at-head") == ()


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


NEXT_REVISION = '''"""a later release's migration, installed under the running process"""

revision = "9999"
down_revision = "{head}"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
'''


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_readyz_keeps_the_revisions_of_the_code_it_runs(
    app_config: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A migration script that appears on disk after the app was built (new code installed
    in place before the restart) is not this process's code: the probe stays ready."""
    import shutil

    from alembic.script import ScriptDirectory

    from service.db import migrate

    scripts = tmp_path / "migrations"
    shutil.copytree(migrate.MIGRATIONS_DIR, scripts)
    monkeypatch.setattr(migrate, "MIGRATIONS_DIR", scripts)
    migrate.head_revision.cache_clear()
    migrate.known_revisions.cache_clear()
    try:
        app = create_app(app_config, use_env=False)
        client = app.test_client()
        head = ScriptDirectory(str(scripts)).get_current_head()  # not the process's cache
        (scripts / "versions" / "9999_later_release.py").write_text(
            NEXT_REVISION.format(head=head)
        )
        response = client.get("/readyz")
        app.extensions["db"].engine.dispose()
    finally:
        migrate.head_revision.cache_clear()
        migrate.known_revisions.cache_clear()
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["database"]["head"] == head
