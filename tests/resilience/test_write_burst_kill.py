"""kill -9 during a write burst: no acknowledged write lost, none written twice, integrity intact.

A real `kinerja serve` (two gunicorn workers) takes feedback notes from four writer threads.
Each note has its own Idempotency-Key, and a writer retries the same request with the same key
until it gets its 201, whatever happens in between (refused connections, dropped answers,
5xx). Meanwhile one worker is killed with SIGKILL (the arbiter replaces it), then the whole
server and its workers are, and the server is started again on the same port. Afterwards every
note exists exactly once with exactly one audit row and one idempotency record, and the
database passes its own integrity checks (SQLite: integrity_check and foreign_key_check;
PostgreSQL: amcheck on every B-tree index).
"""

from __future__ import annotations

import os
import signal
import threading
import time
from collections import Counter
from dataclasses import dataclass
from dataclasses import field
from http.client import HTTPException
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import Engine
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy import text
from sqlalchemy.orm import Session

from service.db.models import AuditEntry
from service.db.models import FeedbackNote
from service.db.models import IdempotencyRecord
from tests.resilience.processes import Served
from tests.resilience.processes import call
from tests.resilience.processes import serve_env
from tests.resilience.processes import start_serve
from tests.resilience.processes import wait_until
from tests.service.api.world import PASSWORD
from tests.service.api.world import World

WRITES = 160
WRITERS = 4
BURST_SECONDS = 240
PREFIX = "catatan-burst-"
BTREE_INDEXES = text(
    "SELECT c.oid::regclass::text FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid"
    " JOIN pg_am a ON a.oid = c.relam JOIN pg_namespace n ON n.oid = c.relnamespace"
    " WHERE a.amname = 'btree' AND n.nspname = 'public'"
)
BTREE_CHECK = text("SELECT bt_index_check(CAST(:index AS regclass), true)")
BTREE_INDEXES = text(
    "SELECT c.oid::regclass::text FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid"
    " JOIN pg_am a ON a.oid = c.relam JOIN pg_namespace n ON n.oid = c.relnamespace"
    " WHERE a.amname = 'btree' AND n.nspname = 'public'"
)


@dataclass
class Burst:
    """What the writers saw: acknowledged notes, replays and failed attempts by kind."""

    acknowledged: set[int] = field(default_factory=set)
    refused: dict[int, object] = field(default_factory=dict)
    replayed: int = 0
    failures: Counter[str] = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)


@pytest.fixture
def engine(app: Flask) -> Engine:
    """The test database, as the test process sees it (the server has its own engine)."""
    return app.extensions["db"].engine


def _write(url: str, headers: dict[str, str], number: int, burst: Burst, deadline: float) -> None:
    """POST note `number` until it is acknowledged, always with the same key and body."""
    body = {"period": "2025", "target": "perilaku", "body": f"{PREFIX}{number}"}
    keyed = {**headers, "Idempotency-Key": f"burst-{number}"}
    while time.monotonic() < deadline:
        try:
            answer = call("POST", url, body, keyed, timeout=20)
        except (OSError, HTTPException) as exc:  # refused, reset, or the answer cut short
            kind = type(exc).__name__
        else:
            if answer.status == 201:
                with burst.lock:
                    burst.acknowledged.add(number)
                    burst.replayed += answer.headers.get("Idempotent-Replayed") == "true"
                return
            if answer.status < 500:  # a client error is an answer: retrying cannot change it
                with burst.lock:
                    burst.refused[number] = (answer.status, answer.body)
                return
            kind = str(answer.status)
        with burst.lock:
            burst.failures[kind] += 1
        time.sleep(0.05)


def _writers(url: str, headers: dict[str, str], burst: Burst) -> list[threading.Thread]:
    deadline = time.monotonic() + BURST_SECONDS

    def run(first: int) -> None:
        for number in range(first, WRITES, WRITERS):
            _write(url, headers, number, burst, deadline)

    threads = [threading.Thread(target=run, args=(n,), daemon=True) for n in range(WRITERS)]
    for thread in threads:
        thread.start()
    return threads


def _kill_a_worker(server: Served) -> int:
    workers = server.workers()
    assert len(workers) == 2, workers
    os.kill(workers[0], signal.SIGKILL)
    return workers[0]


def _wait_for_acknowledged(burst: Burst, count: int) -> None:
    wait_until(lambda: len(burst.acknowledged) >= count, 120, f"{count} acknowledged writes")


def _notes(engine: Engine) -> Counter[str]:
    with Session(engine) as session:
        bodies = session.scalars(
            select(FeedbackNote.body).where(FeedbackNote.body.like(f"{PREFIX}%"))
        )
        return Counter(bodies)


def _count(engine: Engine, statement: object) -> int:
    with Session(engine) as session:
        return int(session.scalar(statement))


def _integrity_problems(engine: Engine) -> list[str]:
    """What the database's own checks report (an empty list when all is well)."""
    with engine.begin() as connection:
        if engine.dialect.name == "sqlite":
            found = [r[0] for r in connection.execute(text("PRAGMA integrity_check"))]
            orphans = connection.execute(text("PRAGMA foreign_key_check")).fetchall()
            return [f for f in found if f != "ok"] + [str(o) for o in orphans]
        connection.execute(text("CREATE EXTENSION IF NOT EXISTS amcheck"))
        indexes = connection.execute(BTREE_INDEXES).scalars().all()
        for index in indexes:  # raises on a corrupt index or a heap row missing from it
            connection.execute(BTREE_CHECK, {"index": index})
        return []


@pytest.mark.slow
def test_kill_9_during_a_write_burst_loses_and_duplicates_nothing(
    tmp_path: Path, database_url: str, engine: Engine, world: World
) -> None:
    env = serve_env(tmp_path / "home", database_url, f"sqlite:///{tmp_path / 'mlflow.db'}")
    server = start_serve(env, workers=2)
    try:
        login = {"username": "user-supervisor", "password": PASSWORD}
        token = call("POST", f"{server.url}/api/v1/auth/token", login).body["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        url = f"{server.url}/api/v1/employees/{world.employees['E1']}/feedback"
        burst = Burst()
        _write(url, headers, 0, burst, time.monotonic() + 30)  # creates the period once
        threads = _writers(url, headers, burst)

        _wait_for_acknowledged(burst, WRITES // 4)
        _kill_a_worker(server)
        _wait_for_acknowledged(burst, WRITES // 2)
        server.kill()
        time.sleep(0.5)  # writers meet refused connections while the server is down
        port = int(server.url.rsplit(":", 1)[1])
        server = start_serve(env, workers=2, port=port)
        for thread in threads:
            thread.join(timeout=BURST_SECONDS)
    finally:
        server.stop()

    assert burst.refused == {}
    assert burst.acknowledged == set(range(WRITES)), burst.failures
    assert burst.failures, "the kills were not noticed by any writer"
    notes = _notes(engine)
    assert notes == Counter({f"{PREFIX}{n}": 1 for n in range(WRITES)})
    audited = (
        select(func.count())
        .select_from(AuditEntry)
        .where(AuditEntry.resource == "feedback", AuditEntry.action == "create")
    )
    assert _count(engine, audited) == WRITES
    keys = (
        select(func.count())
        .select_from(IdempotencyRecord)
        .where(IdempotencyRecord.key.like("burst-%"))
    )
    assert _count(engine, keys) == WRITES
    assert _integrity_problems(engine) == []
