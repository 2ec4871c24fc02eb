"""`kinerja backup` and `kinerja restore`: restore drills on SQLite and PostgreSQL, refusals."""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Callable
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from click.testing import CliRunner
from click.testing import Result
from flask import Flask
from sqlalchemy import Engine
from sqlalchemy import delete
from sqlalchemy import inspect
from sqlalchemy import select
from sqlalchemy import text
from sqlalchemy import update
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from service.cli import main
from service.db import make_engine
from service.db.migrate import current_revision
from service.db.migrate import head_revision
from service.db.models import Employee
from service.db.models import Evaluation
from service.db.models import Unit
from tests.conftest import PG_URL
from tests.factories import make_employee
from tests.factories import make_evaluation
from tests.factories import make_unit
from tests.service.api.world import build_world

Invoke = Callable[..., Result]
Snapshot = dict[str, list[tuple[Any, ...]]]


@pytest.fixture
def invoke(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Invoke:
    """Run `kinerja ARGS...` against the database at `url`, from an empty directory."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("KINERJA_ENV", raising=False)

    def run(url: str, *args: str, path: str | None = None) -> Result:
        env = {"DATABASE_URL": url, "KINERJA_ENV": "demo"}
        if path is not None:
            env["PATH"] = path
        return CliRunner().invoke(main, list(args), env=env)

    return run


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def seeded(engine: Engine) -> Engine:
    """A unit with a head and two staff, each evaluated for two periods."""
    with Session(engine) as session:
        unit = make_unit(session, name="Biro Kepegawaian")
        head = make_employee(session, unit_id=unit.id, name="Sari Wulandari")
        for number in (1, 2):
            staff = make_employee(session, unit_id=unit.id, supervisor_id=head.id)
            make_evaluation(session, staff, period="2024", rater_id=head.id)
            make_evaluation(
                session, staff, period="2025", work_result_rating="di_atas_ekspektasi",
                feedback=f"Catatan {number}", rater_id=head.id,
            )  # fmt: skip
        session.commit()
    return engine


def _snapshot(engine: Engine) -> Snapshot:
    """Every row of every table, in a stable order; the schema's revision table and the
    change counter aside (a restore moves the counter on: see the generation test)."""
    with engine.connect() as connection:
        bookkeeping = {"alembic_version", "change_counters"}
        tables = sorted(set(inspect(connection).get_table_names()) - bookkeeping)
        return {
            table: sorted(
                (tuple(row) for row in connection.execute(text(f'SELECT * FROM "{table}"'))),
                key=repr,
            )
            for table in tables
        }


def _change(engine: Engine) -> None:
    """Edit, delete and add rows, as work done after the backup would."""
    with Session(engine) as session:
        session.execute(update(Employee).values(name="Diubah Setelah Backup"))
        first = session.scalars(select(Evaluation.id).order_by(Evaluation.id)).first()
        session.execute(delete(Evaluation).where(Evaluation.id == first))
        make_unit(session, name="Unit Baru")
        session.commit()


def test_restore_drill(seeded: Engine, database_url: str, invoke: Invoke, tmp_path: Path) -> None:
    saved = _snapshot(seeded)
    dump = tmp_path / "kinerja.backup"

    backed_up = invoke(database_url, "backup", "--output", str(dump))
    assert backed_up.exit_code == 0, backed_up.output
    assert f"Backed up {seeded.url.render_as_string()} to {dump}" in backed_up.output
    assert f"schema revision {head_revision()}" in backed_up.output

    _change(seeded)
    changed = _snapshot(seeded)
    assert changed != saved
    refused = invoke(database_url, "restore", "--input", str(dump))
    assert refused.exit_code == 1
    assert "holds data" in refused.stderr and "--force" in refused.stderr
    assert _snapshot(seeded) == changed

    restored = invoke(database_url, "restore", "--input", str(dump), "--force")
    assert restored.exit_code == 0, restored.output
    assert _snapshot(seeded) == saved
    assert current_revision(seeded) == head_revision()
    total = sum(len(rows) for rows in saved.values()) + 1  # and the change counter's row
    assert f"{total:,} rows in {len(saved) + 1} tables" in restored.output


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_url(
    request: pytest.FixtureRequest, tmp_path: Path, pg_template: str | None
) -> Iterator[str]:
    """A database that does not exist yet (SQLite) or holds no schema (PostgreSQL)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'new-volume' / 'kinerja.db'}"
        return
    if pg_template is None:
        pytest.skip("PostgreSQL is not reachable")
    name = f"kinerja_t_{uuid.uuid4().hex[:12]}"
    _admin(f'CREATE DATABASE "{name}"')
    yield make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _admin(sql: str) -> None:
    with psycopg.connect(PG_URL, autocommit=True, connect_timeout=5) as connection:
        connection.execute(sql)


