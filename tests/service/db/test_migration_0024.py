"""Migration 0024 moves the stored feature rows out of `risk_scores` into `risk_feature_rows`
and back, blob for blob, and keeps the change-counter triggers of 0011 both ways."""

from __future__ import annotations

from datetime import UTC
from datetime import datetime

from sqlalchemy import Engine
from sqlalchemy import inspect
from sqlalchemy import text

from service.db.migrate import current_revision
from service.db.migrate import downgrade
from service.db.migrate import upgrade
from tests.service.db.test_migration_0012 import _triggers
from tests.service.db.test_migrations import _add_people
from tests.service.db.test_migrations import empty_engine  # noqa: F401 (fixture)
from tests.service.db.test_migrations import pg_admin  # noqa: F401 (fixture)

#: A feature row of every byte value (NUL included), as a blob must come back.
BLOB = bytes(range(256)) + bytes(range(176))
PERIODS = ("2025-Q3", "2025-Q4")


def _store_scores(engine: Engine) -> None:
    """Two scores of the stored employee: one with a feature row, one without."""
    insert = text(
        "INSERT INTO risk_scores (employee_id, period, status, flagged, drivers, model_name, "
        "fallback, scored_at, outdated, features, feature_set) SELECT id, :period, 'ok', "
        ":no, '[]', 'kinerja-risk', :no, :now, :no, :features, 'abc' FROM employees"
    )
    with engine.begin() as connection:
        for period, features in zip(PERIODS, (BLOB, None), strict=True):
            values = {"period": period, "no": False, "now": datetime.now(UTC)}
            connection.execute(insert, values | {"features": features})


def _moved(engine: Engine) -> list[tuple[object, ...]]:
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT period, features FROM risk_feature_rows"))
        return [(period, bytes(features)) for period, features in rows]


def _kept(engine: Engine) -> list[tuple[object, ...]]:
    query = "SELECT period, features, feature_set FROM risk_scores ORDER BY period"
    with engine.connect() as connection:
        rows = connection.execute(text(query))
        return [(p, None if f is None else bytes(f), s) for p, f, s in rows]


def test_0024_moves_the_feature_rows_and_back(empty_engine: Engine) -> None:  # noqa: F811
    upgrade(empty_engine, "0023")
    _add_people(empty_engine)
    _store_scores(empty_engine)
    before = _kept(empty_engine)
    assert before == [("2025-Q3", BLOB, "abc"), ("2025-Q4", None, "abc")]
    triggers = _triggers(empty_engine)

    upgrade(empty_engine, "0024")
    columns = {c["name"] for c in inspect(empty_engine).get_columns("risk_scores")}
    assert "features" not in columns and "feature_set" in columns
    assert _moved(empty_engine) == [("2025-Q3", BLOB)]
    assert _triggers(empty_engine) == triggers

    downgrade(empty_engine, "0023")
    assert current_revision(empty_engine) == "0023"
    assert "risk_feature_rows" not in inspect(empty_engine).get_table_names()
    assert _kept(empty_engine) == before
    assert _triggers(empty_engine) == triggers

    upgrade(empty_engine, "0024")
    assert _moved(empty_engine) == [("2025-Q3", BLOB)]
    assert _triggers(empty_engine) == triggers
