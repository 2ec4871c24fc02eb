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

A read-only request may run its lone SELECT there too (`LoneSelect`, the evaluation read): the
SQL and each column's conversion are made once, so a run skips SQLAlchemy's per-execution work
(the statement's cache key, its parameters and result set-up) as well as the session's
transaction and the pool's checkout and return. The same compiled statement can run on
the driver's cursor of a session's own connection, in its transaction (`Prepared.first_on`:
the evaluation write's INSERT), skipping the per-execution work only.

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
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field
from typing import Any

from sqlalchemy import Dialect
from sqlalchemy import Engine
from sqlalchemy import Row
from sqlalchemy import Select
from sqlalchemy.engine import Connection
from sqlalchemy.engine.result import result_tuple
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session
from sqlalchemy.pool import Pool
from sqlalchemy.sql.expression import Executable

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
    """A connection made by the engine's pool (its `connect` listeners ran), detached.

    The driver's error when it cannot connect (the file gone or unreadable) is raised as
    SQLAlchemy's, as a session's connect raises it, so the API answers 503 for it
    (`service.ops.unavailable`), not 500: `raw_connection` leaves it unwrapped.
    """
    try:
        pooled = engine.raw_connection()
    except sqlite3.Error as error:
        raise DBAPIError.instance(None, None, error, sqlite3.Error) from error
    connection = pooled.driver_connection
    pooled.detach()
    if not isinstance(connection, sqlite3.Connection) or not hasattr(connection, "write_alone"):
        raise TypeError(f"{engine.url!r} does not queue its writers (service.db.make_engine)")
    connection.isolation_level = None
    return Kept(connection, sqlite3.Cursor(connection))


class Prepared:
    """A Core statement (a select, or a DML statement with RETURNING) compiled once per
    dialect, run on SQLite on a plain driver cursor.

    `first_on(connection, params)` answers as `connection.execute(statement, params).first()`
    would (`all_on` as `.all()`): a `Row` with the statement's column names and each value
    converted by its column's type, or None. On a SQLite connection it runs the SQL compiled
    once on the driver's cursor of that same connection (in its transaction, queued for the
    writer lock as any statement of it is: `sqlite_writers`), skipping SQLAlchemy's
    per-execution work (the statement's cache key, its parameters and the result's set-up:
    30-40 us of CPU a statement); elsewhere (PostgreSQL) SQLAlchemy executes it. A driver
    error is raised as SQLAlchemy's (`IntegrityError`, `OperationalError`), as an execution
    through SQLAlchemy raises it. An INSERT names its columns in `column_keys` (the keys of
    its `params`); a column left out that has a constant Python default gets it, as
    SQLAlchemy gives it.
    """

    def __init__(self, statement: Executable, column_keys: Sequence[str] | None = None) -> None:
        self.statement = statement
        self.column_keys = None if column_keys is None else list(column_keys)
        self._prepared: _Prepared | None = None

    def first_on(self, connection: Connection, params: dict[str, Any]) -> Row[Any] | None:
        """The statement's first row for `params` on `connection`, or None."""
        raw = connection.connection.driver_connection
        if connection.dialect.name != "sqlite" or raw is None:
            return connection.execute(self.statement, params).first()
        prepared = self.prepared(connection.dialect)
        rows = self._fetch(raw, prepared, params)
        return prepared.row(rows[0]) if rows else None

    def all_on(self, connection: Connection, params: dict[str, Any]) -> list[Row[Any]]:
        """Every row of the statement for `params` on `connection`, as `first_on` answers
        its first (`connection.execute(statement, params).all()`)."""
        raw = connection.connection.driver_connection
        if connection.dialect.name != "sqlite" or raw is None:
            return list(connection.execute(self.statement, params).all())
        prepared = self.prepared(connection.dialect)
        return [prepared.row(row) for row in self._fetch(raw, prepared, params)]

    @staticmethod
    def _fetch(raw: Any, prepared: _Prepared, params: dict[str, Any]) -> list[Any]:
        """The driver's rows of `prepared` for `params` on the SQLite connection `raw`."""
        values = prepared.values(params)
        cursor = raw.cursor()
        try:
            return cursor.execute(prepared.sql, values).fetchall()
        except sqlite3.Error as error:
            raise DBAPIError.instance(prepared.sql, values, error, sqlite3.Error) from error
        finally:
            cursor.close()

    def prepared(self, dialect: Dialect) -> _Prepared:
        """The statement compiled for `dialect` (kept: one dialect per engine)."""
        prepared = self._prepared
        if prepared is None or prepared.dialect is not dialect:
            prepared = self._prepared = _Prepared.of(self.statement, dialect, self.column_keys)
        return prepared


class LoneSelect(Prepared):
    """A Core select built once, run alone on this thread's own connection when it can be.

    `first(session, params)` answers as `session.connection().execute(statement,
    params).first()` would: a `Row` with the statement's column names and each value
    converted by its column's type (enums, datetimes). When the session has no transaction
    and the engine keeps connections (SQLite files), it runs the SQL compiled once on the
    thread's connection, in no transaction but its statement's own: for the evaluation
    read's select of 23 columns, 8-10 us of CPU against 100-120 us through a session (its
    transaction, the pool's checkout and return, and SQLAlchemy's per-execution work: the
    statement's cache key alone is 40 us). Otherwise it runs on the session.
    """

    statement: Select[Any]

    def first(self, session: Session, params: dict[str, Any]) -> Row[Any] | None:
        """The statement's first row for `params` (by bind parameter name), or None."""
        engine = session.get_bind()
        kept = None if session.in_transaction() else kept_connection(engine)
        if kept is None:
            return session.connection().execute(self.statement, params).first()
        prepared = self.prepared(engine.dialect)
        values = prepared.values(params)
        try:
            rows = kept.cursor.execute(prepared.sql, values).fetchall()  # its read ends here
        except sqlite3.Error as error:
            discard_kept_connection(engine)
            raise DBAPIError.instance(prepared.sql, values, error, sqlite3.Error) from error
        return prepared.row(rows[0]) if rows else None


@dataclass(frozen=True)
class _Prepared:
    """A statement compiled for one (positional) dialect, with its values' conversions."""

    dialect: Dialect
    sql: str
    binds: tuple[tuple[str, Any], ...]  # (name, bind processor or None), in the SQL's order
    results: tuple[Any, ...]  # each column's result processor or None
    make_row: Any
    defaults: dict[str, Any]  # constant Python defaults of the INSERT's columns left out

    @classmethod
    def of(
        cls, statement: Any, dialect: Dialect, column_keys: list[str] | None = None
    ) -> _Prepared:
        compiled = statement.compile(dialect=dialect, column_keys=column_keys)
        if not compiled.positional or compiled.post_compile_params:
            raise TypeError("Prepared needs positional binds, each one value (no IN lists)")
        names = compiled.positiontup or ()
        # values the statement carries (a LIMIT's), and constant defaults of INSERT columns
        defaults = {n: compiled.binds[n].effective_value for n in names if not _given(compiled, n)}
        for column in getattr(compiled, "insert_prefetch", ()):
            if column.default is None or not column.default.is_scalar:
                raise TypeError(f"Prepared cannot compute the default of {column}")
            defaults[column.key] = column.default.arg
        binds = tuple(
            (name, compiled.binds[name].type.dialect_impl(dialect).bind_processor(dialect))
            for name in names
        )
        columns = list(statement.exported_columns)
        results = tuple(
            c.type.dialect_impl(dialect).result_processor(dialect, None) for c in columns
        )
        make_row = result_tuple(list(statement.exported_columns.keys()))
        return cls(dialect, str(compiled), binds, results, make_row, defaults)

    def values(self, params: dict[str, Any]) -> tuple[Any, ...]:
        if self.defaults:
            params = self.defaults | params
        return tuple(
            params[name] if convert is None else convert(params[name])
            for name, convert in self.binds
        )

    def row(self, values: Any) -> Row[Any]:
        row: Row[Any] = self.make_row(
            [
                v if convert is None else convert(v)
                for convert, v in zip(self.results, values, strict=True)
            ]
        )
        return row


def _given(compiled: Any, name: str) -> bool:
    """Whether the bind parameter `name` takes its value from the execution's parameters
    (a `bindparam` without a value, or an INSERT's column), not from the statement."""
    bind = compiled.binds[name]
    return bool(bind.required) or bind.value is None and bind.callable is None