@pytest.mark.parametrize(
    ("database_url", "empty_url"), [("sqlite",) * 2, ("postgresql",) * 2], indirect=True
)
def test_restore_into_an_empty_database_needs_no_force(
    seeded: Engine, database_url: str, empty_url: str, invoke: Invoke, tmp_path: Path
) -> None:
    dump = tmp_path / "kinerja.backup"
    assert invoke(database_url, "backup", "--output", str(dump)).exit_code == 0

    restored = invoke(empty_url, "restore", "--input", str(dump))

    assert restored.exit_code == 0, restored.output
    target = make_engine(empty_url)
    try:
        assert _snapshot(target) == _snapshot(seeded)
        assert current_revision(target) == head_revision()
    finally:
        target.dispose()


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_sqlite_backup_is_consistent_while_the_service_writes(
    seeded: Engine, database_url: str, invoke: Invoke, tmp_path: Path
) -> None:
    dump = tmp_path / "kinerja.backup"
    with Session(seeded) as writer:
        make_unit(writer, name="Belum Disimpan")  # flushed: a write transaction is open

        backed_up = invoke(database_url, "backup", "--output", str(dump))

        writer.commit()
    assert backed_up.exit_code == 0, backed_up.output
    copy = sqlite3.connect(dump)
    try:
        names = {name for (name,) in copy.execute("SELECT name FROM units")}
        (journal,) = copy.execute("PRAGMA journal_mode").fetchone()
    finally:
        copy.close()
    assert "Biro Kepegawaian" in names and "Belum Disimpan" not in names
    assert journal == "delete"  # one self-contained file, no -wal beside it
    with Session(seeded) as session:
        assert session.scalar(select(Unit.id).where(Unit.name == "Belum Disimpan")) is not None


def _write(path: Path, content: bytes) -> Path:
    path.write_bytes(content)
    return path


