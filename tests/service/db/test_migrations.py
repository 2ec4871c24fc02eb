"""Migrations on empty databases (SQLite and PostgreSQL): they build exactly the models' schema,
go down and up again without losing data, and make the audit log append-only.
"""

from __future__ import annotations

import io
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import CheckConstraint
from sqlalchemy import Engine
from sqlalchemy import create_engine
from sqlalchemy import func
from sqlalchemy import inspect
from sqlalchemy import select
from sqlalchemy import text
from sqlalchemy import update
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from service.db import make_engine
from service.db import normalise_url
from service.db.base import Base
from service.db.migrate import MIGRATIONS_DIR
from service.db.migrate import current_revision
from service.db.migrate import downgrade
from service.db.migrate import head_revision
from service.db.migrate import upgrade
from service.db.models import AuditEntry
from service.db.models import Employee
from service.db.models import Evaluation
from service.db.models import Position
from service.db.models import Unit
from service.db.models import table_names
from tests.factories import make_employee
from tests.factories import make_evaluation

PG_URL = os.environ.get("KINERJA_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")
BACKENDS = os.environ.get("KINERJA_TEST_DATABASES", "sqlite,postgresql").split(",")
APPEND_ONLY = "audit_log is append-only"


@pytest.fixture(scope="module")
def pg_admin() -> Iterator[Engine | None]:
    """An autocommit engine on the PostgreSQL server's admin database, or None if unreachable."""
    if "postgresql" not in BACKENDS:
        yield None
        return
    engine = create_engine(
        normalise_url(PG_URL), isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 2}
    )
    try:
        engine.connect().close()
    except OperationalError:
        engine.dispose()
        yield None
        return
    yield engine
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_engine(
    request: pytest.FixtureRequest, tmp_path: Path, pg_admin: Engine | None
) -> Iterator[Engine]:
    """An engine on a brand-new database with no tables at all."""
    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'empty.db'}")
        yield engine
        engine.dispose()
        return
    if pg_admin is None:
        pytest.skip("PostgreSQL is not reachable")
    name = f"kinerja_empty_{uuid.uuid4().hex[:12]}"
    with pg_admin.connect() as admin:
        admin.execute(text(f'CREATE DATABASE "{name}"'))
    engine = make_engine(make_url(PG_URL).set(database=name).render_as_string(False))
    yield engine
    engine.dispose()
    with pg_admin.connect() as admin:
        admin.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def _schema_diff(engine: Engine) -> list[object]:
    """Differences between the database and Base.metadata, as autogenerate sees them."""
    with engine.connect() as connection:
        options = {"compare_type": True, "compare_server_default": True}
        context = MigrationContext.configure(connection, opts=options)
        return list(compare_metadata(context, Base.metadata))


def _check_constraints_in_database(engine: Engine) -> set[tuple[str, str]]:
    with engine.connect() as connection:
        inspector = inspect(connection)
        return {
            (table, constraint["name"])
            for table in inspector.get_table_names()
            for constraint in inspector.get_check_constraints(table)
        }


def _check_constraints_in_models() -> set[tuple[str, str]]:
    return {
        (table.name, str(constraint.name))
        for table in Base.metadata.tables.values()
        for constraint in table.constraints
        if isinstance(constraint, CheckConstraint)
    }


def _add_audit_entry(engine: Engine) -> int:
    with Session(engine) as session, session.begin():
        entry = AuditEntry(action="read", resource="employee", resource_id="1", employee_id=1)
        session.add(entry)
        session.flush()
        return entry.id


def _add_people(engine: Engine) -> None:
    """Store one unit, position, employee, period and evaluation."""
    with Session(engine) as session, session.begin():
        make_evaluation(session, make_employee(session))


def _people(engine: Engine) -> list[tuple[object, ...]]:
    """Read back what `_add_people` stored, joined across the four tables."""
    query = (
        select(Unit.code, Position.title, Employee.nip, Evaluation.period, Evaluation.predikat)
        .join(Employee, Employee.unit_id == Unit.id)
        .join(Position, Employee.position_id == Position.id)
        .join(Evaluation, Evaluation.employee_id == Employee.id)
    )
    with Session(engine) as session:
        return [tuple(row) for row in session.execute(query)]


def _audit_update_refused(engine: Engine) -> bool:
    """Try to rewrite every audit entry; report whether the database refused."""
    try:
        with engine.begin() as connection:
            connection.execute(update(AuditEntry).values(action="edited"))
    except IntegrityError as exc:
        assert APPEND_ONLY in str(exc)
        return True
    return False


def test_revisions_form_a_single_line() -> None:
    script = ScriptDirectory(str(MIGRATIONS_DIR))
    revisions = list(script.walk_revisions())  # head first

    assert script.get_heads() == [head_revision()]
    assert [r.down_revision for r in revisions] == [r.revision for r in revisions[1:]] + [None]
    assert [r.revision for r in reversed(revisions)][:2] == ["0001", "0002"]


