"""SQLite writers of this service queue for the write lock instead of polling for it."""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import text

from service.db import make_database
from service.db.sqlite_writers import WriterLock
from service.db.sqlite_writers import connection_factory


def _database(tmp_path: Path):  # type: ignore[no-untyped-def]
    database = make_database(f"sqlite:///{tmp_path / 'queue.db'}")
    with database.engine.begin() as connection:
        connection.execute(text("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)"))
    return database


def test_a_second_writer_waits_for_the_first_to_commit(tmp_path: Path) -> None:
    database = _database(tmp_path)
    first = database.engine.connect()
    first.execute(text("INSERT INTO notes (body) VALUES ('first')"))  # holds the queue
    order: list[str] = []

    def second() -> None:
        with database.engine.begin() as connection:
            connection.execute(text("INSERT INTO notes (body) VALUES ('second')"))
        order.append("second committed")

    thread = threading.Thread(target=second)
    thread.start()
    time.sleep(0.3)
    assert order == []  # waiting in the queue, not failed
    order.append("first commits")
    first.commit()
    thread.join(timeout=5)
    assert order == ["first commits", "second committed"]
    with database.engine.connect() as connection:
        bodies = connection.scalars(text("SELECT body FROM notes ORDER BY id")).all()
    assert bodies == ["first", "second"]
    first.close()


def test_readers_never_wait(tmp_path: Path) -> None:
    database = _database(tmp_path)
    with database.engine.connect() as writer:
        writer.execute(text("INSERT INTO notes (body) VALUES ('pending')"))
        with database.engine.connect() as reader:
            assert reader.scalar(text("SELECT count(*) FROM notes")) == 0


def test_a_rolled_back_or_failed_write_frees_the_queue(tmp_path: Path) -> None:
    database = _database(tmp_path)
    with database.engine.connect() as connection:
        connection.execute(text("INSERT INTO notes (body) VALUES ('undone')"))
        connection.rollback()
        with pytest.raises(Exception):  # noqa: B017 (the database's error)
            connection.execute(text("INSERT INTO missing_table VALUES (1)"))
        connection.rollback()
    with database.engine.begin() as connection:  # would wait forever if the lock leaked
        connection.execute(text("INSERT INTO notes (body) VALUES ('after')"))


def test_waiting_is_bounded_by_the_timeout(tmp_path: Path) -> None:
    lock = WriterLock(str(tmp_path / "bounded.writers"), timeout=0.2)
    path = tmp_path / "bounded.db"
    holder = sqlite3.connect(path, factory=connection_factory(lock), timeout=0.2)
    holder.execute("CREATE TABLE t (x)")
    holder.cursor().execute("INSERT INTO t VALUES (1)")
    waiter = sqlite3.connect(
        path, factory=connection_factory(lock), timeout=0.2, check_same_thread=False
    )
    started = time.monotonic()
    errors: list[BaseException] = []

    def write() -> None:
        try:
            waiter.cursor().execute("INSERT INTO t VALUES (2)")
        except sqlite3.OperationalError as exc:
            errors.append(exc)

    thread = threading.Thread(target=write)
    thread.start()
    thread.join(timeout=5)
    assert errors and "locked" in str(errors[0])
    assert time.monotonic() - started < 2
    holder.commit()
    holder.close()
    waiter.close()


def test_a_lone_autocommit_write_queues_and_frees_the_queue(tmp_path: Path) -> None:
    """The audit row of a read (autocommit) waits in the queue, not in SQLite's busy handler."""
    lock = WriterLock(str(tmp_path / "lone.writers"), timeout=5)
    path = tmp_path / "lone.db"
    holder = sqlite3.connect(path, factory=connection_factory(lock), timeout=5)
    holder.execute("CREATE TABLE t (x)")
    holder.commit()
    holder.cursor().execute("INSERT INTO t VALUES (1)")  # holds the queue
    lone = sqlite3.connect(
        path, factory=connection_factory(lock), timeout=5, isolation_level=None,
        check_same_thread=False,
    )  # fmt: skip
    done: list[str] = []

    def write() -> None:
        lone.cursor().execute("INSERT INTO t VALUES (2)")
        done.append("lone written")

    thread = threading.Thread(target=write)
    thread.start()
    time.sleep(0.3)
    assert done == [] and not lone.holds_lock  # type: ignore[attr-defined]
    holder.commit()
    thread.join(timeout=5)
    assert done == ["lone written"]
    assert not lone.holds_lock  # type: ignore[attr-defined]
    lone.cursor().execute("INSERT INTO t VALUES (3)")  # would time out if the lock leaked
    assert holder.execute("SELECT count(*) FROM t").fetchone() == (3,)
    holder.close()
    lone.close()
