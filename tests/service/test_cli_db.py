"""The database commands of the `kinerja` console script: init-db and create-user."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Callable
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from click.testing import Result
from sqlalchemy import Engine
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from service.auth.passwords import verify_password
from service.cli import main
from service.db import make_engine
from service.db.migrate import current_revision
from service.db.migrate import downgrade
from service.db.migrate import head_revision
from service.db.models import Competency
from service.db.models import Training
from service.db.models import User
from service.domain.entities import Role
from service.reference import load_competencies
from service.reference import load_trainings
from tests.conftest import _pg_execute
from tests.conftest import _pg_url
from tests.factories import make_employee

PASSWORD = "kopi-tubruk-42-pagi"
Invoke = Callable[..., Result]


@pytest.fixture
def database_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path / "var" / "cli.db"


@pytest.fixture
def invoke(database_file: Path) -> Iterator[Invoke]:
    """Run `kinerja ARGS...` against the test's SQLite file."""
    runner = CliRunner()
    env = {"DATABASE_URL": f"sqlite:///{database_file}"}

    def run(*args: str) -> Result:
        return runner.invoke(main, list(args), env=env)

    yield run


@pytest.fixture
def engine(database_file: Path) -> Iterator[Engine]:
    engine = make_engine(f"sqlite:///{database_file}")
    yield engine
    engine.dispose()


@pytest.fixture
def initialised(invoke: Invoke, engine: Engine) -> Engine:
    result = invoke("init-db")
    assert result.exit_code == 0, result.output
    return engine


def _users(engine: Engine) -> list[User]:
    with Session(engine) as session:
        return list(session.scalars(select(User)))


def _add_employee(engine: Engine) -> int:
    with Session(engine) as session, session.begin():
        return make_employee(session).id


def test_init_db_migrates_and_loads_reference_data(invoke: Invoke, engine: Engine) -> None:
    result = invoke("init-db")

    assert result.exit_code == 0, result.output
    assert f"Database at revision {head_revision()}" in result.output
    assert f"competencies {len(load_competencies())} new" in result.output
    assert f"trainings {len(load_trainings())} new" in result.output
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(Competency)) == len(
            load_competencies()
        )
        assert session.scalar(select(func.count()).select_from(Training)) == len(load_trainings())


def test_init_db_twice_reports_nothing_new(invoke: Invoke, engine: Engine) -> None:
    first = invoke("init-db")
    second = invoke("init-db")

    assert (first.exit_code, second.exit_code) == (0, 0), first.output + second.output
    assert "nothing new" not in first.output
    assert "Reference data up to date: nothing new, nothing updated" in second.output
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(Training)) == len(load_trainings())


def test_create_user_succeeds(invoke: Invoke, initialised: Engine) -> None:
    employee_id = _add_employee(initialised)

    result = invoke(
        "create-user", "--username", "sari.hr", "--password", PASSWORD, "--role", "hr",
        "--employee-id", str(employee_id),
    )  # fmt: skip

    assert result.exit_code == 0, result.output
    assert "Created user sari.hr" in result.output
    [user] = _users(initialised)
    assert (user.username, user.role, user.employee_id) == ("sari.hr", Role.HR, employee_id)
    assert user.password_hash != PASSWORD
    assert verify_password(user.password_hash, PASSWORD)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--role", "boss"], "role: 'boss' is not one of admin, hr"),
        (["--password", "short"], "password: must be at least 10 characters"),
        (["--employee-id", "999"], "employee_id: no employee with id 999"),
        (["--username", "x"], "username: use 3-80 letters"),
    ],
    ids=["bad-role", "short-password", "unknown-employee", "bad-username"],
)
def test_create_user_refuses_bad_input(
    invoke: Invoke,
    initialised: Engine,
    args: list[str],
    message: str,
) -> None:
    defaults = {"--username": "admin.satu", "--password": PASSWORD, "--role": "admin"}
    defaults.update(dict(zip(args[::2], args[1::2], strict=True)))

    result = invoke("create-user", *[part for pair in defaults.items() for part in pair])

    assert result.exit_code == 1
    assert f"Error: {message}" in result.output
    assert _users(initialised) == []


