"""A web request's statement is bounded (KINERJA_DB_STATEMENT_TIMEOUT_MS): a lock held
elsewhere, or a runaway plan, costs the request a quick 503 with Retry-After and writes
nothing, instead of holding its worker until gunicorn's 60 s timeout kills it. The CLI's
batch jobs keep no bound."""

from __future__ import annotations

import fcntl
import os
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest
from flask import Flask
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy import text
from sqlalchemy.engine import make_url
from werkzeug.test import TestResponse

from service import create_app
from service.config import ConfigError
from service.config import load_config
from service.db import make_database
from service.db.models import ApiToken
from service.db.models import AuditEntry
from service.db.models import LoginAttempt
from service.db.sqlite_writers import lock_path
from service.domain.users import create_user

TIMEOUT_MS = 500
#: The request must be answered well before the lock is given up.
HELD_SECONDS = 8
PASSWORD = "kopi-susu-gula-aren-7"
LOGIN = {"username": "ops.timeout", "password": PASSWORD}


@pytest.fixture
def app(app_config: dict[str, str]) -> Iterator[Flask]:
    config = {**app_config, "KINERJA_DB_STATEMENT_TIMEOUT_MS": str(TIMEOUT_MS)}
    app = create_app(config, use_env=False)
    with app.extensions["db"].sessions() as session:
        create_user(session, LOGIN["username"], PASSWORD, "admin")
        session.commit()
    yield app
    app.extensions["db"].engine.dispose()


@contextmanager
def held_lock(
    database_url: str,
    writer_queue: bool = False,
    table: str = "users",
    mode: str = "ACCESS EXCLUSIVE",
) -> Iterator[None]:
    """Hold, from another connection, the lock a login's statements wait for: PostgreSQL's
    `users` table (or `table`, in `mode`), or SQLite's write lock (taken outside our writer
    queue, as the sqlite3 shell or another program would), or with `writer_queue` the
    queue's own lock, as another worker's long write transaction holds it."""
    url = make_url(database_url)
    if writer_queue:
        descriptor = os.open(lock_path(str(url.database)), os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX)
            yield
        finally:
            os.close(descriptor)
        return
    if url.get_backend_name() == "sqlite":
        holder = sqlite3.connect(url.database, isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")
        try:
            yield
        finally:
            holder.rollback()
            holder.close()
        return
    conninfo = f"host={url.host} port={url.port or 5432} user={url.username} dbname={url.database}"
    with psycopg.connect(conninfo) as holder:
        holder.execute(f"LOCK TABLE {table} IN {mode} MODE")
        try:
            yield
        finally:
            holder.rollback()


def _counts(app: Flask) -> tuple[int, ...]:
    with app.extensions["db"].sessions() as session:
        return tuple(
            session.scalar(select(func.count()).select_from(model))
            for model in (ApiToken, AuditEntry, LoginAttempt)
        )


def test_a_request_stuck_behind_a_lock_gets_503_quickly_and_writes_nothing(
    app: Flask, database_url: str
) -> None:
    _assert_quick_503_writing_nothing(app, database_url, writer_queue=False)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_request_stuck_in_the_sqlite_writer_queue_gets_503_quickly(
    app: Flask, database_url: str
) -> None:
    _assert_quick_503_writing_nothing(app, database_url, writer_queue=True)


def _assert_quick_503_writing_nothing(app: Flask, database_url: str, writer_queue: bool) -> None:
    before = _counts(app)
    answers: list[tuple[TestResponse, float]] = []

    def login() -> None:
        started = time.monotonic()
        response = app.test_client().post("/api/v1/auth/token", json=LOGIN)
        answers.append((response, time.monotonic() - started))

    with held_lock(database_url, writer_queue):
        call = threading.Thread(target=login, daemon=True)
        call.start()
        call.join(timeout=HELD_SECONDS)
        assert answers, "the request still waited for the lock"
    call.join()

    response, seconds = answers[0]
    body = response.get_json()
    assert response.status_code == 503, body
    assert response.mimetype == "application/problem+json"
    assert int(response.headers["Retry-After"]) > 0
    assert "database" in body["detail"]
    assert seconds < 4, seconds
    assert _counts(app) == before
    # The connection that was cancelled goes back to the pool and serves the next request.
    assert app.test_client().post("/api/v1/auth/token", json=LOGIN).status_code == 200


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_the_timeout_bounds_web_requests_not_the_cli(app: Flask, database_url: str) -> None:
    with app.extensions["db"].engine.connect() as connection:
        assert connection.scalar(text("SHOW statement_timeout")) == f"{TIMEOUT_MS}ms"
        connection.rollback()  # a pooled connection keeps it after a transaction's end
        assert connection.scalar(text("SHOW statement_timeout")) == f"{TIMEOUT_MS}ms"
    batch = make_database(database_url)  # how score, train, import and backup connect
    try:
        with batch.engine.connect() as connection:
            assert connection.scalar(text("SHOW statement_timeout")) == "0"
    finally:
        batch.engine.dispose()


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_sqlite_waits_for_its_lock_at_most_the_timeout(app: Flask) -> None:
    with app.extensions["db"].engine.connect() as connection:
        assert connection.scalar(text("PRAGMA busy_timeout")) == TIMEOUT_MS


def test_the_setting_defaults_to_15_seconds_and_refuses_nonsense(tmp_path: Path) -> None:
    base = {"KINERJA_ENV": "test", "KINERJA_HOME": str(tmp_path)}
    assert load_config(base, use_env=False)["KINERJA_DB_STATEMENT_TIMEOUT_MS"] == 15_000
    off = {**base, "KINERJA_DB_STATEMENT_TIMEOUT_MS": "0"}
    assert load_config(off, use_env=False)["KINERJA_DB_STATEMENT_TIMEOUT_MS"] == 0
    for wrong in ("-1", "soon", "1.5"):
        with pytest.raises(ConfigError, match="KINERJA_DB_STATEMENT_TIMEOUT_MS"):
            load_config({**base, "KINERJA_DB_STATEMENT_TIMEOUT_MS": wrong}, use_env=False)
