"""Every migration, down and up again, one revision at a time, on a database full of API data.

The data comes through the API (evaluations, feedback, an SKP, a retrain job, idempotency
records and audit rows, besides the organisation and logins), so it lands wherever the code
writes today, including tables added by later revisions. Walking down, each step must keep
every row of every table it does not drop (on the columns both sides have); walking back up,
the rows of the tables that survived the whole way down are still there, the schema matches
the models again and the audit log is append-only again.
"""

from __future__ import annotations

import json

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine
from sqlalchemy import inspect
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from service.db import make_engine
from service.db.base import Base
from service.db.migrate import MIGRATIONS_DIR
from service.db.migrate import current_revision
from service.db.migrate import downgrade
from service.db.migrate import head_revision
from service.db.migrate import upgrade
from tests.service.api.world import World

Rows = dict[str, tuple[tuple[str, ...], set[tuple]]]


def _fill(client: FlaskClient, world: World) -> None:
    """Write through the API as the roles that may; every answer must be a success."""
    supervisor = world.headers("supervisor")
    e1 = world.employees["E1"]
    writes = [
        (
            "supervisor",
            f"/api/v1/employees/{e1}/evaluations",
            {"period": "2025", "work_result_rating": "sesuai_ekspektasi",
             "behavior_rating": "di_atas_ekspektasi"},
        ),
        ("supervisor", f"/api/v1/employees/{e1}/feedback",
         {"period": "2025", "target": "perilaku", "body": "Kolaborasi baik"}),
        ("data", "/api/v1/models/retrain", {}),
    ]  # fmt: skip
    for number, (role, path, body) in enumerate(writes):
        headers = {**world.headers(role), "Idempotency-Key": f"migrate-{number}"}
        response = client.post(path, json=body, headers=headers)
        assert response.status_code == 201, (path, response.get_json())
    assert client.get(f"/api/v1/employees/{e1}/feedback", headers=supervisor).status_code == 200


def _rows(engine: Engine) -> Rows:
    """Every row of every table (the revision table aside), with the column names."""
    found: Rows = {}
    with engine.connect() as connection:
        inspector = inspect(connection)
        for table in set(inspector.get_table_names()) - {"alembic_version"}:
            columns = tuple(c["name"] for c in inspector.get_columns(table))
            result = connection.execute(text(f'SELECT * FROM "{table}"'))
            found[table] = (columns, {tuple(map(_hashable, row)) for row in result})
    return found


def _hashable(value: object) -> object:
    """JSON columns come back as lists and dicts on PostgreSQL: compare their text."""
    return json.dumps(value, sort_keys=True) if isinstance(value, list | dict) else value


def _project(rows: Rows, table: str, columns: tuple[str, ...]) -> set[tuple]:
    names, values = rows[table]
    index = [names.index(c) for c in columns]
    return {tuple(row[i] for i in index) for row in values}


def _lost(before: Rows, after: Rows) -> dict[str, int]:
    """Rows of tables present on both sides that `after` lacks, on their common columns."""
    lost = {}
    for table in before.keys() & after.keys():
        common = tuple(c for c in before[table][0] if c in after[table][0])
        missing = _project(before, table, common) - _project(after, table, common)
        if missing:
            lost[table] = len(missing)
    return lost


def _revisions() -> list[str]:
    """Revision ids from the first to the head."""
    script = ScriptDirectory(str(MIGRATIONS_DIR))
    return [r.revision for r in reversed(list(script.walk_revisions()))]


def _schema_diff(engine: Engine) -> list[object]:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, Base.metadata))


# PostgreSQL takes ~15 s for the walk on a busy machine: it runs with the slow tests.
@pytest.mark.parametrize(
    "database_url", ["sqlite", pytest.param("postgresql", marks=pytest.mark.slow)], indirect=True
)
def test_each_migration_goes_down_and_up_keeping_the_data(
    app: Flask, client: FlaskClient, world: World, database_url: str
) -> None:
    _fill(client, world)
    app.extensions["db"].engine.dispose()  # no pooled connection may hold a lock on a table
    engine = make_engine(database_url)
    try:
        start = _rows(engine)
        assert sum(len(values) for _, values in start.values()) > 50
        steps = _revisions()
        previous = start
        for revision in reversed(steps[:-1]):
            downgrade(engine, revision)
            assert current_revision(engine) == revision
            now = _rows(engine)
            assert _lost(previous, now) == {}, f"downgrade to {revision}"
            previous = now
        survivors = previous
        for revision in steps[1:]:
            upgrade(engine, revision)
            assert current_revision(engine) == revision
            assert _lost(survivors, _rows(engine)) == {}, f"upgrade to {revision}"
        assert current_revision(engine) == head_revision()
        assert _schema_diff(engine) == []
        with pytest.raises(IntegrityError, match="append-only"), engine.begin() as connection:
            connection.execute(text("UPDATE audit_log SET action = 'edited'"))
    finally:
        engine.dispose()
    assert set(survivors) < set(start), "the walk dropped no table: it tested nothing"
    assert survivors["evaluations"][1], "the evaluation made it down to the first revision"
