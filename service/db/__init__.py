"""Database engine and sessions: one session per request, opened lazily, closed on teardown.

SQLite (the embedded default) runs in WAL mode with a busy timeout and foreign keys on, and
its writers queue for the write lock instead of polling for it (`sqlite_writers`);
PostgreSQL is reached through psycopg 3. Repositories never commit: a use case commits once.

The web app's engine bounds each statement (`KINERJA_DB_STATEMENT_TIMEOUT_MS`): PostgreSQL
cancels a statement that runs or waits for a lock longer (`statement_timeout`), and on SQLite
the same figure caps the wait for the write lock. The error is an `OperationalError`, which
`service.ops.unavailable` answers with 503 and Retry-After, so a stuck query frees its worker
instead of holding it until gunicorn kills it. The CLI's engines (score, train, import,
backup) have no such bound: a batch statement may rightly run for minutes.

Rows that only record that something happened (the audit row of a read) can be queued with
`insert_on_commit`: they are inserted as the session commits, in one statement, and dropped
when it rolls back, so they are durable exactly when the answer they record is.
"""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from flask import Flask
from flask import current_app
from flask import g
from sqlalchemy import Engine
from sqlalchemy import Table
from sqlalchemy import create_engine
from sqlalchemy import event
from sqlalchemy import insert
from sqlalchemy.engine import Connection
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session
from sqlalchemy.orm import SessionTransaction
from sqlalchemy.orm import sessionmaker

from service.db.sqlite_writers import WriterLock
from service.db.sqlite_writers import connection_factory
from service.db.sqlite_writers import lock_path

SQLITE_BUSY_TIMEOUT_MS = 10_000
#: Seconds a PostgreSQL connection attempt may take, so a lost database answers 503 quickly.
PG_CONNECT_TIMEOUT_S = 3
_QUEUED = "kinerja.insert_on_commit"


@dataclass(frozen=True)
class Database:
    """The engine and session factory of one app, kept in `app.extensions["db"]`."""

    engine: Engine
    sessions: sessionmaker[Session]


