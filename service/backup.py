"""Backup and restore of the service's database, behind `kinerja backup` and `kinerja restore`.

SQLite uses SQLite's online backup API (`sqlite3.Connection.backup`): the copy is one
consistent snapshot even while the service writes, and a restore goes through the same API
into the live file, so open connections see the restored data instead of a torn file.
PostgreSQL uses `pg_dump --format=custom` and `pg_restore --clean --if-exists` from the PATH,
in one transaction (`--single-transaction`), without owners or grants of the source server.

Both refuse what would lose data by surprise: a backup does not overwrite an existing file and
a restore does not overwrite a database holding rows, unless `force` is given. A restore
leaves the change counter past the replaced database's (`_advance_generation`), and refuses
a backup at a schema revision this code does not know. Backups are written to a temporary
file next to the target, readable by its owner only, and renamed when complete. Any refusal
or failure raises `BackupError` with a message for the operator, and changes nothing.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Connection
from sqlalchemy import Engine
from sqlalchemy import inspect
from sqlalchemy import text
from sqlalchemy.engine import URL

from service.db.migrate import current_revision
from service.db.migrate import head_revision
from service.db.migrate import known_revisions
from service.db.reference_data import KEYS as REFERENCE_KEYS

SQLITE_MAGIC = b"SQLite format 3\x00"
PG_DUMP_MAGIC = b"PGDMP"
KINDS = {"sqlite": "an SQLite backup", "postgresql": "a PostgreSQL dump (pg_dump custom format)"}
SKIPPED_TABLES = {"alembic_version"}
COUNTER_TABLE = "change_counters"
#: Tables whose rows a migrated database holds before the agency's first write: the counter
#: (migration 0011) and the reference data `kinerja init-db` loads from the code.
NOT_AGENCY_DATA = frozenset({COUNTER_TABLE, *(model.__tablename__ for model in REFERENCE_KEYS)})
BACKUP_MODE = 0o600


class BackupError(RuntimeError):
    """A backup or restore that was refused or failed; nothing was changed."""


@dataclass(frozen=True)
class Outcome:
    """What a backup or restore did, for the operator."""

    action: str
    source: str
    target: str
    revision: str | None
    size: str

    def describe(self) -> str:
        """One line: what went where, how much, and at which schema revision."""
        line = f"{self.action} {self.source} to {self.target} ({self.size}), "
        line += f"schema revision {self.revision or 'none'}"
        if self.revision != head_revision():
            line += f" (this code is at {head_revision()}: run `kinerja init-db` to migrate)"
        return line


def backup_database(engine: Engine, output: str | Path, *, force: bool = False) -> Outcome:
    """Write a consistent copy of the database behind `engine` to `output`."""
    output = Path(output)
    _check_output(output, force)
    backend = _backend(engine)
    if backend == "sqlite":
        _check_not_the_database(output, _sqlite_path(engine, must_exist=True))
    partial = output.with_name(f".{output.name}.partial-{os.getpid()}")
    try:
        _create_private(partial)
        if backend == "sqlite":
            _sqlite_backup(_sqlite_path(engine, must_exist=True), partial)
        else:
            _run(["pg_dump", "--format=custom", f"--file={partial}", "--dbname"], engine)
        os.replace(partial, output)
    finally:
        partial.unlink(missing_ok=True)
    size = f"{output.stat().st_size:,} bytes"
    return Outcome("Backed up", _shown(engine.url), str(output), current_revision(engine), size)


def restore_database(engine: Engine, source: str | Path, *, force: bool = False) -> Outcome:
    """Replace the database behind `engine` with the backup in `source`."""
    source = Path(source)
    backend = _backend(engine)
    _check_input(source, backend)
    if backend == "sqlite":
        revision = _check_sqlite_backup(source)
    else:
        revision = _pg_dump_revision(source)
        _check_pg_tables(engine, source)
    _check_known_revision(source, revision)
    _check_empty(engine, force)
    replaced = _generation(engine)
    if backend == "sqlite":
        _sqlite_restore(source, _sqlite_path(engine, must_exist=False))
    else:
        args = ["pg_restore", "--clean", "--if-exists", "--no-owner", "--no-acl"]
        _run([*args, "--single-transaction", "--exit-on-error", "--dbname"], engine, source)
    engine.dispose()  # pooled connections may hold pages or catalogs from before the restore
    _advance_generation(engine, replaced)
    counts = _row_counts(engine)
    size = f"{sum(counts.values()):,} rows in {len(counts)} tables"
    return Outcome("Restored", str(source), _shown(engine.url), current_revision(engine), size)


def _backend(engine: Engine) -> str:
    name = engine.dialect.name
    if name not in KINDS:
        raise BackupError(f"backups support SQLite and PostgreSQL, not {name}")
    return name


def _create_private(path: Path) -> None:
    """Create `path` empty and readable by its owner only, before anything is written to it:
    a backup holds every employee's personal data and every password hash. SQLite and
    pg_dump write into the file as it is, so the copy keeps the mode (and the rename too)."""
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, BACKUP_MODE))
    os.chmod(path, BACKUP_MODE)  # a leftover of an earlier attempt keeps its own mode


def _check_output(output: Path, force: bool) -> None:
    if not output.parent.is_dir():
        raise BackupError(f"the directory {output.parent} does not exist")
    if output.is_dir():
        raise BackupError(f"{output} is a directory; give a file name")
    if output.exists() and not force:
        raise BackupError(f"{output} exists; choose another name or use --force to overwrite")


def _check_not_the_database(output: Path, database: Path) -> None:
    """Refuse to write the backup over the live database file or its companions: the
    service's open connections would keep writing to the replaced file, and lose it all."""
    live = database.resolve()
    companions = {live, *(live.with_name(live.name + end) for end in ("-wal", "-shm", "-journal"))}
    if output.resolve() in companions:
        raise BackupError(f"{output} is the database itself (or its log); choose another name")


