"""Each thread's own SQLite connection for lone statements: autocommit, queued, replaced."""

from __future__ import annotations

import sqlite3
import threading
import time
from datetime import UTC
from datetime import date
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import Integer
from sqlalchemy import bindparam
from sqlalchemy import func
from sqlalchemy import insert
from sqlalchemy import select
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import IntegrityError
from sqlalchemy.exc import OperationalError

from service.db import make_database
from service.db import make_engine
from service.db.models import AuditEntry
from service.db.models import Employee
from service.db.models import Evaluation
from service.db.repositories.access import change_generation
from service.db.repositories.access import insert_audit
from service.db.repositories.access import insert_audit_at
from service.db.repositories.access import insert_audit_now
from service.db.repositories.organisation import employee_card
from service.db.thread_connections import LoneSelect
from service.db.thread_connections import Prepared
from service.db.thread_connections import kept_connection
from service.domain.entities import EvaluationKind
from service.domain.entities import Predikat
from service.domain.evaluation_input import WRITE_COLUMNS
from service.domain.evaluation_input import evaluation_columns
from service.domain.evaluation_input import parse_evaluation
from tests.factories import make_employee
from tests.factories import make_evaluation


def _row(employee_id: int) -> dict[str, object]:
    return {
        "at": datetime(2026, 12, 6, 8, 30, 1, 250000, tzinfo=UTC),
        "actor_user_id": 7,
        "actor_username": "atasan",
        "action": "read",
        "resource": "risk",
        "resource_id": None,
        "employee_id": employee_id,
        "request_id": "req-1",
    }


def _in_thread(work):  # type: ignore[no-untyped-def]
    result: list[object] = []
    thread = threading.Thread(target=lambda: result.append(work()))
    thread.start()
    thread.join(timeout=10)
    return result[0]


def test_one_connection_per_thread_in_autocommit(database_url: str) -> None:
    engine = make_engine(database_url)
    kept = kept_connection(engine)
    if not database_url.startswith("sqlite"):
        assert kept is None  # PostgreSQL: the pool, as before
        return
    assert kept is not None and kept is kept_connection(engine)
    assert kept.connection.isolation_level is None
    other = _in_thread(lambda: kept_connection(engine))
    assert other is not None and other.connection is not kept.connection
    assert kept_connection(make_engine("sqlite://")) is None  # in memory: the pool
    engine.dispose()


def test_an_audit_row_is_committed_when_insert_returns(database_url: str) -> None:
    """Every call leaves one row, stored as SQLAlchemy's INSERT stores it, seen at once by
    another connection; nothing stays open on this thread's connection. `insert_audit`
    stores the same, in the session's transaction (a rollback drops it)."""
    database = make_database(database_url)
    engine = database.engine
    generation = change_generation(engine)
    insert_audit_now(engine, _row(41))
    _in_thread(lambda: insert_audit_now(engine, _row(42)))
    insert_audit_now(engine, _row(43))
    with database.sessions() as session:
        session.execute(AuditEntry.__table__.insert(), _row(44))
        session.commit()
        insert_audit(session.connection(), _row(45))  # in the session's transaction:
        session.rollback()  # gone with it
        insert_audit(session.connection(), _row(46))
        session.commit()
    reader = make_engine(database_url)
    with reader.connect() as connection:
        rows = connection.execute(
            text("SELECT employee_id, at, actor_username FROM audit_log ORDER BY id")
        ).all()
    assert [row[0] for row in rows] == [41, 42, 43, 44, 46]
    assert len({str(row[1]) for row in rows}) == 1  # the same stored form as a session's
    assert change_generation(engine) == generation  # audit rows are no access change
    kept = kept_connection(engine)
    assert kept is None or not kept.connection.in_transaction
    reader.dispose()
    engine.dispose()


def test_an_audit_row_at_a_generation_is_written_only_while_it_is_current(
    database_url: str,
) -> None:
    """`insert_audit_at` writes the row, as `insert_audit_now` stores it, while the change
    counter reads the generation given, and nothing once a change moved it."""
    database = make_database(database_url)
    engine = database.engine
    generation = change_generation(engine)
    assert insert_audit_at(engine, _row(51), generation) is True
    assert _in_thread(lambda: insert_audit_at(engine, _row(52), generation)) is True
    with database.sessions() as session:
        make_employee(session)  # an access change: the counter moves
        session.commit()
    moved = change_generation(engine)
    assert moved != generation
    assert insert_audit_at(engine, _row(53), generation) is False
    assert insert_audit_at(engine, _row(54), moved) is True
    insert_audit_now(engine, _row(55))
    with engine.connect() as connection:
        rows = connection.execute(
            text("SELECT employee_id, at, actor_username, request_id FROM audit_log ORDER BY id")
        ).all()
    assert [row[0] for row in rows] == [51, 52, 54, 55]
    assert len({tuple(map(str, row[1:])) for row in rows}) == 1  # stored as the others
    kept = kept_connection(engine)
    assert kept is None or not kept.connection.in_transaction
    engine.dispose()


