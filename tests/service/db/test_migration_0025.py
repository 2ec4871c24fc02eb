"""Migration 0025 adds `risk_feature_rows.panel_slice` (empty: the next period of the rows
stored before it is read in full) and removes it, the feature rows kept both ways."""

from __future__ import annotations

from sqlalchemy import Engine
from sqlalchemy import inspect
from sqlalchemy import text

from service.db.migrate import current_revision
from service.db.migrate import downgrade
from service.db.migrate import upgrade
from tests.service.db.test_migration_0024 import BLOB
from tests.service.db.test_migrations import _add_people
from tests.service.db.test_migrations import empty_engine  # noqa: F401 (fixture)
from tests.service.db.test_migrations import pg_admin  # noqa: F401 (fixture)


def _feature_rows(engine: Engine) -> list[tuple[object, ...]]:
    with engine.connect() as connection:
        rows = connection.execute(
            text("SELECT employee_id, period, features FROM risk_feature_rows")
        )
        return [(e, p, bytes(f)) for e, p, f in rows]


def _columns(engine: Engine) -> set[str]:
    return {c["name"] for c in inspect(engine).get_columns("risk_feature_rows")}


def test_0025_adds_an_empty_panel_slice_and_removes_it(empty_engine: Engine) -> None:  # noqa: F811
    upgrade(empty_engine, "0024")
    _add_people(empty_engine)
    with empty_engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO risk_feature_rows (employee_id, period, features) "
                "SELECT id, '2025-Q3', :blob FROM employees"
            ),
            {"blob": BLOB},
        )
    before = _feature_rows(empty_engine)
    assert before

    upgrade(empty_engine, "0025")
    assert "panel_slice" in _columns(empty_engine)
    with empty_engine.connect() as connection:
        slices = connection.execute(text("SELECT panel_slice FROM risk_feature_rows")).scalars()
        assert set(slices) == {None}
    assert _feature_rows(empty_engine) == before

    downgrade(empty_engine, "0024")
    assert current_revision(empty_engine) == "0024"
    assert "panel_slice" not in _columns(empty_engine)
    assert _feature_rows(empty_engine) == before
