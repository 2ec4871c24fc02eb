"""Migration 0012 adds and drops the stored feature columns of `risk_scores` without
rebuilding the table: the change-counter triggers of 0011 must survive both directions."""

from __future__ import annotations

from datetime import UTC
from datetime import datetime

from sqlalchemy import Engine
from sqlalchemy import inspect
from sqlalchemy import text

from service.db.migrate import current_revision
from service.db.migrate import downgrade
from service.db.migrate import upgrade
from tests.service.db.test_migrations import _add_people
from tests.service.db.test_migrations import empty_engine  # noqa: F401 (fixture)
from tests.service.db.test_migrations import pg_admin  # noqa: F401 (fixture)

TRIGGERS = {
    "sqlite": "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'risk_scores'",
    "postgresql": "SELECT tgname FROM pg_trigger "
    "WHERE tgrelid = 'risk_scores'::regclass AND NOT tgisinternal",
}


def _triggers(engine: Engine) -> set[str]:
    with engine.connect() as connection:
        return set(connection.execute(text(TRIGGERS[engine.dialect.name])).scalars())


def _columns(engine: Engine) -> set[str]:
    return {column["name"] for column in inspect(engine).get_columns("risk_scores")}


def _bumps(engine: Engine) -> int:
    """Write one risk score of the stored employee and delete it: how far the counter moved."""
    insert = (
        "INSERT INTO risk_scores (employee_id, period, status, flagged, drivers, model_name, "
        "fallback, scored_at, outdated) SELECT id, '2025-Q4', 'insufficient_data', :no, '[]', "
        "'kinerja-risk', :no, :now, :no FROM employees"
    )
    counter = text("SELECT generation FROM change_counters")
    with engine.begin() as connection:
        before = connection.scalar(counter)
        connection.execute(text(insert), {"no": False, "now": datetime.now(UTC)})
        connection.execute(text("DELETE FROM risk_scores"))
        return int(connection.scalar(counter)) - int(before)


def test_0012_keeps_the_change_counter_triggers_both_ways(empty_engine: Engine) -> None:  # noqa: F811
    upgrade(empty_engine)
    _add_people(empty_engine)
    downgrade(empty_engine, "0011")
    before = _triggers(empty_engine)
    assert before  # 0011 put them there
    moved = _bumps(empty_engine)
    assert moved >= 2  # an insert and a delete, each bumps the counter

    upgrade(empty_engine, "0012")
    assert {"features", "feature_set"} <= _columns(empty_engine)
    assert _triggers(empty_engine) == before
    assert _bumps(empty_engine) == moved

    downgrade(empty_engine, "0011")
    assert current_revision(empty_engine) == "0011"
    assert not {"features", "feature_set"} & _columns(empty_engine)
    assert _triggers(empty_engine) == before
    assert _bumps(empty_engine) == moved

    upgrade(empty_engine, "0012")
    assert _triggers(empty_engine) == before
    assert _bumps(empty_engine) == moved