def _check_input(source: Path, backend: str) -> None:
    if not source.is_file():
        raise BackupError(f"{source} is not a file")
    with source.open("rb") as handle:
        head = handle.read(len(SQLITE_MAGIC))
    found = next(
        (kind for kind, magic in (("sqlite", SQLITE_MAGIC), ("postgresql", PG_DUMP_MAGIC))
         if head.startswith(magic)),
        None,
    )  # fmt: skip
    if found is None:
        raise BackupError(f"{source} is not a Kinerja backup: expected {KINDS[backend]}")
    if found != backend:
        raise BackupError(f"{source} is {KINDS[found]}, but the database is {backend}")


def _sqlite_path(engine: Engine, *, must_exist: bool) -> Path:
    database = engine.url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        raise BackupError(f"cannot back up or restore the SQLite database {database!r}")
    path = Path(database)
    if must_exist and not path.is_file():
        raise BackupError(f"there is no SQLite database at {path}")
    return path


def _sqlite_backup(database: Path, output: Path) -> None:
    """Copy with the online backup API, then make the copy one self-contained file."""
    source = sqlite3.connect(database, timeout=30)
    copy = sqlite3.connect(output)
    try:
        source.backup(copy)
        copy.execute("PRAGMA journal_mode=DELETE")
        _require_intact(copy, output)
    except sqlite3.Error as exc:
        raise BackupError(f"SQLite could not copy {database}: {exc}") from exc
    finally:
        copy.close()
        source.close()


def _check_sqlite_backup(source: Path) -> str | None:
    """Check the SQLite backup is intact and Kinerja's; return its schema revision."""
    backup = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    try:
        _require_intact(backup, source)
        found = backup.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'alembic_version'"
        ).fetchone()
        if found is None:
            raise BackupError(f"{source} has no alembic_version table: not a Kinerja backup")
        row = backup.execute("SELECT version_num FROM alembic_version").fetchone()
    finally:
        backup.close()
    return None if row is None else str(row[0])


def _pg_dump_revision(dump: Path) -> str | None:
    """The schema revision in a pg_dump file (its alembic_version rows, read by pg_restore)."""
    args = ["pg_restore", "--data-only", "--table=alembic_version", "--file=-"]
    listing = _run(args, None, dump)
    lines = iter(listing.splitlines())
    for line in lines:
        if line.startswith("COPY ") and "alembic_version" in line:
            row = next(lines, "\\.")
            return None if row == "\\." else row.strip()
    return None


def _check_known_revision(source: Path, revision: str | None) -> None:
    """Refuse a backup of a schema newer than this code: nothing could migrate or serve it."""
    if revision is not None and revision not in known_revisions():
        raise BackupError(
            f"{source} is at schema revision {revision}, which this code does not know "
            f"(its newest is {head_revision()}): the backup was made by a newer Kinerja "
            "(restore it with that version) or is not Kinerja's; nothing was changed"
        )


