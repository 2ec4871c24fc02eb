"""Bulk insert of validated evaluation rows held as Arrow columns (the import's fast path).

The rows are written on the session's own connection, inside its transaction, so an import
stays all or nothing (the caller commits or rolls back). PostgreSQL gets the whole table as
one CSV stream through COPY, rendered by Arrow's C++ writer, so no Python object is made per
cell; SQLite, which has no COPY, gets multi-row INSERTs bound from Python lists, the cheapest
way through the sqlite3 module (fewer calls into the driver than `executemany`).
"""

from __future__ import annotations

import io
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from itertools import chain
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv
from sqlalchemy import insert
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from service.db.models import Evaluation
from service.db.repositories.risk import forget_scores

_SQLITE_MAX_PARAMETERS = 8000 if sqlite3.sqlite_version_info >= (3, 32) else 999
_SHARED_DISTINCT = 1000
_CACHE_KIB_PER_ROW = 1  # a written row with its index entries takes about 0.4 KiB of pages
_CACHE_MAX_KIB = 1 << 19
# NULL is written as an empty unquoted field and every text is quoted, which is what COPY's
# CSV format reads as NULL and as text (an empty text would be "").
_CSV = pcsv.WriteOptions(include_header=False, quoting_style="needed")


def insert_evaluation_table(session: Session, table: pa.Table) -> None:
    """Insert every row of `table` (columns named as in `evaluations`) in the transaction."""
    if not table.num_rows:
        return
    connection = session.connection()
    raters = pc.unique(table.column("rater_id").drop_null()).to_pylist()
    employees = pc.unique(table.column("employee_id")).to_pylist()
    if connection.dialect.name == "postgresql":
        _copy(connection, table)
    elif connection.dialect.name == "sqlite":
        _insert_sqlite(connection, table)
    else:
        connection.execute(insert(Evaluation.__table__), table.to_pylist())
    # Stored risk goes stale. Last, just before the commit: on PostgreSQL marking them locks
    # the change counter (migration 0011) until the commit, and other writers wait for it.
    forget_scores(connection, sorted(employees), sorted(raters))


def _copy(connection: Connection, table: pa.Table) -> None:
    """One COPY of the table as CSV on the session's connection and transaction."""
    buffer = io.BytesIO()
    pcsv.write_csv(table, buffer, _CSV)
    driver = connection.connection.driver_connection
    assert driver is not None
    statement = f"COPY evaluations ({', '.join(table.column_names)}) FROM STDIN (FORMAT csv)"
    with driver.cursor() as cursor, cursor.copy(statement) as copy:
        copy.write(buffer.getbuffer())


def _insert_sqlite(connection: Connection, table: pa.Table) -> None:
    """Many rows per INSERT, as many as SQLite's parameter limit allows, in a large cache.

    A column that holds one value in the whole table (the period, the kind, the rater of an
    import without `rater_nip`) is bound once per statement, not once per row. The page
    cache is made large enough for the new rows and their index entries while they are
    written, so no page is spilled to the WAL before the commit and written again.
    """
    varying, fixed = _split_constant(table)
    batch = max(1, _SQLITE_MAX_PARAMETERS // len(varying))
    names = ", ".join([*varying, *fixed])
    rows_from = f"SELECT *{', ?' * len(fixed)} FROM (VALUES"
    head = f"INSERT INTO evaluations ({names}) {rows_from}"
    marks = f"({', '.join('?' * len(varying))})"
    full = f"{head} {', '.join([marks] * batch)})"
    columns = [_python(table.column(name).combine_chunks()) for name in varying]
    constants = tuple(fixed.values())
    with _page_cache(connection, table.num_rows * _CACHE_KIB_PER_ROW):
        for start in range(0, table.num_rows, batch):
            rows = zip(*(column[start : start + batch] for column in columns), strict=True)
            flat = (*constants, *chain.from_iterable(rows))  # the SELECT's ? come first
            count = (len(flat) - len(constants)) // len(varying)
            statement = full if count == batch else f"{head} {', '.join([marks] * count)})"
            connection.exec_driver_sql(statement, flat)


def _split_constant(table: pa.Table) -> tuple[list[str], dict[str, Any]]:
    """The names of the columns that vary, and the value of each column that does not."""
    varying: list[str] = []
    fixed: dict[str, Any] = {}
    for name, column in zip(table.column_names, table.columns, strict=True):
        if table.num_rows > 1 and pc.count_distinct(column, mode="all").as_py() == 1:
            fixed[name] = column[0].as_py()
        else:
            varying.append(name)
    return varying, fixed


@contextmanager
def _page_cache(connection: Connection, kibibytes: int) -> Iterator[None]:
    """Raise SQLite's page cache of this connection to `kibibytes` (if larger) for a while."""
    before = connection.exec_driver_sql("PRAGMA cache_size").scalar_one()
    wanted = min(kibibytes, _CACHE_MAX_KIB)
    held = -before if before < 0 else before * 4  # KiB; a positive size counts 4 KiB pages
    if held >= wanted:
        yield
        return
    connection.exec_driver_sql(f"PRAGMA cache_size = -{wanted}")
    try:
        yield
    finally:
        connection.exec_driver_sql(f"PRAGMA cache_size = {before}")


def _python(column: pa.Array) -> list[Any]:
    """A column as Python values; text of few distinct values as shared str objects.

    SQLite binds one str object per parameter either way, but 100k copies of "2025-Q1" cost
    a tenth more to insert than one object bound 100k times (fewer cache misses).
    """
    if not pa.types.is_string(column.type):
        return column.to_pylist()
    encoded = pc.dictionary_encode(column)
    values = encoded.dictionary.to_pylist()
    if len(values) > _SHARED_DISTINCT:
        return column.to_pylist()
    values.append(None)  # the position of a null
    return list(
        map(values.__getitem__, pc.fill_null(encoded.indices, len(values) - 1).to_pylist())
    )
