"""WAL checkpoints of `kinerja serve` run in a background thread, not inside a request's commit."""

from __future__ import annotations

import os
import time
from pathlib import Path

from sqlalchemy import text

from service.db import Database
from service.db import make_database
from service.db.checkpoints import start_checkpointer

ROWS = 1500  # of 3,000 bytes: past SQLite's default threshold of 1,000 pages
PAGE = 4096


def _filled(tmp_path: Path, interval: float) -> tuple[Path, Database]:
    path = tmp_path / "ckpt.db"
    database = make_database(f"sqlite:///{path}")
    with database.engine.begin() as connection:
        connection.execute(text("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)"))
    thread = start_checkpointer(database.engine, interval=interval)
    assert thread is not None and thread.is_alive()
    with database.engine.connect() as connection:
        assert connection.scalar(text("PRAGMA wal_autocheckpoint")) == 0
        for _ in range(ROWS):
            connection.execute(text("INSERT INTO notes (body) VALUES (:b)"), {"b": "x" * 3000})
            connection.commit()
    return path, database


def test_no_commit_checkpoints(tmp_path: Path) -> None:
    path, database = _filled(tmp_path, interval=3600)  # the thread sleeps through the test
    assert os.stat(f"{path}-wal").st_size > 1000 * PAGE  # the log kept every frame
    assert os.stat(path).st_size < 100 * PAGE  # and no commit copied it to the database
    with database.engine.connect() as connection:
        assert connection.scalar(text("SELECT count(*) FROM notes")) == ROWS


def test_the_background_thread_checkpoints(tmp_path: Path) -> None:
    path, database = _filled(tmp_path, interval=0.05)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and os.stat(path).st_size < ROWS * 3000:
        time.sleep(0.05)
    assert os.stat(path).st_size >= ROWS * 3000  # the rows reached the database file
    with database.engine.connect() as connection:
        assert connection.scalar(text("SELECT count(*) FROM notes")) == ROWS


def test_other_databases_get_no_thread() -> None:
    assert start_checkpointer(make_database("sqlite://").engine) is None
