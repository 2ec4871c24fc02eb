"""The `kinerja` command line: one click group; training code is imported only when used.

Bad arguments get a clear message and a non-zero exit, and write nothing.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from functools import wraps
from typing import Any

import click

from service.config import ConfigError
from service.config import load_config
from service.db import Database
from service.db import make_database
from service.db import session_scope
from service.domain.errors import DomainError


def _fail(message: str) -> None:
    click.echo(f"Error: {message}", err=True)
    sys.exit(1)


def reports_errors(command: Callable[..., Any]) -> Callable[..., Any]:
    """Turn domain and configuration errors into one clear line and exit status 1."""

    @wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except ConfigError as exc:
            _fail(str(exc))
        except DomainError as exc:
            _fail(exc.detail)

    return wrapper


def open_database(overrides: dict[str, Any] | None = None) -> Database:
    """Load configuration (demo mode unless KINERJA_ENV is set) and open the database."""
    mode = {} if os.environ.get("KINERJA_ENV") else {"KINERJA_ENV": "demo"}
    config = load_config({**mode, **(overrides or {})})
    return make_database(config["DATABASE_URL"])


@click.group(help="Kinerja: performance management for Indonesian civil servants (ASN).")
def main() -> None:
    """Entry point of the `kinerja` console script."""


@main.command("init-db")
@reports_errors
def init_db() -> None:
    """Migrate the schema to the latest revision and load the reference data (idempotent)."""
    from service.db.migrate import schema_status
    from service.db.migrate import upgrade
    from service.db.reference_data import load_reference_data

    database = open_database()
    try:
        upgrade(database.engine)
        status = schema_status(database.engine)
        click.echo(f"Database at revision {status.current} ({database.engine.url})")
        with session_scope(database) as session:
            counts = load_reference_data(session)
        click.echo(counts.describe())
    finally:
        database.engine.dispose()


@main.command("create-user")
@click.option("--username", required=True)
@click.option("--password", required=True)
@click.option("--role", required=True, help="admin, hr, supervisor, employee or data")
@click.option("--employee-id", type=int, default=None)
@reports_errors
def create_user_command(username: str, password: str, role: str, employee_id: int | None) -> None:
    """Create a login with a role, optionally linked to an employee."""
    from service.domain.users import create_user

    with session_scope(open_database()) as session:
        user = create_user(session, username, password, role, employee_id)
        click.echo(f"Created user {user.username} (id {user.id}, role {user.role.value})")


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, type=click.IntRange(1, 65535), show_default=True)
@click.option(
    "--workers", type=click.IntRange(1, 64), default=None, help="default: one per core, min 2"
)
@click.option("--dev", is_flag=True, help="Flask's development server instead of gunicorn")
@reports_errors
def serve(host: str, port: int, workers: int | None, dev: bool) -> None:
    """Serve the API and pages (gunicorn pre-fork workers; --dev for Flask's server)."""
    from service import create_app

    create_app()  # fail fast on bad configuration, before forking workers
    if dev:
        create_app().run(host=host, port=port, debug=False)
        return
    from service.server import serve as run_server

    run_server(host, port, workers)


# Commands added by later work register below this line.


@main.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--kind", type=click.Choice(["evaluations"]), default="evaluations")
@reports_errors
def import_command(file: str, kind: str) -> None:
    """Import evaluations from a CSV or XLSX file: every row, or none and the list of problems."""
    from service.domain.errors import Invalid
    from service.domain.imports import import_evaluations

    with open(file, "rb") as handle:
        content = handle.read()
    database = open_database()
    try:
        with session_scope(database) as session:
            result = import_evaluations(session, content, file)
    except Invalid as exc:
        for error in exc.errors:
            where = "file" if error.row is None else f"row {error.row}"
            click.echo(f"{where}, {error.field}: {error.message}", err=True)
        _fail(f"{file}: nothing was imported" if exc.errors else exc.detail)
    finally:
        database.engine.dispose()
    click.echo(f"Imported {result.count} {kind} from {file}")