def test_the_audit_row_waits_in_the_writer_queue(tmp_path: Path, sqlite_template: Path) -> None:
    path = tmp_path / "queued.db"
    path.write_bytes(sqlite_template.read_bytes())
    engine = make_engine(f"sqlite:///{path}")
    holder = engine.connect()
    holder.execute(text("INSERT INTO audit_log (at, action, resource) "
                        "VALUES ('2026-01-01', 'read', 'held')"))  # fmt: skip
    done: list[str] = []
    thread = threading.Thread(
        target=lambda: (insert_audit_now(engine, _row(5)), done.append("in"))
    )
    thread.start()
    time.sleep(0.3)
    assert done == []  # queued behind the open write transaction, not failed
    holder.commit()
    thread.join(timeout=5)
    assert done == ["in"]
    insert_audit_now(engine, _row(6))  # the queue was freed
    count = holder.execute(text("SELECT count(*) FROM audit_log")).scalar()
    assert count == 3
    holder.close()
    engine.dispose()


def test_a_new_connection_after_dispose_and_after_an_error(
    tmp_path: Path, sqlite_template: Path
) -> None:
    path = tmp_path / "errors.db"
    path.write_bytes(sqlite_template.read_bytes())
    engine = make_engine(f"sqlite:///{path}")
    first = kept_connection(engine)
    assert first is not None
    engine.dispose()
    second = kept_connection(engine)
    assert second is not None and second.connection is not first.connection
    bad = dict(_row(1), at="not a datetime")  # the bind processor refuses it
    with pytest.raises(TypeError):
        insert_audit_now(engine, bad)
    assert kept_connection(engine) is second  # nothing reached the database
    with engine.begin() as connection:
        connection.execute(text("ALTER TABLE audit_log RENAME TO audit_log_away"))
    with pytest.raises(DBAPIError):
        insert_audit_now(engine, _row(2))
    with pytest.raises(sqlite3.ProgrammingError):  # closed after the error
        second.connection.execute("SELECT 1")
    with engine.begin() as connection:
        connection.execute(text("ALTER TABLE audit_log_away RENAME TO audit_log"))
    insert_audit_now(engine, _row(3))
    third = kept_connection(engine)
    assert third is not None and third.connection is not second.connection
    engine.dispose()


def test_write_alone_refuses_a_connection_in_a_transaction(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'alone.db'}")
    kept = kept_connection(engine)
    assert kept is not None
    kept.connection.execute("CREATE TABLE t (x)")
    kept.connection.execute("BEGIN")
    with pytest.raises(sqlite3.ProgrammingError, match="autocommit"):
        kept.connection.write_alone("INSERT INTO t VALUES (?)", (1,))  # type: ignore[attr-defined]
    kept.connection.execute("ROLLBACK")
    kept.connection.write_alone("INSERT INTO t VALUES (?)", (2,))  # type: ignore[attr-defined]
    assert kept.cursor.execute("SELECT x FROM t").fetchall() == [(2,)]
    engine.dispose()


def test_a_lone_select_reads_as_the_session_would(database_url: str) -> None:
    """`LoneSelect.first`: the same `Row` (names, values, their types) as the statement run on
    the session; alone on this thread's connection (SQLite files) only while the session has
    no transaction, so inside one it sees the session's own unwritten rows."""
    database = make_database(database_url)
    statement = (
        select(Evaluation.__table__, Employee.__table__.c.unit_id.label("employee_unit_id"))
        .join(Employee.__table__, Employee.__table__.c.id == Evaluation.__table__.c.employee_id)
        .where(Evaluation.__table__.c.id == bindparam("evaluation_id", type_=Integer()))
    )
    lone = LoneSelect(statement)
    with database.sessions() as session:
        evaluation = make_evaluation(
            session, period="2025-Q2", behavior_ratings={"akuntabel": "di_atas_ekspektasi"},
            feedback="lanjutkan", rater_id=make_employee(session).id,
        )  # fmt: skip
        session.commit()
        expected = session.execute(statement, {"evaluation_id": evaluation.id}).one()
        session.commit()
        found = lone.first(session, {"evaluation_id": evaluation.id})
        assert session.in_transaction() is database_url.startswith("postgresql")  # or alone
        session.commit()
        assert found is not None and found._fields == expected._fields
        assert tuple(found) == tuple(expected)
        assert [type(v) for v in found] == [type(v) for v in expected]
        assert lone.first(session, {"evaluation_id": evaluation.id + 1000}) is None
        session.commit()
        added = make_evaluation(session, period="2025-Q3")  # flushed, not committed
        inside = lone.first(session, {"evaluation_id": added.id})
        assert inside is not None and inside.period == "2025-Q3"
        session.rollback()
    kept = kept_connection(database.engine)
    assert kept is None or not kept.connection.in_transaction
    database.engine.dispose()


