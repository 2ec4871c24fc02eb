"""Migration 0013 keys the audit log's indexes by id: the admin's page of one employee's or
one actor's entries comes from the index in its order (no sort), rows survive both ways and
the append-only triggers of 0002 stay (only indexes change, the table is not rebuilt)."""

from __future__ import annotations

from datetime import UTC
from datetime import datetime

import pytest
from sqlalchemy import Engine
from sqlalchemy import inspect
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from service.db.migrate import downgrade
from service.db.migrate import upgrade
from service.db.repositories.access import list_audit
from tests.service.db.test_migrations import APPEND_ONLY
from tests.service.db.test_migrations import empty_engine  # noqa: F401 (fixture)
from tests.service.db.test_migrations import pg_admin  # noqa: F401 (fixture)

NEW = {
    "ix_audit_log_employee_id": ["employee_id", "id"],
    "ix_audit_log_actor_id": ["actor_user_id", "id"],
}
OLD = {
    "ix_audit_log_employee_at": ["employee_id", "at"],
    "ix_audit_log_actor_at": ["actor_user_id", "at"],
}
INSERT = text(
    "INSERT INTO audit_log (at, actor_user_id, actor_username, action, resource, employee_id) "
    "VALUES (:at, :actor, 'atasan', 'read', 'risk', :employee)"
)


def _indexes(engine: Engine) -> dict[str, list[str]]:
    return {i["name"]: i["column_names"] for i in inspect(engine).get_indexes("audit_log")}


def _add_rows(engine: Engine) -> None:
    at = datetime(2026, 12, 6, 8, 0, tzinfo=UTC)
    rows = [{"at": at, "actor": 7 + n % 2, "employee": 100 + n % 3} for n in range(12)]
    with engine.begin() as connection:
        connection.execute(INSERT, rows)


def _page(engine: Engine, **filters: int) -> list[int]:
    with Session(engine) as session:
        return [entry.id for entry in list_audit(session, 3, 1, **filters).items]


def _refuses_changes(engine: Engine) -> None:
    with pytest.raises(IntegrityError, match=APPEND_ONLY), engine.begin() as connection:
        connection.execute(text("DELETE FROM audit_log WHERE employee_id = 100"))


def test_0013_swaps_the_indexes_both_ways_and_keeps_rows_and_triggers(
    empty_engine: Engine,  # noqa: F811
) -> None:
    upgrade(empty_engine, "0012")
    _add_rows(empty_engine)
    assert OLD.items() <= _indexes(empty_engine).items()
    pages = (_page(empty_engine, employee_id=100), _page(empty_engine, actor_user_id=8))
    assert pages == ([7, 4, 1], [10, 8, 6])  # newest first, the second page of 3

    upgrade(empty_engine, "0013")
    assert NEW.items() <= _indexes(empty_engine).items()
    assert not OLD.keys() & _indexes(empty_engine).keys()
    assert (_page(empty_engine, employee_id=100), _page(empty_engine, actor_user_id=8)) == pages
    _refuses_changes(empty_engine)

    downgrade(empty_engine, "0012")
    assert OLD.items() <= _indexes(empty_engine).items()
    assert not NEW.keys() & _indexes(empty_engine).keys()
    assert (_page(empty_engine, employee_id=100), _page(empty_engine, actor_user_id=8)) == pages
    _refuses_changes(empty_engine)


@pytest.mark.parametrize("column", ["employee_id", "actor_user_id"])
def test_sqlite_pages_one_persons_entries_from_the_index_without_a_sort(
    empty_engine: Engine,  # noqa: F811
    column: str,
) -> None:
    if empty_engine.dialect.name != "sqlite":
        pytest.skip("SQLite's query plan")
    upgrade(empty_engine)
    query = f"SELECT * FROM audit_log WHERE {column} = 1 ORDER BY id DESC LIMIT 50 OFFSET 50"
    with empty_engine.connect() as connection:
        plan = [row[3] for row in connection.execute(text(f"EXPLAIN QUERY PLAN {query}"))]
    assert len(plan) == 1 and "USING INDEX ix_audit_log_" in plan[0], plan  # no TEMP B-TREE
