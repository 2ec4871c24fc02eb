"""Liveness and readiness probes, outside /api/v1 so load balancers need no token."""

from __future__ import annotations

import re
from typing import Any

from flask import Blueprint
from flask import Flask
from flask import current_app
from sqlalchemy import Engine
from sqlalchemy import inspect
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import SQLAlchemyError

from service.db import get_database
from service.db.compatibility import incompatibilities
from service.db.migrate import head_revision
from service.db.migrate import known_revisions

bp = Blueprint("health", __name__)
#: The user and password part of a URL (`scheme://user:password@host`).
_CREDENTIALS = re.compile(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*://)[^/\s@]+@")
_VERSION = text("SELECT version_num FROM alembic_version")


@bp.get("/healthz")
def healthz() -> dict[str, str]:
    """Answer as long as the process serves requests."""
    return {"status": "ok"}


def database_status() -> dict[str, Any]:
    """Check that the database answers and that this code can run on its schema.

    `schema_state` says where the schema stands against the code's head revision:
    `current` (ready); `newer`, migrated by a newer release during a rolling upgrade (ready
    while it keeps everything this code maps: `service.db.compatibility`; otherwise not,
    with the reasons in `problems`); `behind`, a revision this code migrates further (not
    ready: run `kinerja init-db`); `not_migrated` (not ready).
    """
    engine = get_database().engine
    head = head_revision()
    try:
        current = _current_revision(engine)
        state, problems = _schema_state(engine, current, head)
    except SQLAlchemyError as exc:
        return {"ok": False, "error": type(exc).__name__}
    body = {"ok": state in {"current", "newer"}, "schema": current, "head": head}
    body["schema_state"] = state if not problems else "newer_incompatible"
    if problems:
        body["ok"], body["problems"] = False, list(problems)
    return body


def _current_revision(engine: Engine) -> str | None:
    """The schema's revision, read on one pooled connection by one statement (which also
    shows that the database answers); None when the database was never migrated.

    Alembic's own reading (`migrate.current_revision`) inspects the table first and took a
    connection of its own after a `SELECT 1` on another: 2-4 statements and two pool
    checkouts, each pinged on PostgreSQL, per probe of every worker.
    """
    with engine.connect() as connection:
        try:
            return connection.scalar(_VERSION)
        except DBAPIError:
            connection.rollback()
            if inspect(connection).has_table("alembic_version"):
                raise  # not a missing table: a lock, a timeout, a lost connection
            return None


def _schema_state(engine: Engine, current: str | None, head: str) -> tuple[str, tuple[str, ...]]:
    if current == head:
        return "current", ()
    if current is None:
        return "not_migrated", ()
    if current in known_revisions():
        return "behind", ()
    return "newer", incompatibilities(engine, current)


def model_status() -> dict[str, Any]:
    """Report each served model (the risk model and the recommender: name, alias, version,
    source, fallback, loading); serving adds a provider in app.extensions["models"].

    It never waits for a worker's first model load (started at boot, in the background): a
    model still loading is reported as `loading`, with its version once known."""
    provider = current_app.extensions.get("models")
    if provider is None:
        return {"ok": True, "models": {}}
    return _without_credentials(provider.status())


def _without_credentials(value: Any) -> Any:
    """`value` with the credentials of every URL in its strings replaced by `***`: /readyz
    answers anyone, and a model's error quotes the tracking server's URL as configured."""
    if isinstance(value, str):
        return _CREDENTIALS.sub(r"\g<scheme>***@", value) if "@" in value else value
    if isinstance(value, dict):
        return {key: _without_credentials(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_without_credentials(item) for item in value]
    return value


@bp.get("/readyz")
def readyz() -> tuple[dict[str, Any], int]:
    """Ready when the database is reachable and its schema is this code's head, or newer and
    compatible (a rolling upgrade: `database_status`); models may be in fallback or loading.

    Requests do not need the model to be loaded to be answered: a risk read that a stored
    score answers needs only its version, and one computed live waits for the first load.
    """
    database = database_status()
    models = model_status()
    ready = database["ok"]
    body = {"status": "ready" if ready else "not_ready", "database": database, "models": models}
    return body, 200 if ready else 503


def init_app(app: Flask) -> None:
    """Serve the probes, with the schema revisions of the code this process runs read now.

    Read on the first probe instead, they were those of the migration scripts on disk by
    then: after new code was installed under a running process (an in-place upgrade before
    its restart; a test session while a migration is added to the tree), the process took
    the new head for its own and answered 503, `behind`, on the schema its code fits.
    """
    head_revision()
    known_revisions()
    app.register_blueprint(bp)
