"""One SQLite connection per thread, kept for the lone statements of a read.

The risk read answered from a worker's memo runs two statements outside any session: the
change counter's primary-key read and, for someone else's employee, the audit INSERT
(`service.db.repositories.access`). On a pooled connection each paid a checkout and a
return (with its rollback) around it, through SQLAlchemy's pool in Python: more than the
read itself and about a third of the INSERT (2 threads and a second writing process: 70-80
-> 43-48 us CPU for both). So each thread keeps one connection of its own per engine, in
autocommit mode (a write commits as it returns: durable as the database's `synchronous`
says, the same setting, since the pool's `connect` listeners set the connection up), and
runs them on plain cursors: reads without the writer queue, writes in it
(`QueuedConnection.write_alone`).

Only SQLite database files (whose connections queue their writers, `service.db.sqlite_writers`)
keep one; PostgreSQL and in-memory SQLite (None here) use the pool as before. A connection is
taken from the engine's pool and detached from it; when the engine's pool is replaced
(`engine.dispose()`: after a fork, after a restore) every thread opens a new one on its next
statement; a connection inherited across a fork is never used in the child.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import weakref
from dataclasses import dataclass
from dataclasses import field

from sqlalchemy import Engine
from sqlalchemy.pool import Pool

_PID = [os.getpid()]
os.register_at_fork(after_in_child=lambda: _PID.__setitem__(0, os.getpid()))
#: Per pool (a disposed engine has a new one): the threads' kept connections, or None where
#: the engine keeps none.
_KEPT: weakref.WeakKeyDictionary[Pool, threading.local | None] = weakref.WeakKeyDictionary()
_KEPT_LOCK = threading.Lock()
#: A thread's connection inherited from the parent process: left alone (never closed here).
_INHERITED: list[Kept] = []


@dataclass(frozen=True)
class Kept:
    """A thread's own connection (autocommit) and the plain cursor its reads run on."""

    connection: sqlite3.Connection
    cursor: sqlite3.Cursor
    pid: int = field(default_factory=lambda: _PID[0])


def kept_connection(engine: Engine) -> Kept | None:
    """This thread's own connection to `engine`'s SQLite file; None where there is none
    (PostgreSQL, in-memory SQLite: use the pool)."""
    pool = engine.pool
    try:
        threads = _KEPT[pool]
    except KeyError:
        threads = _threads_of(engine, pool)
    if threads is None:
        return None
    kept: Kept | None = getattr(threads, "kept", None)
    if kept is None or kept.pid != _PID[0]:
        if kept is not None:
            _INHERITED.append(kept)
        kept = threads.kept = _open(engine)
    return kept


def discard_kept_connection(engine: Engine) -> None:
    """Close this thread's own connection to `engine` (after an error): the next opens anew."""
    threads = _KEPT.get(engine.pool)
    kept: Kept | None = getattr(threads, "kept", None)
    if threads is None or kept is None:
        return
    del threads.kept
    if kept.pid == _PID[0]:
        kept.connection.close()


def _threads_of(engine: Engine, pool: Pool) -> threading.local | None:
    with _KEPT_LOCK:
        if pool not in _KEPT:
            database = engine.url.database
            keeps = engine.dialect.name == "sqlite" and database not in (None, "", ":memory:")
            _KEPT[pool] = threading.local() if keeps else None
        return _KEPT[pool]


def _open(engine: Engine) -> Kept:
    """A connection made by the engine's pool (its `connect` listeners ran), detached."""
    pooled = engine.raw_connection()
    connection = pooled.driver_connection
    pooled.detach()
    if not isinstance(connection, sqlite3.Connection) or not hasattr(connection, "write_alone"):
        raise TypeError(f"{engine.url!r} does not queue its writers (service.db.make_engine)")
    connection.isolation_level = None
    return Kept(connection, sqlite3.Cursor(connection))
