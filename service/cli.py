"""The `kinerja` command line: one click group; training code is imported only when used.

Bad arguments get a clear message and a non-zero exit, and write nothing.
"""

from __future__ import annotations

import os
import re
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
from service.routing import MAX_ID


def _fail(message: str) -> None:
    click.echo(f"Error: {message}", err=True)
    sys.exit(1)


def reports_errors(command: Callable[..., Any]) -> Callable[..., Any]:
    """Turn domain and configuration errors, a file or directory the command cannot use, and
    a database that is unavailable, refuses or lacks the schema into one clear line and exit
    status 1."""
    from sqlalchemy.exc import OperationalError
    from sqlalchemy.exc import ProgrammingError

    @wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except ConfigError as exc:
            _fail(str(exc))
        except DomainError as exc:
            _fail(exc.detail)
        except OSError as exc:  # a directory or file the command cannot make, read or write
            _fail(f"{exc.strerror or exc}: {exc.filename}" if exc.filename else str(exc))
        except (OperationalError, ProgrammingError) as exc:
            reason = _first_line(exc)
            if _MISSING.search(reason):
                _fail(f"the database at {_shown_url()} {_schema_state()} ({reason}): "
                      "run `kinerja init-db` first")  # fmt: skip
            if getattr(getattr(exc, "orig", None), "sqlstate", None) == INSUFFICIENT_PRIVILEGE:
                _fail(f"the database at {_shown_url()} refused: {reason}. Make the login the "
                      "database's owner (ALTER DATABASE name OWNER TO login) or GRANT it what "
                      "is missing (GRANT CREATE ON SCHEMA public TO login)")  # fmt: skip
            if isinstance(exc, ProgrammingError):
                raise
            _fail(f"the database at {_shown_url()} is unavailable: {reason}")

    return wrapper


#: PostgreSQL's SQLSTATE of a statement the login has no right to run.
INSUFFICIENT_PRIVILEGE = "42501"
#: A missing table or column: SQLite's OperationalError, PostgreSQL's UndefinedTable or
#: UndefinedColumn (ProgrammingError): a database without this code's schema.
_MISSING = re.compile(r"no such (table|column)|(relation|column) \S+ does not exist")


def _schema_state() -> str:
    """What the database's schema is, next to this code's: none, or an earlier revision."""
    from service.db import make_engine
    from service.db.migrate import current_revision
    from service.db.migrate import head_revision

    engine = make_engine(cli_config()["DATABASE_URL"])
    try:
        current = current_revision(engine)
    except Exception:  # noqa: BLE001 - only for the message: the error is reported anyway
        current = None
    finally:
        engine.dispose()
    if current is None:
        return "has no Kinerja schema"
    return f"is at schema revision {current}, this code needs {head_revision()}"


def _first_line(exc: Exception) -> str:
    """The driver's first line of the error, without the statement or its parameters."""
    original = getattr(exc, "orig", None) or exc
    return (str(original).strip().splitlines() or [type(original).__name__])[0]


def _shown_url() -> str:
    """The configured database URL, password hidden."""
    from sqlalchemy.engine import make_url

    return make_url(cli_config()["DATABASE_URL"]).render_as_string(hide_password=True)


