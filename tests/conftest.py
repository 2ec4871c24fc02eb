"""Shared fixtures: a fresh, migrated database per test on SQLite, and PostgreSQL if reachable.

Each backend is migrated once per session into a template (a SQLite file, a PostgreSQL
template database); every test then gets its own copy, so tests never see each other's rows
and PostgreSQL databases are dropped afterwards. Set KINERJA_TEST_DATABASES=sqlite to skip
PostgreSQL, or KINERJA_TEST_PG_URL to point at another server.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask.testing import FlaskCliRunner
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from service import create_app
from service.db import make_engine
from service.db.migrate import upgrade

PG_URL = os.environ.get("KINERJA_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")
BACKENDS = os.environ.get("KINERJA_TEST_DATABASES", "sqlite,postgresql").split(",")


def _pg_admin_conninfo() -> str:
    url = make_url(PG_URL)
    return f"host={url.host} port={url.port or 5432} user={url.username} dbname={url.database}"


def _pg_reachable() -> bool:
    if "postgresql" not in BACKENDS:
        return False
    try:
        with psycopg.connect(_pg_admin_conninfo(), connect_timeout=2):
            return True
    except psycopg.Error:
        return False


def _pg_execute(sql: str) -> None:
    with psycopg.connect(_pg_admin_conninfo(), autocommit=True) as connection:
        connection.execute(sql)


def _pg_url(database: str) -> str:
    return make_url(PG_URL).set(database=database).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def pg_template() -> Iterator[str | None]:
    """Migrate one PostgreSQL template database per session, or None when unreachable."""
    if not _pg_reachable():
        yield None
        return
    name = f"kinerja_tmpl_{uuid.uuid4().hex[:10]}"
    _pg_execute(f'CREATE DATABASE "{name}"')
    engine = make_engine(_pg_url(name))
    upgrade(engine)
    engine.dispose()
    yield name
    _pg_execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Migrate one SQLite file per session; tests copy it."""
    path = tmp_path_factory.mktemp("template") / "kinerja.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()
    return path


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    sqlite_template: Path,
    pg_template: str | None,
) -> Iterator[str]:
    """A migrated, empty database of its own for one test."""
    if request.param == "sqlite":
        path = tmp_path / "kinerja.db"
        shutil.copyfile(sqlite_template, path)
        yield f"sqlite:///{path}"
        return
    if pg_template is None:
        pytest.skip("PostgreSQL is not reachable")
    name = f"kinerja_t_{uuid.uuid4().hex[:12]}"
    _pg_execute(f'CREATE DATABASE "{name}" TEMPLATE "{pg_template}"')
    yield _pg_url(name)
    _pg_execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session", autouse=True)
def compiled_tree_walk() -> None:
    """Load (or, the first time on a machine, compile) the trees' compiled walk once per test
    process, before any test: a test that times an answer then times the answer, not numba
    compiling. Cached next to the module (`__pycache__`) unless NUMBA_CACHE_DIR is set."""
    from service.serving.trees import compile_walk

    compile_walk()


@pytest.fixture
def app_config(tmp_path: Path, database_url: str) -> dict[str, str]:
    return {
        "KINERJA_ENV": "test",
        "KINERJA_HOME": str(tmp_path / "home"),
        "KINERJA_MODELS_DIR": str(tmp_path / "models"),
        "DATABASE_URL": database_url,
        "MLFLOW_TRACKING_URI": f"sqlite:///{tmp_path / 'mlflow.db'}",
        "KINERJA_SECRET_KEY": "test-secret-key-not-for-production",
        "RISK_JOBS_SPAWN": False,  # retrain jobs stay queued: no process outlives the test
    }


@pytest.fixture
def app(app_config: dict[str, str]) -> Iterator[Flask]:
    app = create_app(app_config, use_env=False)
    yield app
    app.extensions["db"].engine.dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    return app.test_cli_runner()


@pytest.fixture
def session(app: Flask) -> Iterator[Session]:
    """A session on the test's database, outside any request."""
    with app.extensions["db"].sessions() as session:
        yield session