def test_the_employee_card_reads_alone_and_sees_pending_changes(database_url: str) -> None:
    """`employee_card` (every rating write's access check): before the session's first
    statement it runs alone (SQLite files), with the columns `session.execute` gave; a change
    made but not flushed is flushed first and seen, as `session.execute`'s autoflush did."""
    database = make_database(database_url)
    with database.sessions() as session:
        boss = make_employee(session)
        stored = make_employee(session, grade="III/b", unit_id=boss.unit_id)
        session.commit()
        card = employee_card(session, stored.id)
        assert session.in_transaction() is database_url.startswith("postgresql")  # or alone
        assert card is not None
        assert card._asdict() == {
            "id": stored.id,
            "unit_id": stored.unit_id,
            "supervisor_id": None,
            "hire_date": date(2010, 1, 1),
            "grade": "III/b",
        }
        assert employee_card(session, stored.id + 1000) is None
        session.commit()
        stored.supervisor_id = boss.id  # pending: not flushed
        card = employee_card(session, stored.id)
        assert card is not None and card.supervisor_id == boss.id
        session.rollback()
    database.engine.dispose()


def test_a_prepared_statement_answers_as_sqlalchemy_executes_it(database_url: str) -> None:
    """`Prepared.first_on` (the evaluation write's INSERT) and `all_on`: the rows
    SQLAlchemy's execution gives (names, values, types), on the session's connection and in
    its transaction (a rollback undoes it); a column left out gets its constant default
    (version 1) and a LIMIT its value, as SQLAlchemy gives them; a duplicate is
    SQLAlchemy's IntegrityError."""
    database = make_database(database_url)
    table = Evaluation.__table__
    statement = insert(table).returning(table.c.id, table.c.version, table.c.kind)
    prepared = Prepared(statement, WRITE_COLUMNS)
    body = {"work_result_rating": "sesuai_ekspektasi", "behavior_rating": "di_atas_ekspektasi"}
    with database.sessions() as session:
        employee = make_employee(session)
        session.commit()

        def columns(period: str) -> dict[str, object]:
            values = evaluation_columns(parse_evaluation(body | {"period": period}))
            return {"employee_id": employee.id, "rater_id": None} | values

        connection = session.connection()
        expected = connection.execute(statement, columns("2025-Q1")).one()
        found = prepared.first_on(connection, columns("2025-Q2"))
        assert found is not None and found._fields == expected._fields
        assert (found.version, found.kind) == (1, EvaluationKind.PERIODIK) == tuple(expected)[1:]
        assert [type(v) for v in found] == [type(v) for v in expected]
        stored = connection.execute(select(table).where(table.c.id == found.id)).one()
        assert (stored.predikat, stored.behavior_akuntabel) == (Predikat.BAIK, None)
        latest = Prepared(select(table.c.period).order_by(table.c.period.desc()).limit(1))
        assert tuple(latest.first_on(connection, {}) or ()) == ("2025-Q2",)
        periods = Prepared(select(table.c.period, table.c.kind).order_by(table.c.period))
        every = connection.execute(periods.statement).all()
        assert periods.all_on(connection, {}) == every and len(every) == 2
        assert [type(v) for v in periods.all_on(connection, {})[0]] == [type(v) for v in every[0]]
        with pytest.raises(IntegrityError):
            prepared.first_on(connection, columns("2025-Q2"))
        session.rollback()
        assert session.scalar(select(func.count()).select_from(table)) == 0
    database.engine.dispose()


def test_a_database_that_cannot_be_opened_is_sqlalchemys_error(tmp_path: Path) -> None:
    """The thread's connection raises SQLAlchemy's `OperationalError` (which the API answers
    with 503) when the file cannot be opened, not the driver's (a 500)."""
    engine = make_engine(f"sqlite:///{tmp_path / 'kinerja.db'}")
    (tmp_path / "kinerja.db").mkdir()  # where the file should be: SQLite cannot open it
    with pytest.raises(OperationalError):
        kept_connection(engine)
    engine.dispose()