def cli_config(overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """Load configuration for a command: demo mode unless KINERJA_ENV says otherwise."""
    mode = {} if os.environ.get("KINERJA_ENV") else {"KINERJA_ENV": "demo"}
    return load_config({**mode, **(overrides or {})})


def open_database(overrides: dict[str, Any] | None = None) -> Database:
    """Load the command's configuration and open the database, with the stored risk scores'
    write watch on as in the service (`serving.freshness`): a command's ORM write to what a
    feature reads outdates the scores it changes, whether or not the command loads models."""
    from service.serving.freshness import watch_writes

    watch_writes()
    return make_database(cli_config(overrides)["DATABASE_URL"])


@click.group(help="Kinerja: performance management for Indonesian civil servants (ASN).")
def main() -> None:
    """Entry point of the `kinerja` console script."""


@main.command("init-db")
@reports_errors
def init_db() -> None:
    """Migrate the schema to the latest revision and load the reference data (idempotent)."""
    from service.db.migrate import migration_lock
    from service.db.migrate import schema_status
    from service.db.migrate import upgrade
    from service.db.reference_data import load_reference_data

    database = open_database()
    try:
        with migration_lock(database.engine):  # instances started together take turns
            _check_known_schema(database)
            upgrade(database.engine)
            status = schema_status(database.engine)
            click.echo(f"Database at revision {status.current} ({database.engine.url})")
            with session_scope(database) as session:
                counts = load_reference_data(session)
        click.echo(counts.describe())
    finally:
        database.engine.dispose()


@main.command("downgrade")
@click.option("--to", "target", required=True, help="the schema revision to go back to")
@click.option("--yes", is_flag=True, help="undo the revisions above it (drops what they added)")
@reports_errors
def downgrade_command(target: str, yes: bool) -> None:
    """Take the schema back to an earlier revision, for running the code of an earlier release.

    Each revision undone drops what it added (tables and columns, with their rows): back up
    first. `kinerja init-db` migrates to the code's latest revision again.
    """
    from service.db.migrate import current_revision
    from service.db.migrate import downgrade
    from service.db.migrate import migration_lock
    from service.db.migrate import revisions_above

    database = open_database()
    try:
        with migration_lock(database.engine):
            current = current_revision(database.engine)
            if current is None:
                _fail("the database has no schema revision: run `kinerja init-db` first")
            try:
                undone = revisions_above(target, str(current))
            except ValueError as exc:
                _fail(f"cannot go from revision {current} to {target}: {exc}")
            if not undone:
                click.echo(f"Database already at revision {target}")
                return
            if not yes:
                _fail(
                    f"going back to {target} undoes revision(s) {', '.join(undone)} and drops "
                    "what they added, with its rows; back up first (`kinerja backup`), then run "
                    "again with --yes"
                )
            downgrade(database.engine, target)
        click.echo(f"Database at revision {target} (undone: {', '.join(undone)})")
    finally:
        database.engine.dispose()


def _check_known_schema(database: Database) -> None:
    """Refuse a database that a newer Kinerja migrated: Alembic cannot find its revision."""
    from service.db.migrate import current_revision
    from service.db.migrate import head_revision
    from service.db.migrate import known_revisions

    current = current_revision(database.engine)
    if current is not None and current not in known_revisions():
        _fail(
            f"the database is at schema revision {current}, which this code does not know "
            f"(its newest is {head_revision()}): a newer Kinerja migrated it; run that version, "
            "or its `kinerja downgrade --to` a revision this code knows"
        )


@main.command("create-user")
@click.option("--username", required=True)
@click.option(
    "--password",
    required=True,
    help="'-' reads it from standard input: out of the shell history and the process list",
)
@click.option("--role", required=True, help="admin, hr, supervisor, employee or data")
@click.option("--employee-id", type=click.IntRange(1, MAX_ID), default=None)
@reports_errors
def create_user_command(username: str, password: str, role: str, employee_id: int | None) -> None:
    """Create a login with a role, optionally linked to an employee."""
    from service.domain.users import create_user

    if password == "-":
        password = click.get_text_stream("stdin").readline().rstrip("\r\n")
    with session_scope(open_database()) as session:
        user = create_user(session, username, password, role, employee_id)
        click.echo(f"Created user {user.username} (id {user.id}, role {user.role.value})")


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, type=click.IntRange(1, 65535), show_default=True)
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    default=None,
    help="default: one per core it may use (affinity, container CPU quota), min 2",
)
@click.option(
    "--worker-connections",
    type=click.IntRange(1),
    default=None,
    help="connections a worker holds at most (default 1,000); behind a proxy: its keep-alive "
    "pool / workers + 2 threads, so each worker gets its share (service/server.py)",
)
@click.option("--dev", is_flag=True, help="Flask's development server instead of gunicorn")
@reports_errors
def serve(
    host: str, port: int, workers: int | None, worker_connections: int | None, dev: bool
) -> None:
    """Serve the API and pages (gunicorn pre-fork workers; --dev for Flask's server)."""
    from service import create_app

    create_app()  # fail fast on bad configuration, before forking workers
    if dev:
        create_app().run(host=host, port=port, debug=False)
        return
    from service.server import serve as run_server

    run_server(host, port, workers, worker_connections=worker_connections)