def test_create_user_refuses_a_duplicate_username(invoke: Invoke, initialised: Engine) -> None:
    args = ["create-user", "--username", "admin.satu", "--password", PASSWORD, "--role", "admin"]
    assert invoke(*args).exit_code == 0

    again = invoke(*args[:-1], "data")

    assert again.exit_code == 1
    assert "username 'admin.satu' is already taken" in again.output
    assert [(u.username, u.role) for u in _users(initialised)] == [("admin.satu", Role.ADMIN)]


def test_create_user_requires_its_options(invoke: Invoke, initialised: Engine) -> None:
    result = invoke("create-user", "--username", "admin.satu")

    assert result.exit_code == 2
    assert "Missing option '--password'" in result.output
    assert _users(initialised) == []


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("postgresql://kinerja:s3cret@127.0.0.1:1/kinerja", "port 1 failed: Connection refused"),
        ("not a url", "DATABASE_URL is not a database URL"),
    ],
    ids=["unreachable", "malformed"],
)
@pytest.mark.parametrize(
    "args",
    [
        ["init-db"],
        ["create-user", "--username", "admin.satu", "--password", PASSWORD, "--role", "admin"],
        ["backup", "--output", "kinerja.backup"],
    ],
    ids=lambda args: args[0],
)
def test_a_database_that_cannot_be_opened_is_one_line(
    database_file: Path, url: str, message: str, args: list[str]
) -> None:
    """The operator reads what is wrong with DATABASE_URL, not a SQLAlchemy traceback."""
    result = CliRunner().invoke(main, args, env={"DATABASE_URL": url})

    assert result.exit_code == 1, result.output
    assert result.output.startswith("Error: ") and message in result.output
    assert "Traceback" not in result.output and "s3cret" not in result.output
    assert not (database_file.parent.parent / "kinerja.backup").exists()


def test_create_user_refuses_an_employee_id_beyond_the_id_column(
    invoke: Invoke, initialised: Engine
) -> None:
    """Beyond 32 bits PostgreSQL raised a DataError traceback; now Click refuses it."""
    result = invoke(
        "create-user", "--username", "admin.satu", "--password", PASSWORD, "--role", "admin",
        "--employee-id", "99999999999",
    )  # fmt: skip

    assert result.exit_code == 2
    assert "Traceback" not in result.output and "--employee-id" in result.output
    assert _users(initialised) == []


def test_init_db_on_a_newer_schema_says_so(invoke: Invoke, initialised: Engine) -> None:
    with initialised.begin() as connection:
        connection.exec_driver_sql("UPDATE alembic_version SET version_num = '9999'")

    result = invoke("init-db")

    assert result.exit_code == 1
    assert "Error: the database is at schema revision 9999" in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)
def test_a_database_without_the_schema_asks_for_init_db(database_url: str) -> None:
    """SQLite says 'no such table' (an OperationalError, which is not a lost database) and
    PostgreSQL 'relation ... does not exist' (a ProgrammingError, a traceback before)."""
    engine = make_engine(database_url)
    try:
        downgrade(engine, "base")
    finally:
        engine.dispose()

    args = ["set-email", "--username", "x", "--email", "x@y.id"]
    env = {"DATABASE_URL": database_url, "KINERJA_ENV": "demo"}
    result = CliRunner().invoke(main, args, env=env)

    assert result.exit_code == 1, result.output
    assert result.output.startswith("Error: the database at ")
    assert "has no Kinerja schema" in result.output and "kinerja init-db" in result.output


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_train_refuses_a_job_id_beyond_the_id_column(database_url: str) -> None:
    """PostgreSQL's id columns are 32-bit: a larger --job-id was a DataError traceback."""
    env = {"DATABASE_URL": database_url, "KINERJA_ENV": "demo"}

    result = CliRunner().invoke(main, ["train", "--job-id", "2147483648"], env=env)

    assert result.exit_code == 2, result.output
    assert "--job-id" in result.output and "Traceback" not in result.output


@pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)
def test_instances_running_init_db_at_once_all_succeed(database_url: str, tmp_path: Path) -> None:
    """Several instances started together, each with `kinerja init-db && kinerja serve`:
    the second migration to start failed with a traceback (PostgreSQL: a duplicate type
    or table; SQLite: a table that already exists) and its instance did not start."""
    engine = make_engine(database_url)
    try:
        downgrade(engine, "base")
        env = {**os.environ, "DATABASE_URL": database_url, "KINERJA_ENV": "demo"}
        kinerja = Path(sys.executable).with_name("kinerja")
        runs = [
            subprocess.Popen(
                [str(kinerja), "init-db"],
                env=env,
                cwd=tmp_path,
                text=True,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
            )  # fmt: skip
            for _ in range(3)
        ]
        outputs = [run.communicate(timeout=300)[0] for run in runs]

        assert [run.returncode for run in runs] == [0, 0, 0], outputs
        assert current_revision(engine) == head_revision()
        with Session(engine) as session:
            assert session.scalar(select(func.count()).select_from(Training)) == len(
                load_trainings()
            )
    finally:
        engine.dispose()


@pytest.mark.parametrize("where", ["environment", "dotenv"])
def test_demo_refuses_to_run_in_production_mode(
    database_file: Path, initialised: Engine, where: str
) -> None:
    """`kinerja demo` on a production install (KINERJA_ENV from its environment or .env)
    created an `admin` login with the published demo password in the production database,
    then went on to train and serve."""
    _add_employee(initialised)
    production = {"KINERJA_ENV": "production", "KINERJA_SECRET_KEY": "a-long-production-secret"}
    env = {"DATABASE_URL": f"sqlite:///{database_file}", "KINERJA_ENV": None}
    if where == "environment":
        env.update(production)
    else:  # the working directory's .env (database_file's fixture made it the test's)
        lines = [f"{key}={value}" for key, value in production.items()]
        Path(".env").write_text("\n".join(lines) + "\n", encoding="utf-8")

    result = CliRunner().invoke(main, ["demo", "--no-serve"], env=env)

    assert result.exit_code == 1, result.output
    assert "Error: kinerja demo does not run with KINERJA_ENV=production" in result.output
    assert _users(initialised) == []


@pytest.fixture
def unprivileged_url(pg_template: str | None) -> Iterator[str]:
    """A fresh PostgreSQL database and a login that owns nothing in it: since PostgreSQL
    15 such a user may not create tables in the public schema."""
    if pg_template is None:
        pytest.skip("PostgreSQL is not reachable")
    suffix = uuid.uuid4().hex[:12]
    role, database = f"kinerja_r_{suffix}", f"kinerja_t_{suffix}"
    _pg_execute(f'CREATE ROLE "{role}" LOGIN')
    _pg_execute(f'CREATE DATABASE "{database}"')
    try:
        yield (
            make_url(_pg_url(database))
            .set(username=role, password=None)
            .render_as_string(hide_password=False)
        )
    finally:
        _pg_execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        _pg_execute(f'DROP ROLE IF EXISTS "{role}"')


def test_init_db_without_the_right_to_create_tables_says_so(unprivileged_url: str) -> None:
    """A dedicated login on a database it does not own: a ProgrammingError traceback."""
    env = {"DATABASE_URL": unprivileged_url, "KINERJA_ENV": "demo"}

    result = CliRunner().invoke(main, ["init-db"], env=env)

    assert result.exit_code == 1, result.output
    assert result.output.startswith("Error: the database at ")
    assert "permission denied for schema public" in result.output
    assert "GRANT" in result.output or "OWNER" in result.output


