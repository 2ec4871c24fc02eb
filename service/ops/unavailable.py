"""A lost database answers 503 problem+json with Retry-After, quickly, on every route.

The engine bounds the wait (PostgreSQL `connect_timeout`, SQLite's busy timeout) and checks
pooled connections before use (`pool_pre_ping`), so when the database comes back the next
request simply works. `OperationalError` covers refused, dropped and timed-out connections,
a database that does not exist or cannot be opened, and a locked SQLite file; a full pool
(`sqlalchemy.exc.TimeoutError`) is the same condition for the client, and so is a write that
a read-only PostgreSQL refuses (a standby after a failover: `handle_internal_error`).

Flask looks for a handler in the blueprint's own handlers before the app's, so a blueprint
with a catch-all `Exception` handler (the API's) would answer 500 first: `register` also adds
this handler to every blueprint registered so far that has none of its own for these errors.
Call it after the blueprints are registered (last in `create_app`).
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask
from flask import Response
from flask import current_app
from flask import g
from flask import request
from sqlalchemy.exc import InternalError
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

from service.ops.problem import problem

UNAVAILABLE_ERRORS: tuple[type[SQLAlchemyError], ...] = (OperationalError, PoolTimeoutError)
#: PostgreSQL's SQLSTATE for a write refused by a read-only database (a standby after a
#: failover, read-only maintenance): an InternalError, and the same condition for a client.
READ_ONLY_SQLSTATE = "25006"
RETRY_AFTER_SECONDS = 5
_BACKENDS = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
log = logging.getLogger(__name__)


def handle_database_unavailable(exc: SQLAlchemyError) -> Response:
    """Answer 503 naming the database; the client should retry after a few seconds."""
    _rollback()
    log.warning("database unavailable: %s", describe(exc))
    engine = current_app.extensions["db"].engine
    backend = _BACKENDS.get(engine.dialect.name, engine.dialect.name)
    detail = (
        f"The {backend} database is unavailable (unreachable or not answering in time); "
        f"retry after {RETRY_AFTER_SECONDS} seconds."
    )
    return problem(503, detail, {"Retry-After": str(RETRY_AFTER_SECONDS)})


def handle_internal_error(exc: InternalError) -> Response:
    """A read-only database answers 503, and the pool starts again: its connections began
    with the read-only default (or reach a demoted primary), and would keep refusing writes
    after the database takes them again. Other internal errors go to the handler that
    would have had them (the blueprint's or the app's for `Exception`)."""
    if getattr(getattr(exc, "orig", None), "sqlstate", None) == READ_ONLY_SQLSTATE:
        response = handle_database_unavailable(exc)
        current_app.extensions["db"].engine.dispose()
        return response
    for name in (*request.blueprints, None):
        handler = current_app.error_handler_spec.get(name, {}).get(None, {}).get(Exception)
        if handler is not None:
            return handler(exc)  # type: ignore[no-any-return]
    raise exc


def describe(exc: SQLAlchemyError) -> str:
    """Name the driver's error in one short line, without the statement or its parameters."""
    original = getattr(exc, "orig", None) or exc
    first_line = (str(original).strip().splitlines() or [""])[0][:200]
    return f"{type(original).__name__}: {first_line}"


def register(app: Flask) -> None:
    """Handle the database errors app-wide and in every registered blueprint."""
    handlers: dict[type[SQLAlchemyError], Any] = dict.fromkeys(
        UNAVAILABLE_ERRORS, handle_database_unavailable
    )
    handlers[InternalError] = handle_internal_error
    for error, handler in handlers.items():
        app.register_error_handler(error, handler)
        for name in app.blueprints:
            app.error_handler_spec[name][None].setdefault(error, handler)


def _rollback() -> None:
    session = g.get("db_session")
    if session is None:
        return
    try:
        session.rollback()
    except SQLAlchemyError:  # the connection is gone; the teardown closes the session
        log.debug("rollback after a lost database failed", exc_info=True)