# Commands added by later work register below this line.


@main.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--kind", type=click.Choice(["evaluations", "attendance"]), default="evaluations")
@reports_errors
def import_command(file: str, kind: str) -> None:
    """Import evaluations from a CSV or XLSX file: every row, or none and the list of problems."""
    from service.domain.audit import Actor
    from service.domain.entities import Role
    from service.domain.errors import Invalid
    from service.domain.imports import import_evaluations

    with open(file, "rb") as handle:
        content = handle.read()
    database = open_database()
    try:
        with session_scope(database) as session:
            if kind == "attendance":
                result = _import_attendance(session, content, file)
            else:
                actor = Actor(user_id=None, username="cli", role=Role.ADMIN)
                limit = cli_config()["KINERJA_IMPORT_MAX_UNPACKED_BYTES"]
                result = import_evaluations(
                    session, content, file, actor=actor, max_unpacked=limit
                )
    except Invalid as exc:
        for error in exc.errors:
            where = "file" if error.row is None else f"row {error.row}"
            click.echo(f"{where}, {error.field}: {error.message}", err=True)
        _fail(f"{file}: nothing was imported" if exc.errors else exc.detail)
    finally:
        database.engine.dispose()
    audited = ""
    if kind == "evaluations":  # the API's import_id; its audit rows' resource_id names it
        audited = f"; import id {result.import_id} (audit resource_id 'import {result.import_id}')"
    click.echo(f"Imported {result.count} {kind} from {file}{audited}")


def _import_attendance(session: Any, content: bytes, file: str) -> Any:
    """Import daily attendance with the configured working-day rule (issue 8)."""
    from service.domain.attendance_import import import_attendance
    from service.domain.attendance_rules import AttendanceRule

    return import_attendance(session, content, file, AttendanceRule.from_mapping(cli_config()))


@main.command("seed")
@click.option("--employees", type=int, required=True, help="Number of employees to generate.")
@click.option(
    "--seed", "seed_value", type=int, required=True, help="Random seed (same seed, same data)."
)
@click.option("--quarters", type=int, default=8, show_default=True, help="Quarters of history.")
@click.option("--end-period", default="2025-Q4", show_default=True, help="Last quarter simulated.")
@click.option(
    "--harsh-rater-bias",
    type=float,
    default=0.0,
    show_default=True,
    help="Latent SDs by which some raters mark women down (0 = no group effect).",
)
@click.option(
    "--chunk-size", type=int, default=25_000, show_default=True, help="Employees per agency chunk."
)
@click.option(
    "--writers", type=int, default=1, show_default=True, help="Chunks written at once (PG)."
)
@reports_errors
def seed_command(
    employees: int,
    seed_value: int,
    quarters: int,
    end_period: str,
    harsh_rater_bias: float,
    chunk_size: int,
    writers: int,
) -> None:
    """Generate a synthetic data set with a known truth into an empty, migrated database."""
    from tqdm import tqdm

    from training.synthetic.config import SyntheticConfig
    from training.synthetic.seed import check_seedable
    from training.synthetic.seed import run_seed

    config = SyntheticConfig(
        employees=employees,
        seed=seed_value,
        quarters=quarters,
        end_period=end_period,
        harsh_rater_bias=harsh_rater_bias,
        chunk_size=chunk_size,
        writers=writers,
    )
    config.validate()
    database = open_database()
    try:
        check_seedable(database.engine)
        with tqdm(total=employees, unit="employee", desc="Seeding") as bar:
            report = run_seed(database.engine, config, progress=bar.update)
    finally:
        database.engine.dispose()
    click.echo(
        f"Seeded {report.employees} employees in {report.chunks} chunk(s): "
        f"{report.total_rows} rows in {report.seconds:.1f} s"
    )


def _run_backup_tool(action: Callable[..., Any], path: str, force: bool) -> None:
    """Run `action(engine, path, force=...)` on the configured database and print its outcome."""
    from service.backup import BackupError

    database = open_database()
    try:
        click.echo(action(database.engine, path, force=force).describe())
    except BackupError as exc:
        _fail(str(exc))
    finally:
        database.engine.dispose()


