"""Migration 0022 lets a window reopening name one period and keeps the SKP drafting runs;
its downgrade deletes the reopenings limited to a period (the previous release would read
them as reopening every period, which nobody granted), keeps the whole ones, and drops the
runs' tables."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Engine
from sqlalchemy import inspect
from sqlalchemy import text
from sqlalchemy.orm import Session

from service.db.migrate import downgrade
from service.db.migrate import upgrade
from service.db.models import WindowReopening
from tests.factories import make_unit
from tests.service.db.test_migrations import empty_engine  # noqa: F401 (fixture)
from tests.service.db.test_migrations import pg_admin  # noqa: F401 (fixture)

ROWS = text("SELECT reason FROM window_reopenings ORDER BY id")
RUNS = {"skp_drafting_runs", "skp_drafting_skips"}


def _columns(engine: Engine) -> set[str]:
    return {column["name"] for column in inspect(engine).get_columns("window_reopenings")}


def test_0022_adds_the_period_and_the_runs_and_its_downgrade_drops_limited_reopenings(
    empty_engine: Engine,  # noqa: F811
) -> None:
    upgrade(empty_engine, "0022")
    assert "period" in _columns(empty_engine)
    assert RUNS <= set(inspect(empty_engine).get_table_names())
    with Session(empty_engine) as session:
        unit = make_unit(session)
        for reason, period in (("semua", None), ("triwulan", "2025-Q1")):
            session.add(
                WindowReopening(unit_id=unit.id, until=date(2026, 1, 1), reason=reason,
                                period=period)
            )  # fmt: skip
        session.commit()

    downgrade(empty_engine, "0021")
    assert "period" not in _columns(empty_engine)
    assert not RUNS & set(inspect(empty_engine).get_table_names())
    with empty_engine.connect() as connection:
        assert connection.execute(ROWS).scalars().all() == ["semua"]

    upgrade(empty_engine, "0022")
    with empty_engine.connect() as connection:
        kept = connection.execute(text("SELECT reason, period FROM window_reopenings")).all()
    assert [tuple(row) for row in kept] == [("semua", None)]