def _previous(revision: str) -> str:
    from alembic.script import ScriptDirectory

    from service.db.migrate import MIGRATIONS_DIR

    down = ScriptDirectory(str(MIGRATIONS_DIR)).get_revision(revision).down_revision
    assert isinstance(down, str)
    return down


@pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)
def test_downgrade_takes_the_schema_back_for_a_rollback(database_url: str) -> None:
    """Rolling a release back: the earlier code refuses the newer schema (init-db says so),
    and there was no command to take it back, only Python against Alembic."""
    engine = make_engine(database_url)
    env = {"DATABASE_URL": database_url, "KINERJA_ENV": "demo"}
    previous = _previous(head_revision())
    try:
        asked = CliRunner().invoke(main, ["downgrade", "--to", previous], env=env)
        assert asked.exit_code == 1, asked.output
        assert f"undoes revision(s) {head_revision()}" in asked.output and "--yes" in asked.output
        assert current_revision(engine) == head_revision()

        unknown = CliRunner().invoke(main, ["downgrade", "--to", "9999", "--yes"], env=env)
        assert unknown.exit_code == 1 and "cannot go from revision" in unknown.output
        assert current_revision(engine) == head_revision()

        done = CliRunner().invoke(main, ["downgrade", "--to", previous, "--yes"], env=env)
        assert done.exit_code == 0, done.output
        assert f"Database at revision {previous} (undone: {head_revision()})" in done.output
        assert current_revision(engine) == previous

        again = CliRunner().invoke(main, ["init-db"], env=env)
        assert again.exit_code == 0, again.output
        assert current_revision(engine) == head_revision()
    finally:
        engine.dispose()


@pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)
def test_a_database_behind_the_code_asks_for_init_db(database_url: str) -> None:
    """An earlier revision lacks a column the command reads: SQLite's 'no such column' read
    as an unavailable database, PostgreSQL's UndefinedColumn was a traceback."""
    engine = make_engine(database_url)
    try:
        downgrade(engine, "0005")  # users.email comes with 0006
    finally:
        engine.dispose()
    args = ["set-email", "--username", "x", "--email", "x@y.id"]

    result = CliRunner().invoke(main, args, env={"DATABASE_URL": database_url})

    assert result.exit_code == 1, result.output
    assert f"is at schema revision 0005, this code needs {head_revision()}" in result.output
    assert "run `kinerja init-db` first" in result.output


def test_create_user_reads_the_password_from_standard_input(
    database_file: Path, initialised: Engine
) -> None:
    """A password given as an argument stays in the shell history and shows in `ps` to
    every account on the host while the command runs; '-' reads it from stdin."""
    args = ["create-user", "--username", "sari.hr", "--password", "-", "--role", "hr"]
    env = {"DATABASE_URL": f"sqlite:///{database_file}"}

    result = CliRunner().invoke(main, args, env=env, input=f"{PASSWORD}\n")

    assert result.exit_code == 0, result.output
    [user] = _users(initialised)
    assert verify_password(user.password_hash, PASSWORD)
    assert PASSWORD not in result.output


@pytest.mark.parametrize("args", [["init-db"], ["serve", "--port", "1"]], ids=lambda a: a[0])
def test_a_data_directory_that_cannot_be_made_is_one_line(args: list[str]) -> None:
    """KINERJA_HOME on a volume that is not mounted, or not writable: a FileNotFoundError
    (PermissionError) traceback from mkdir, before anything was opened."""
    home = "/proc/kinerja-not-here"  # a directory nobody may make, not even root
    env = {"KINERJA_ENV": "demo", "KINERJA_HOME": home, "DATABASE_URL": None}

    result = CliRunner().invoke(main, args, env=env)

    assert result.exit_code == 1, result.output
    assert result.output.startswith("Error: ") and home in result.output
    assert "Traceback" not in result.output
