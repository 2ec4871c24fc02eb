"""WAL checkpoints of `kinerja serve` run in a background thread, not inside a request's commit."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

from sqlalchemy import text

from service.db import Database
from service.db import make_database
from service.db.checkpoints import start_checkpointer

ROWS = 1500  # of 3,000 bytes: past SQLite's default threshold of 1,000 pages
PAGE = 4096
COMMITS = 1000


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


def _wal_salt(path: Path) -> bytes:
    """The log header's first salt: SQLite adds one to it each time the log starts again."""
    with open(f"{path}-wal", "rb") as log:
        return log.read(20)[16:20]


def _wal_under_steady_reads(tmp_path: Path, wal_limit: int) -> tuple[int, bool]:
    """The log file's size after 1,000 commits of 3,000 bytes, one a millisecond, while two
    readers (almost) always hold a snapshot, and whether the log started again from its
    beginning."""
    path = tmp_path / "steady.db"
    database = make_database(f"sqlite:///{path}")
    with database.engine.begin() as connection:
        connection.execute(text("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)"))
    salt = _wal_salt(path)
    start_checkpointer(database.engine, interval=0.02, wal_limit=wal_limit)
    stop = threading.Event()

    def read(offset: float) -> None:
        time.sleep(offset)
        with database.engine.connect() as connection:
            while not stop.is_set():
                connection.execute(text("SELECT count(*) FROM notes")).scalar()
                time.sleep(0.004)  # the snapshot stays open (a read transaction)
                connection.rollback()

    readers = [threading.Thread(target=read, args=(offset,)) for offset in (0, 0.002)]
    for reader in readers:
        reader.start()
    try:
        with database.engine.connect() as connection:
            for _ in range(COMMITS):
                connection.execute(text("INSERT INTO notes (body) VALUES (:b)"), {"b": "x" * 3000})
                connection.commit()
                time.sleep(0.001)  # a steady stream, as audited reads write
        size = os.stat(f"{path}-wal").st_size
    finally:
        stop.set()
        for reader in readers:
            reader.join()
    with database.engine.connect() as connection:
        assert connection.scalar(text("SELECT count(*) FROM notes")) == COMMITS
    return size, _wal_salt(path) != salt


def test_steady_reads_starve_passive_checkpoints_and_the_limit_starts_the_log_again(
    tmp_path: Path,
) -> None:
    limit = 256 * PAGE
    # without a limit the log file grows past it (usually it holds every row, about 12 MB: a
    # PASSIVE checkpoint never caught up with the readers, so the log never started again)
    assert _wal_under_steady_reads(tmp_path / "a", wal_limit=1 << 40)[0] > limit
    # with it the log starts again from its beginning, in place: the file is overwritten
    # (never cut while the writers wait), so it stays at about the limit plus the frames
    # written between two looks of the checkpointer
    size, restarted = _wal_under_steady_reads(tmp_path / "b", wal_limit=limit)
    assert restarted
    assert limit < size <= 4 * limit