BAD_ARGUMENTS: list[tuple[str, Callable[[Path], list[str]], int, str]] = [
    ("no output", lambda d: ["backup"], 2, "Missing option '--output'"),
    (
        "output directory missing",
        lambda d: ["backup", "--output", str(d / "nowhere" / "x.backup")],
        1,
        "does not exist",
    ),
    (
        "output exists",
        lambda d: ["backup", "--output", str(_write(d / "old.backup", b"keep me"))],
        1,
        "exists; choose another name or use --force",
    ),
    ("output is a directory", lambda d: ["backup", "--output", str(d)], 2, "is a directory"),
    ("no input", lambda d: ["restore"], 2, "Missing option '--input'"),
    (
        "input missing",
        lambda d: ["restore", "--input", str(d / "missing.backup")],
        2,
        "does not exist",
    ),
    (
        "input not a backup",
        lambda d: ["restore", "--force", "--input", str(_write(d / "x.csv", b"nip,name\n"))],
        1,
        "is not a Kinerja backup",
    ),
    (
        "input of the other kind",
        lambda d: ["restore", "--force", "--input", str(_write(d / "x.dump", b"PGDMP\x01junk"))],
        1,
        "is a PostgreSQL dump (pg_dump custom format), but the database is sqlite",
    ),
    (
        "input a damaged SQLite file",
        lambda d: [
            "restore",
            "--force",
            "--input",
            str(_write(d / "x.db", b"SQLite format 3\x00" + b"\x00" * 200)),
        ],  # fmt: skip
        1,
        "not a readable SQLite database",
    ),
]


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize(
    ("args", "status", "message"),
    [case[1:] for case in BAD_ARGUMENTS],
    ids=[case[0] for case in BAD_ARGUMENTS],
)
def test_bad_arguments_change_nothing(
    seeded: Engine,
    database_url: str,
    invoke: Invoke,
    tmp_path: Path,
    args: Callable[[Path], list[str]],
    status: int,
    message: str,
) -> None:
    workdir = tmp_path / "work"
    workdir.mkdir()
    arguments = args(workdir)
    files_before = {p: p.read_bytes() for p in workdir.rglob("*") if p.is_file()}
    before = _snapshot(seeded)

    result = invoke(database_url, *arguments)

    assert result.exit_code == status, result.output
    assert message in result.output
    assert "Traceback" not in result.output
    assert {p: p.read_bytes() for p in workdir.rglob("*") if p.is_file()} == files_before
    assert _snapshot(seeded) == before


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
@pytest.mark.parametrize("command", ["backup", "restore"])
def test_missing_postgresql_tools_are_named(
    seeded: Engine, database_url: str, invoke: Invoke, tmp_path: Path, command: str
) -> None:
    dump = _write(tmp_path / "in.dump", b"PGDMP\x01junk")
    option = "--output" if command == "backup" else "--input"
    target = tmp_path / "out.dump" if command == "backup" else dump

    result = invoke(database_url, command, option, str(target), "--force", path=str(tmp_path))

    assert result.exit_code == 1
    tool = "pg_dump" if command == "backup" else "pg_restore"
    assert f"{tool} is not on the PATH" in result.stderr
    assert not (tmp_path / "out.dump").exists()


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_postgresql_restore_of_a_damaged_dump_changes_nothing(
    seeded: Engine, database_url: str, invoke: Invoke, tmp_path: Path
) -> None:
    before = _snapshot(seeded)
    dump = _write(tmp_path / "damaged.dump", b"PGDMP\x01" + b"\x07" * 300)

    result = invoke(database_url, "restore", "--input", str(dump), "--force")

    assert result.exit_code == 1
    assert "pg_restore failed, nothing was changed" in result.stderr
    assert _snapshot(seeded) == before


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_postgresql_restore_refuses_tables_the_backup_lacks(
    seeded: Engine, database_url: str, invoke: Invoke, tmp_path: Path
) -> None:
    dump = tmp_path / "kinerja.backup"
    assert invoke(database_url, "backup", "--output", str(dump)).exit_code == 0
    with seeded.begin() as connection:
        connection.execute(text("CREATE TABLE added_later (id integer primary key)"))
    before = _snapshot(seeded)

    result = invoke(database_url, "restore", "--input", str(dump), "--force")

    assert result.exit_code == 1
    assert "tables the backup lacks (added_later)" in result.stderr
    assert _snapshot(seeded) == before


def _set_revision(engine: Engine, revision: str) -> None:
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = :r"), {"r": revision})


@pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)
def test_restore_refuses_a_backup_of_a_newer_schema(
    seeded: Engine, database_url: str, invoke: Invoke, tmp_path: Path
) -> None:
    """A backup made by a newer Kinerja would leave a schema this code cannot migrate nor
    serve (`init-db` cannot find the revision): it is refused before anything is replaced."""
    dump = tmp_path / "newer.backup"
    _set_revision(seeded, "9999")
    assert invoke(database_url, "backup", "--output", str(dump)).exit_code == 0
    _set_revision(seeded, head_revision())
    _change(seeded)
    before = _snapshot(seeded)

    result = invoke(database_url, "restore", "--input", str(dump), "--force")

    assert result.exit_code == 1, result.output
    assert "schema revision 9999" in result.stderr and "newer" in result.stderr
    assert "Traceback" not in result.output
    assert _snapshot(seeded) == before
    assert current_revision(seeded) == head_revision()


def _generation(engine: Engine) -> int:
    query = text("SELECT generation FROM change_counters WHERE id = 1")
    with engine.connect() as connection:
        return int(connection.execute(query).scalar_one())


def test_restore_moves_the_change_generation_past_the_replaced_one(
    seeded: Engine, database_url: str, invoke: Invoke, tmp_path: Path
) -> None:
    """Workers keep access decisions and stored answers under the change generation they read
    (`service.auth.memo`). A restored, older generation would count up again to one a worker
    still holds answers of the replaced data for, and those would be served as current: so
    the restore leaves the counter past both the backup's and the replaced database's."""
    dump = tmp_path / "kinerja.backup"
    assert invoke(database_url, "backup", "--output", str(dump)).exit_code == 0
    _change(seeded)
    _change(seeded)
    replaced = _generation(seeded)

    restored = invoke(database_url, "restore", "--input", str(dump), "--force")

    assert restored.exit_code == 0, restored.output
    assert _generation(seeded) > replaced


