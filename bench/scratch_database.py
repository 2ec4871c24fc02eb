"""A PostgreSQL database of a benchmark's own: created empty, dropped afterwards.

Benchmarks never touch a database they did not make, so runs never see each other's
leftovers (the same rule as the tests'). The admin URL names a database to connect to for
CREATE and DROP (CI's and this machine's: `test` at 127.0.0.1:5432, user postgres).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
from sqlalchemy.engine import make_url

ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/test"


@contextmanager
def postgresql_database(
    admin_url: str = ADMIN_URL, prefix: str = "kinerja_bench"
) -> Iterator[str]:
    """Yield the URL of a new empty database `<prefix>_<random>`; drop it (closing whatever
    still connects to it) when the block ends, however it ends."""
    admin = make_url(admin_url)
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    _run(admin_url, f'CREATE DATABASE "{name}"')
    try:
        yield admin.set(database=name).render_as_string(hide_password=False)
    finally:
        _run(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _run(admin_url: str, sql: str) -> None:
    url = make_url(admin_url)
    conninfo = f"host={url.host} port={url.port or 5432} user={url.username} dbname={url.database}"
    with psycopg.connect(conninfo, autocommit=True) as connection:
        connection.execute(sql)