@main.command("backup")
@click.option("--output", required=True, type=click.Path(dir_okay=False))
@click.option("--force", is_flag=True, help="overwrite FILE if it exists")
@reports_errors
def backup_command(output: str, force: bool) -> None:
    """Back up the database: SQLite's online backup, or pg_dump's custom format."""
    from service.backup import backup_database

    _run_backup_tool(backup_database, output, force)


@main.command("restore")
@click.option("--input", "source", required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--force", is_flag=True, help="replace a database that holds data")
@reports_errors
def restore_command(source: str, force: bool) -> None:
    """Restore the database from a file made by `kinerja backup`."""
    from service.backup import restore_database

    _run_backup_tool(restore_database, source, force)


# --- risk model (issue 4): train, score, retrain-schedule ---


@main.command()
@click.option(
    "--job-id", type=click.IntRange(1, MAX_ID), default=None, help="run the queued retrain job N"
)
@click.option("--chunk-size", type=click.IntRange(1_000), default=50_000, show_default=True)
@reports_errors
def train(job_id: int | None, chunk_size: int) -> None:
    """Train the risk model (MLflow-tracked), register it and promote it if every gate passes."""
    from training import commands

    config = cli_config()
    if job_id is None:
        commands.train(config, chunk_size=chunk_size, echo=click.echo)
        return
    database = make_database(config["DATABASE_URL"])
    if not commands.train_job(config, database, job_id, chunk_size, click.echo):
        _fail(f"job {job_id} is not queued (already taken or unknown)")


@main.command()
@click.option("--chunk-size", type=click.IntRange(1_000), default=50_000, show_default=True)
@click.option("--drivers", type=click.Choice(["flagged", "all"]), default="flagged")
@click.option(
    "--workers", type=click.IntRange(1, 64), default=1, show_default=True,
    help="processes scoring chunks in parallel (one chunk in memory each)",
)  # fmt: skip
@click.option(
    "--full", is_flag=True,
    help="read every history again (default: reuse the stored feature rows still current)",
)  # fmt: skip
@reports_errors
def score(chunk_size: int, drivers: str, workers: int, full: bool) -> None:
    """Score every employee's risk for the latest period into the risk_scores table."""
    from training import commands

    commands.score(cli_config(), chunk_size, drivers, click.echo, workers=workers, full=full)


@main.command("retrain-schedule")
@click.option("--cron", default="0 2 * * 1", show_default=True, help="5-field cron, UTC")
@click.option("--poll", type=click.FloatRange(0.1), default=30.0, show_default=True)
@click.option("--rounds", type=click.IntRange(1), default=None, help="stop after N polls")
@reports_errors
def retrain_schedule(cron: str, poll: float, rounds: int | None) -> None:
    """Queue a retrain at every cron time and run queued retrain jobs, outside the web workers."""
    from training import commands

    commands.schedule(cli_config(), cron, poll, rounds, click.echo)


# --- reminders (issue 8): in-app notifications, emailed when SMTP is configured ---


@main.command("remind")
@click.option("--as-of", type=click.DateTime(["%Y-%m-%d"]), default=None, help="default: today")
@click.option("--no-email", is_flag=True, help="store the notifications, send no email")
@reports_errors
def remind_command(as_of: Any, no_email: bool) -> None:
    """Store the due reminders (each once per recipient) and email them when SMTP is set.

    Run it daily from cron; a failed email is retried by the next run, never sent twice.
    A risk flag reminds only when written by the model version served now (or the rule
    fallback when none is), found without loading the model (`serving.served_version`).
    """
    from datetime import date

    from service.domain.notifications import remind
    from service.domain.reminders import ReminderSettings
    from service.domain.settings import RuleSettings
    from service.mail import SmtpSettings
    from service.mail import send_pending

    config = cli_config()
    settings = (RuleSettings.from_mapping(config), ReminderSettings.from_mapping(config))
    smtp = None if no_email else SmtpSettings.from_mapping(config)
    version = _served_risk_version(config)
    database = make_database(config["DATABASE_URL"])
    try:
        with session_scope(database) as session:
            day = as_of.date() if as_of else date.today()
            result = remind(session, day, *settings, version)
        click.echo(result.describe())
        if smtp is None:
            return
        with database.sessions() as session:
            report = send_pending(session, smtp)
    finally:
        database.engine.dispose()
    click.echo(report.describe())
    if report.failed:
        _fail("; ".join(report.errors[:5]))


def _served_risk_version(config: dict[str, Any]) -> str | None:
    """The risk model version the service serves (None: the rule fallback), said on stdout:
    the risk flags of that version alone remind."""
    from service.serving.served_version import served_version

    alias = config.get("MODEL_ALIAS", "champion")
    version = served_version(config["MLFLOW_TRACKING_URI"], config["KINERJA_MODELS_DIR"], alias)
    served = f"model version {version}" if version else "the rule fallback (no model served)"
    click.echo(f"risk flags counted: those of {served}")
    return version


@main.command("set-email")
@click.option("--username", required=True)
@click.option("--email", required=True, help="where reminders go; an empty string removes it")
@reports_errors
def set_email_command(username: str, email: str) -> None:
    """Set (or remove) the address a login's reminders are emailed to."""
    from service.domain.notifications import set_reminder_email

    database = open_database()
    try:
        with session_scope(database) as session:
            user = set_reminder_email(session, username, email)
            click.echo(f"Reminders of {user.username} go to {user.email or 'the app only'}")
    finally:
        database.engine.dispose()


# --- demo: everything on the embedded defaults, then serve ---


def _has_employees(database: Database) -> bool:
    from sqlalchemy import select

    from service.db.models import Employee

    with database.sessions() as session:
        return session.scalar(select(Employee.id).limit(1)) is not None


@main.command()
@click.option("--employees", type=click.IntRange(50, 100_000), default=400, show_default=True)
@click.option("--seed", "seed_value", type=int, default=7, show_default=True)
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, type=click.IntRange(1, 65535), show_default=True)
@click.option("--no-serve", is_flag=True, help="prepare everything, then stop")
@click.pass_context
@reports_errors
def demo(
    ctx: click.Context, employees: int, seed_value: int, host: str, port: int, no_serve: bool
) -> None:
    """Migrate, seed a synthetic agency, create demo logins, train, score, then serve."""
    from pathlib import Path

    from service.config import from_environment
    from service.demo import DEMO_MAX_TPR_GAP
    from service.demo import DEMO_PASSWORD
    from service.demo import ensure_demo_users
    from service.demo import seed_demo_templates

    if from_environment().get("KINERJA_ENV") == "production":  # the environment or .env
        _fail(
            "kinerja demo does not run with KINERJA_ENV=production: it creates logins with "
            "the published demo password. Unset KINERJA_ENV (or set it to demo), and give "
            "the demo a DATABASE_URL of its own"
        )
    os.environ.setdefault("KINERJA_ENV", "demo")
    # A few hundred people give about twenty positives per gender: a TPR gap of 0.10 is noise.
    os.environ.setdefault("RISK_GATE_MAX_TPR_GAP", DEMO_MAX_TPR_GAP)
    ctx.invoke(init_db)
    database = open_database()
    try:
        if not _has_employees(database):
            ctx.invoke(seed_command, employees=employees, seed_value=seed_value)
        with session_scope(database) as session:
            accounts = ensure_demo_users(session)
            templates = seed_demo_templates(session)
    finally:
        database.engine.dispose()
    config = cli_config()
    click.echo(
        f"Demo gates: fairness TPR gap <= {config.get('RISK_GATE_MAX_TPR_GAP', '0.10')} "
        "(national default 0.10; set RISK_GATE_MAX_TPR_GAP to change)"
    )
    if not (Path(config["KINERJA_MODELS_DIR"]) / "kinerja-risk").exists():
        ctx.invoke(train)
    ctx.invoke(score)
    if templates:
        click.echo(f"SKP templates written for {templates} positions (the most held titles)")
    click.echo(f"Demo logins (password {DEMO_PASSWORD!r}):")
    for account in accounts:
        click.echo(f"  {account.username:<11} role {account.role}")
    if not no_serve:
        click.echo(f"Serving on http://{host}:{port}/ (API at /api/v1, docs at /api/v1/docs)")
        ctx.invoke(serve, host=host, port=port)