def test_a_backup_is_readable_by_its_owner_only(
    seeded: Engine, database_url: str, invoke: Invoke, tmp_path: Path
) -> None:
    """A backup holds every employee's personal data and every password hash: with the
    usual umask 022 it was readable by every account on the host."""
    dump = tmp_path / "kinerja.backup"
    _write(dump, b"an older backup, replaced with --force")
    dump.chmod(0o644)

    assert invoke(database_url, "backup", "--output", str(dump), "--force").exit_code == 0

    assert dump.stat().st_mode & 0o777 == 0o600


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("suffix", ["", "-wal"])
def test_a_backup_over_the_database_itself_is_refused(
    seeded: Engine, database_url: str, invoke: Invoke, suffix: str
) -> None:
    """With --force the copy was renamed over the live file (or its log): the service's open
    connections kept writing to the replaced file, and those writes were lost."""
    database = Path(make_url(database_url).database or "")
    inode = database.stat().st_ino
    before = _snapshot(seeded)

    result = invoke(database_url, "backup", "--output", f"{database}{suffix}", "--force")

    assert result.exit_code == 1, result.output
    assert "is the database itself" in result.stderr
    assert database.stat().st_ino == inode
    assert _snapshot(seeded) == before


def test_a_running_service_serves_the_restored_data(
    app: Flask, database_url: str, invoke: Invoke, tmp_path: Path
) -> None:
    """A restore into the database a service is using: its pooled connections (and, on
    PostgreSQL, the statements they prepared) answer with the restored rows, without a
    restart and without an error."""
    with app.extensions["db"].sessions() as session:
        world = build_world(session)
    client = app.test_client()
    path = f"/api/v1/employees/{world.employees['E1']}"

    def name() -> str:
        response = client.get(path, headers=world.headers("hr"))
        assert response.status_code == 200, response.get_json()
        return str(response.get_json()["name"])

    original = [name() for _ in range(6)][-1]  # PostgreSQL prepares after 5 executions
    dump = tmp_path / "kinerja.backup"
    assert invoke(database_url, "backup", "--output", str(dump)).exit_code == 0
    with app.extensions["db"].engine.begin() as connection:
        connection.execute(update(Employee).values(name="Diubah Setelah Backup"))
    assert name() == "Diubah Setelah Backup"

    restored = invoke(database_url, "restore", "--input", str(dump), "--force")

    assert restored.exit_code == 0, restored.output
    assert [name() for _ in range(3)] == [original] * 3
    assert client.get("/readyz").status_code == 200


@pytest.mark.parametrize(
    ("database_url", "empty_url"), [("sqlite",) * 2, ("postgresql",) * 2], indirect=True
)
def test_restore_into_a_fresh_init_db_needs_no_force(
    seeded: Engine, database_url: str, empty_url: str, invoke: Invoke, tmp_path: Path
) -> None:
    """The drill on a new server: `kinerja init-db`, then `kinerja restore`. The migrated
    database holds only the change counter's row and the reference data init-db loads from
    the code, none of it the agency's: it was refused as holding data (in change_counters,
    competencies, ...) unless --force."""
    dump = tmp_path / "kinerja.backup"
    assert invoke(database_url, "backup", "--output", str(dump)).exit_code == 0
    assert invoke(empty_url, "init-db").exit_code == 0

    restored = invoke(empty_url, "restore", "--input", str(dump))

    assert restored.exit_code == 0, restored.output
    target = make_engine(empty_url)
    try:
        assert _snapshot(target) == _snapshot(seeded)
    finally:
        target.dispose()


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_reference_data_alone_does_not_hide_agency_data(
    seeded: Engine, database_url: str, invoke: Invoke, tmp_path: Path
) -> None:
    dump = tmp_path / "kinerja.backup"
    assert invoke(database_url, "backup", "--output", str(dump)).exit_code == 0
    assert invoke(database_url, "init-db").exit_code == 0  # reference data beside the agency's

    refused = invoke(database_url, "restore", "--input", str(dump))

    assert refused.exit_code == 1
    assert "holds data (in employees" in refused.stderr