def test_upgrade_head_on_empty_database_matches_models(empty_engine: Engine) -> None:
    upgrade(empty_engine)

    assert current_revision(empty_engine) == head_revision()
    assert set(inspect(empty_engine).get_table_names()) == {*table_names(), "alembic_version"}
    assert _schema_diff(empty_engine) == []


def test_migrations_create_every_check_constraint_of_the_models(empty_engine: Engine) -> None:
    upgrade(empty_engine)

    # autogenerate does not compare CHECK constraints, so compare their names directly.
    # Migration 0005 adds the NIP digits check on PostgreSQL only (SQLite gets triggers).
    expected = _check_constraints_in_models()
    if empty_engine.dialect.name == "postgresql":
        expected |= {("employees", "ck_employees_nip_digits")}
    assert _check_constraints_in_database(empty_engine) == expected


def test_upgrade_downgrade_base_upgrade_round_trip(empty_engine: Engine) -> None:
    upgrade(empty_engine)
    downgrade(empty_engine, "base")

    assert current_revision(empty_engine) is None
    assert set(inspect(empty_engine).get_table_names()) <= {"alembic_version"}

    upgrade(empty_engine)
    assert current_revision(empty_engine) == head_revision()
    assert _schema_diff(empty_engine) == []
    _add_audit_entry(empty_engine)
    assert _audit_update_refused(empty_engine)


def test_data_survives_downgrade_to_0001_and_upgrade(empty_engine: Engine) -> None:
    upgrade(empty_engine)
    _add_people(empty_engine)
    entry_id = _add_audit_entry(empty_engine)
    stored = _people(empty_engine)
    assert len(stored) == 1

    downgrade(empty_engine, "0001")
    assert current_revision(empty_engine) == "0001"
    assert _people(empty_engine) == stored
    assert not _audit_update_refused(empty_engine), "0002's downgrade left the triggers"

    upgrade(empty_engine)
    assert _people(empty_engine) == stored
    with Session(empty_engine) as session:
        assert session.get(AuditEntry, entry_id).action == "edited"
    assert _audit_update_refused(empty_engine)


def test_0010_downgrade_stores_the_periods_that_evaluations_name(empty_engine: Engine) -> None:
    """Since 0010 a period code is checked in the row, not by a key to `periods`; going back
    to 0009 must first store the `periods` rows the key will demand."""
    upgrade(empty_engine)
    _add_people(empty_engine)
    with empty_engine.begin() as connection:
        connection.execute(update(Evaluation).values(period="2031-07"))

    downgrade(empty_engine, "0009")

    with empty_engine.connect() as connection:
        row = connection.execute(
            text("SELECT kind, year, starts_on, ends_on FROM periods WHERE code = '2031-07'")
        ).one()
        keys = inspect(connection).get_foreign_keys("evaluations")
    assert (row.kind, row.year, str(row.starts_on), str(row.ends_on)) == (
        "month",
        2031,
        "2031-07-01",
        "2031-07-31",
    )
    assert ["period"] in [key["constrained_columns"] for key in keys]
    upgrade(empty_engine)
    assert _schema_diff(empty_engine) == []


def test_audit_log_accepts_inserts(database_url: str) -> None:
    engine = make_engine(database_url)
    first = _add_audit_entry(engine)
    second = _add_audit_entry(engine)

    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(AuditEntry)) == 2
        assert second > first
    engine.dispose()


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_log SET action = 'edited'",
        "UPDATE audit_log SET employee_id = NULL WHERE id = :id",
        "DELETE FROM audit_log",
        "DELETE FROM audit_log WHERE id = :id",
    ],
)
def test_audit_log_refuses_update_and_delete(database_url: str, statement: str) -> None:
    engine = make_engine(database_url)
    entry_id = _add_audit_entry(engine)

    with pytest.raises(IntegrityError, match=APPEND_ONLY), engine.begin() as connection:
        connection.execute(text(statement), {"id": entry_id})

    with Session(engine) as session:
        entry = session.get(AuditEntry, entry_id)
        assert (entry.action, entry.employee_id) == ("read", 1)
    engine.dispose()


def test_audit_log_refuses_truncate_on_postgresql(database_url: str) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite has no TRUNCATE")
    engine = make_engine(database_url)
    _add_audit_entry(engine)

    with pytest.raises(IntegrityError, match=APPEND_ONLY), engine.begin() as connection:
        connection.execute(text("TRUNCATE audit_log"))

    with engine.connect() as connection:
        assert connection.scalar(text("SELECT count(*) FROM audit_log")) == 1
    engine.dispose()


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("sqlite:///offline.db", "CREATE TRIGGER audit_log_no_delete BEFORE DELETE"),
        ("postgresql+psycopg://kinerja@db/kinerja", "BEFORE TRUNCATE ON audit_log"),
    ],
)
def test_0002_renders_offline_sql_per_dialect(
    url: str, expected: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", url)
    buffer = io.StringIO()
    config = Config(output_buffer=buffer)
    config.set_main_option("script_location", str(MIGRATIONS_DIR))

    command.upgrade(config, "0001:0002", sql=True)

    assert expected in buffer.getvalue()
    assert "UPDATE alembic_version SET version_num='0002'" in buffer.getvalue()
