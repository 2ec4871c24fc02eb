"""Database engine and sessions: one session per request, opened lazily, closed on teardown.

SQLite (the embedded default) runs in WAL mode with a busy timeout and foreign keys on;
PostgreSQL is reached through psycopg 3. Repositories never commit: a use case commits once.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import Flask
from flask import current_app
from flask import g
from sqlalchemy import Engine
from sqlalchemy import create_engine
from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session
from sqlalchemy.orm import sessionmaker

SQLITE_BUSY_TIMEOUT_MS = 10_000
#: Seconds a PostgreSQL connection attempt may take, so a lost database answers 503 quickly.
PG_CONNECT_TIMEOUT_S = 3


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


def _configure_sqlite(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def make_engine(url: str, **kwargs: Any) -> Engine:
    """Create an engine with the per-backend settings this service relies on."""
    url = normalise_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}, **kwargs
        )
        event.listen(engine, "connect", _configure_sqlite)
        return engine
    connect_args = {"connect_timeout": PG_CONNECT_TIMEOUT_S, **kwargs.pop("connect_args", {})}
    return create_engine(url, pool_pre_ping=True, connect_args=connect_args, **kwargs)


def make_database(url: str) -> Database:
    """Build the engine and its session factory."""
    engine = make_engine(url)
    return Database(engine, sessionmaker(engine, expire_on_commit=False))


def init_app(app: Flask) -> None:
    """Attach the database to `app`; no connection is opened until first use."""
    app.extensions["db"] = make_database(app.config["DATABASE_URL"])
    app.teardown_appcontext(close_session)


def get_database() -> Database:
    return current_app.extensions["db"]


def get_session() -> Session:
    """Return this request's session, opening it on first use."""
    if "db_session" not in g:
        g.db_session = get_database().sessions()
    return g.db_session


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