def normalise_url(url: str) -> str:
    """Use the psycopg 3 driver for plain `postgresql://` URLs."""
    parsed = make_url(url)
    if parsed.drivername in {"postgresql", "postgres"}:
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def _sqlite_settings(busy_timeout_ms: int) -> Callable[[Any, Any], None]:
    def configure(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={busy_timeout_ms}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    return configure


def _statement_timeout(timeout_ms: int) -> Callable[[Any, Any], None]:
    """Set PostgreSQL's `statement_timeout` on each new connection, committed so that the
    first transaction's rollback does not undo it (a SET, not the startup packet's
    `options`, which connection poolers such as PgBouncer refuse)."""

    def configure(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.execute(f"SET statement_timeout = {int(timeout_ms)}")
        dbapi_connection.commit()

    return configure


def make_engine(url: str, statement_timeout_ms: int | None = None, **kwargs: Any) -> Engine:
    """Create an engine with the per-backend settings this service relies on.

    `statement_timeout_ms` (the web app's, not the CLI's): PostgreSQL cancels a longer
    statement; SQLite waits at most that long for the write lock (at most its 10 s anyway).
    """
    url = normalise_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        busy_ms = min(SQLITE_BUSY_TIMEOUT_MS, statement_timeout_ms or SQLITE_BUSY_TIMEOUT_MS)
        timeout = busy_ms / 1000
        connect_args: dict[str, Any] = {"timeout": timeout}
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
            lock = WriterLock(lock_path(parsed.database), timeout)
            connect_args["factory"] = connection_factory(lock)
        engine = create_engine(url, connect_args=connect_args, **kwargs)
        event.listen(engine, "connect", _sqlite_settings(busy_ms))
        return engine
    connect_args = {"connect_timeout": PG_CONNECT_TIMEOUT_S, **kwargs.pop("connect_args", {})}
    engine = create_engine(url, pool_pre_ping=True, connect_args=connect_args, **kwargs)
    if statement_timeout_ms:
        event.listen(engine, "connect", _statement_timeout(statement_timeout_ms))
    return engine


def make_database(url: str, statement_timeout_ms: int | None = None) -> Database:
    """Build the engine and its session factory (whose sessions honour `insert_on_commit`);
    `statement_timeout_ms` as `make_engine`'s (None: no bound, as for the CLI)."""
    engine = make_engine(url, statement_timeout_ms)
    sessions = sessionmaker(engine, expire_on_commit=False)
    event.listen(sessions, "before_commit", _insert_queued)
    event.listen(sessions, "after_transaction_end", _drop_queued)
    return Database(engine, sessions)


#: Rows per INSERT of `insert_on_commit`'s queue: a statement binds at most 65,535
#: parameters on PostgreSQL (32,766 on SQLite), so a longer queue (the audit rows of a
#: large unit's export) is written in blocks.
QUEUE_BLOCK = 1_000


def insert_on_commit(session: Session, table: Table, rows: list[dict[str, Any]]) -> None:
    """Queue `rows` of `table` to be inserted when `session` commits; a rollback drops them.

    Written last, in one statement per table (per `QUEUE_BLOCK` rows): on SQLite, a session
    that has written nothing else inserts up to a block in autocommit mode, so the
    database's single write lock is held for one statement and never while the request's
    thread waits for the GIL; more rows go in the session's transaction. Only sessions made
    by `make_database` (every request's and every CLI's) run the queue.
    """
    if rows:
        if not session.in_transaction():
            session.begin()  # so that a rollback, which ends it, drops the rows
        session.info.setdefault(_QUEUED, {}).setdefault(table, []).extend(rows)


def _insert_queued(session: Session) -> None:
    queued: dict[Table, list[dict[str, Any]]] | None = session.info.pop(_QUEUED, None)
    if not queued:
        return
    connection = session.connection()
    for table, rows in queued.items():
        if len(rows) == 1:
            _execute_alone(connection, _insert_one(table), rows[0])
        elif len(rows) <= QUEUE_BLOCK:
            _execute_alone(connection, insert(table).values(rows), None)
        else:  # several statements: in the session's transaction, all or none
            for start in range(0, len(rows), QUEUE_BLOCK):
                connection.execute(insert(table).values(rows[start : start + QUEUE_BLOCK]))


@cache
def _insert_one(table: Table) -> Any:
    """One INSERT construct per table: building it again for each audited read (and its
    cache key for the compiled-statement cache) cost about 19 us a time."""
    return insert(table)


def _execute_alone(connection: Connection, statement: Any, params: Any) -> None:
    """Execute one INSERT; on SQLite outside a write transaction, as its own transaction."""
    raw = connection.connection.driver_connection
    if connection.dialect.name != "sqlite" or raw is None or raw.in_transaction:
        connection.execute(statement, params)
        return
    level = raw.isolation_level
    raw.isolation_level = None  # autocommit: the statement takes and frees the lock itself
    try:
        connection.execute(statement, params)
    finally:
        raw.isolation_level = level


def _drop_queued(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:
        session.info.pop(_QUEUED, None)


def init_app(app: Flask) -> None:
    """Attach the database to `app`; no connection is opened until first use."""
    timeout = app.config.get("KINERJA_DB_STATEMENT_TIMEOUT_MS")  # config.STATEMENT_TIMEOUT_MS
    app.extensions["db"] = make_database(app.config["DATABASE_URL"], timeout or None)
    app.teardown_appcontext(close_session)


def get_database() -> Database:
    return current_app.extensions["db"]


def get_session() -> Session:
    """Return this request's session, opening it on first use."""
    session: Session | None = g.get("db_session")  # one lookup of `g` (three per request)
    if session is None:
        session = g.db_session = get_database().sessions()
    return session


def close_session(_exc: BaseException | None = None) -> None:
    session = g.pop("db_session", None)
    if session is not None:
        session.close()


@contextmanager
def session_scope(database: Database) -> Iterator[Session]:
    """Yield a session that commits on success and rolls back on error (CLI and jobs)."""
    session = database.sessions()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
