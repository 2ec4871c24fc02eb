"""SQLite writers wait in a queue instead of polling: one write transaction at a time.

SQLite allows one writer per database file. A second writer gets SQLITE_BUSY and its busy
handler sleeps 1, 2, 5, 10, ... ms before it tries again, so under concurrent writes (gunicorn
workers, each with threads) the lock sits idle while everyone sleeps and throughput
collapses. Here every connection of this service takes a writer lock before its first write
statement and gives it back when its transaction ends: the threads of one process queue on a
`threading.Lock` and wake as soon as it is free; the one thread per process at the head of
its queue then takes an `flock` on `<database>.writers`, retrying every 0.1-1 ms while
another process holds it. Readers never wait (WAL).

The lock only orders our own writers; SQLite's locking still guarantees correctness, so a
statement the check below does not recognise as a write, or a process that does not use this
module (the sqlite3 shell), merely falls back to the busy handler. Waiting is bounded by the
busy timeout, after which the statement fails as on a locked database.

A connection kept for lone writes (the audit row of a read, `service.db.repositories.access`)
runs them with `write_alone`: the queue around one statement on a plain cursor, without the
per-statement check of the queued cursor.
"""

from __future__ import annotations

import fcntl
import os
import sqlite3
import threading
import time
from collections.abc import Callable
from typing import Any

_WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE", "CREATE", "DROP", "ALTER")
_FIRST_WAIT_S = 0.0001
_LONGEST_WAIT_S = 0.001
_PID = [os.getpid()]  # this process's id, kept current across forks (no syscall per lock)
os.register_at_fork(after_in_child=lambda: _PID.__setitem__(0, os.getpid()))


def lock_path(database: str) -> str:
    """The file whose `flock` orders the writers of the SQLite file `database`."""
    return f"{database}.writers"


class WriterLock:
    """Mutual exclusion of write transactions across threads and processes on one file."""

    def __init__(self, path: str, timeout: float) -> None:
        self.path = path
        self.timeout = timeout
        self._threads = threading.Lock()
        self._file: tuple[int, int] | None = None  # (pid, fd): a fork must open its own

    def acquire(self) -> None:
        """Wait for the lock; `sqlite3.OperationalError` after `timeout` seconds."""
        deadline = time.monotonic() + self.timeout
        if not self._threads.acquire(timeout=self.timeout):
            raise sqlite3.OperationalError("database is locked (writer queue timed out)")
        try:
            self._lock_file(deadline)
        except BaseException:
            self._threads.release()
            raise

    def _lock_file(self, deadline: float) -> None:
        descriptor = self._descriptor()
        wait = _FIRST_WAIT_S
        while True:
            try:
                fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    message = "database is locked (another process writes)"
                    raise sqlite3.OperationalError(message) from None
                time.sleep(wait)
                wait = min(wait * 2, _LONGEST_WAIT_S)

    def release(self) -> None:
        fcntl.flock(self._descriptor(), fcntl.LOCK_UN)
        self._threads.release()

    def _descriptor(self) -> int:
        pid = _PID[0]
        if self._file is None or self._file[0] != pid:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
            self._file = (pid, fd)
        return self._file[1]


def connection_factory(lock: WriterLock) -> type[sqlite3.Connection]:
    """Return a `sqlite3.Connection` class whose write transactions hold `lock`."""

    class QueuedCursor(sqlite3.Cursor):
        def execute(self, sql: str, parameters: Any = (), /) -> QueuedCursor:
            return self._queued(super().execute, sql, parameters)

        def executemany(self, sql: str, seq_of_parameters: Any, /) -> QueuedCursor:
            return self._queued(super().executemany, sql, seq_of_parameters)

        def _queued(self, run: Callable[[str, Any], Any], sql: str, args: Any) -> QueuedCursor:
            connection: QueuedConnection = self.connection  # type: ignore[assignment]
            connection.before_statement(sql)
            try:
                run(sql, args)
            finally:
                connection.after_statement()
            return self

    class QueuedConnection(sqlite3.Connection):
        holds_lock = False
        _plain: sqlite3.Cursor | None = None

        def cursor(self, factory: Any = QueuedCursor) -> Any:  # type: ignore[override]
            return super().cursor(factory)

        def before_statement(self, sql: str) -> None:
            """Queue before the first write of a transaction, or before a lone write.

            A lone statement in autocommit mode (the audit row of a read) queues too: without
            the queue it meets another process's writer in SQLite's busy handler, which sleeps
            1, 2, 5, 10 ms between tries, the reads' tail latency. Ours is freed as soon as
            the statement returns and this thread has the GIL back (`kinerja serve` shortens
            the switch interval to 1 ms for that).
            """
            if self.holds_lock:
                return
            if sql.lstrip()[:7].upper().startswith(_WRITES):
                lock.acquire()
                self.holds_lock = True

        def write_alone(self, sql: str, parameters: Any) -> None:
            """Run one write statement as a transaction of its own, queued for it alone.

            For a connection in autocommit mode (`isolation_level` None) that is in no
            transaction: the statement commits as it returns (durable as the database's
            `synchronous` says), and the queue is held around it only, on a plain cursor
            kept for it (a lone write needs no check of what the statement is).
            """
            if self.isolation_level is not None or self.in_transaction or self.holds_lock:
                raise sqlite3.ProgrammingError("write_alone needs an autocommit connection")
            if self._plain is None:
                self._plain = sqlite3.Cursor(self)
            lock.acquire()
            try:
                self._plain.execute(sql, parameters)
            finally:
                lock.release()

        def after_statement(self) -> None:
            if self.holds_lock and not self.in_transaction:  # autocommit, or it failed
                self._release()

        def commit(self) -> None:
            try:
                super().commit()
            finally:
                self.after_statement()

        def rollback(self) -> None:
            try:
                super().rollback()
            finally:
                self.after_statement()

        def close(self) -> None:
            try:
                super().close()
            finally:
                if self.holds_lock:
                    self._release()

        def _release(self) -> None:
            self.holds_lock = False
            lock.release()

    return QueuedConnection