def _sqlite_restore(source: Path, database: Path) -> None:
    """Copy the backup's pages into the live file under SQLite's locks, in one step."""
    database.parent.mkdir(parents=True, exist_ok=True)
    backup = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    target = sqlite3.connect(database, timeout=30)
    try:
        backup.backup(target)
    except sqlite3.Error as exc:
        raise BackupError(f"SQLite refused the restore, nothing was changed: {exc}") from exc
    finally:
        target.close()
        backup.close()


def _require_intact(connection: sqlite3.Connection, path: Path) -> None:
    try:
        verdict = connection.execute("PRAGMA quick_check").fetchone()[0]
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{path} is not a readable SQLite database: {exc}") from exc
    if verdict != "ok":
        raise BackupError(f"{path} failed SQLite's integrity check: {verdict}")


def _check_pg_tables(engine: Engine, dump: Path) -> None:
    """Refuse when the database has tables the dump would not replace (a newer schema)."""
    listing = _run(["pg_restore", "--list"], None, dump)
    dumped = {line.split()[-2] for line in listing.splitlines() if " TABLE " in f" {line} "}
    extra = set(inspect(engine).get_table_names()) - dumped - SKIPPED_TABLES
    if extra:
        raise BackupError(
            f"the database has tables the backup lacks ({', '.join(sorted(extra))}); "
            "restore into an empty database (createdb) instead"
        )


def _check_empty(engine: Engine, force: bool) -> None:
    """Refuse a database holding the agency's rows; the change counter's one row and the
    reference data `kinerja init-db` loads from the code do not count."""
    if force:
        return
    with engine.connect() as connection:
        quote = connection.dialect.identifier_preparer.quote
        populated = [
            table
            for table in _tables(connection)
            if table not in NOT_AGENCY_DATA
            and connection.execute(text(f"SELECT 1 FROM {quote(table)} LIMIT 1")).first()
        ]
    if populated:
        shown = ", ".join(populated[:5]) + (", ..." if len(populated) > 5 else "")
        raise BackupError(
            f"the database holds data (in {shown}); restore with --force to replace it"
        )


def _generation(engine: Engine) -> int | None:
    """The change counter of the database about to be replaced (None: it has none)."""
    with engine.connect() as connection:
        if COUNTER_TABLE not in inspect(connection).get_table_names():
            return None
        return connection.execute(
            text(f"SELECT generation FROM {COUNTER_TABLE} WHERE id = 1")
        ).scalar()


def _advance_generation(engine: Engine, replaced: int | None) -> None:
    """Move the restored change counter past the replaced database's: workers keep answers
    under the generation they read (`service.auth.memo`), and the backup's older one would
    count up again to a generation some worker still holds answers of the replaced data for."""
    with engine.begin() as connection:
        if COUNTER_TABLE not in inspect(connection).get_table_names():
            return
        connection.execute(
            text(
                f"UPDATE {COUNTER_TABLE} SET generation = "
                "CASE WHEN generation > :replaced THEN generation ELSE :replaced END + 1 "
                "WHERE id = 1"
            ),
            {"replaced": replaced or 0},
        )


def _run(command: list[str], engine: Engine | None, *files: Path) -> str:
    """Run a PostgreSQL client tool; the password goes in the environment, not the arguments."""
    program = shutil.which(command[0])
    if program is None:
        raise BackupError(
            f"{command[0]} is not on the PATH; install the PostgreSQL client tools "
            "(for example `apt-get install postgresql-client`) matching the server's version"
        )
    env = dict(os.environ)
    args = [program, *command[1:]]
    if engine is not None:
        url = engine.url
        args.append(_libpq_url(url))
        if url.password:
            env["PGPASSWORD"] = str(url.password)
    args.extend(str(path) for path in files)
    done = subprocess.run(args, capture_output=True, text=True, env=env, check=False)
    if done.returncode != 0:
        message = done.stderr.strip() or f"exit status {done.returncode}"
        raise BackupError(f"{command[0]} failed, nothing was changed: {message}")
    return done.stdout


def _libpq_url(url: URL) -> str:
    return url.set(drivername="postgresql", password=None).render_as_string(hide_password=False)


def _shown(url: URL) -> str:
    return url.render_as_string(hide_password=True)


def _row_counts(engine: Engine) -> dict[str, int]:
    """Count the rows of every table (the schema's own bookkeeping aside)."""
    with engine.connect() as connection:
        quote = connection.dialect.identifier_preparer.quote
        return {
            table: connection.execute(text(f"SELECT count(*) FROM {quote(table)}")).scalar_one()
            for table in _tables(connection)
        }


def _tables(connection: Connection) -> list[str]:
    return sorted(set(inspect(connection).get_table_names()) - SKIPPED_TABLES)
