"""A benchmark's own PostgreSQL database: there while the block runs, gone after it."""

from __future__ import annotations

import sys
from pathlib import Path

import psycopg
import pytest
from sqlalchemy.engine import make_url

from tests.conftest import PG_URL
from tests.conftest import _pg_admin_conninfo

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

from scratch_database import postgresql_database  # noqa: E402


def _exists(name: str) -> bool:
    with psycopg.connect(_pg_admin_conninfo()) as connection:
        query = "SELECT 1 FROM pg_database WHERE datname = %s"
        return connection.execute(query, (name,)).fetchone() is not None


def test_the_database_is_made_empty_and_dropped_even_after_a_failure(
    pg_template: str | None,
) -> None:
    if pg_template is None:
        pytest.skip("PostgreSQL is not reachable")
    with pytest.raises(RuntimeError), postgresql_database(PG_URL, "kinerja_bench_t") as url:
        name = make_url(url).database
        assert name is not None and name.startswith("kinerja_bench_t_") and _exists(name)
        with psycopg.connect(make_url(url).render_as_string(hide_password=False)) as connection:
            tables = "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"
            assert connection.execute(tables).fetchone() == (0,)
        raise RuntimeError("the benchmark failed")  # left open: the drop must still happen
    assert not _exists(name)
