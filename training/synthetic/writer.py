"""Bulk writes of generated rows: PostgreSQL through COPY, SQLite through executemany.

A `Batch` is one table's rows as columns (numpy arrays or lists of equal length; None is
NULL). `open_writer` yields a writer bound to ONE transaction, so a chunk is committed whole
or not at all. On SQLite the seeding connection runs with `PRAGMA synchronous=OFF` (only that
connection; WAL keeps the file consistent, a power cut may lose the last chunk) and checks
CHECK constraints per batch instead of per row (see `SqliteWriter`). Statements
come from Core `insert()` compiled once per table and column set; rows skip SQLAlchemy's
per-value type processing, so every value must already be what the driver stores (dates as
ISO strings, numbers, text).
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from collections.abc import Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from typing import Protocol
from typing import TypeVar

import numpy as np
from sqlalchemy import CheckConstraint
from sqlalchemy import Connection
from sqlalchemy import Engine
from sqlalchemy import MetaData
from sqlalchemy import Table
from sqlalchemy import insert

ROWS_PER_STATEMENT = 20_000
_LITERAL = {"literal_binds": True}
T = TypeVar("T")


@dataclass
class Batch:
    """Rows of one table as named columns of equal length."""

    table: str
    columns: dict[str, Sequence[Any] | np.ndarray]

    def __len__(self) -> int:
        return len(next(iter(self.columns.values()))) if self.columns else 0

    def rows(
        self,
        names: Sequence[str],
        start: int = 0,
        stop: int | None = None,
        constants: dict[str, Any] | None = None,
    ) -> list[tuple]:
        """Return the rows [start, stop) as tuples of plain Python values in `names` order.

        A name missing from the columns takes its value from `constants` on every row.
        """
        size = len(range(*slice(start, stop).indices(len(self))))
        constants = constants or {}
        columns = [
            _plain(self.columns[name][start:stop])
            if name in self.columns
            else [constants[name]] * size
            for name in names
        ]
        return list(zip(*columns, strict=True))


class Writer(Protocol):
    """Writes batches inside one open transaction."""

    def write(self, batch: Batch) -> int:
        """Insert the batch; return the number of rows written."""
        ...


def _plain(values: Sequence[Any] | np.ndarray) -> list[Any]:
    """Convert a column to plain Python values (ISO strings for dates)."""
    if isinstance(values, np.ndarray):
        if np.issubdtype(values.dtype, np.datetime64):
            return values.astype(str).tolist()
        return values.tolist()
    return list(values)


class SqliteWriter:
    """executemany on a compiled Core insert, then the table's CHECKs over the new rows.

    SQLite re-plans every `x IN (...)` CHECK for each executed row, which made enum-heavy
    tables (evaluations has 13) ten times slower than the rest. The seeding connection
    therefore runs with `PRAGMA ignore_check_constraints=ON`, and after each batch one query
    evaluates every CHECK constraint of the table (the schema's own expressions) over the rows
    just inserted; a violation raises, which rolls the chunk back. Foreign keys, NOT NULL and
    UNIQUE stay enforced by SQLite row by row.
    """

    def __init__(self, connection: Connection, metadata: Sequence[MetaData]) -> None:
        self.connection = connection
        self.tables = _tables(metadata)
        self._statements: dict[tuple, tuple[str, tuple[str, ...], dict[str, Any]]] = {}
        self._checks: dict[str, list[tuple[str, str]]] = {}

    def write(self, batch: Batch) -> int:
        """Insert the batch, then verify the table's CHECK constraints on the new rows."""
        sql, order, constants = self._statement(batch)
        last = self._last_rowid(batch.table)
        for start in range(0, len(batch), ROWS_PER_STATEMENT):
            rows = batch.rows(order, start, start + ROWS_PER_STATEMENT, constants)
            self.connection.exec_driver_sql(sql, rows)
        self._verify(batch.table, last)
        return len(batch)

    def _statement(self, batch: Batch) -> tuple[str, tuple[str, ...], dict[str, Any]]:
        """Compile the insert once; Core adds columns with Python defaults, we fill them."""
        key = (batch.table, tuple(batch.columns))
        if key not in self._statements:
            table = self.tables[batch.table]
            compiled = insert(table).compile(
                dialect=self.connection.dialect, column_keys=list(batch.columns)
            )
            order = tuple(compiled.positiontup or ())
            constants = {
                name: _scalar_default(table, name) for name in order if name not in batch.columns
            }
            self._statements[key] = (str(compiled), order, constants)
        return self._statements[key]

    def _last_rowid(self, name: str) -> int:
        query = f'SELECT COALESCE(MAX(rowid), 0) FROM "{name}"'
        return int(self.connection.exec_driver_sql(query).scalar_one())

    def _verify(self, name: str, after: int) -> None:
        """Raise ValueError naming the first CHECK constraint a new row breaks."""
        constraints = self._constraints(name)
        if not constraints:
            return
        broken = " OR ".join(f"NOT COALESCE(({condition}), 1)" for _, condition in constraints)
        query = f'SELECT rowid FROM "{name}" WHERE rowid > ? AND ({broken}) LIMIT 1'
        bad = self.connection.exec_driver_sql(query, (after,)).first()
        if bad is None:
            return
        for constraint, condition in constraints:
            query = f'SELECT 1 FROM "{name}" WHERE rowid = ? AND NOT COALESCE(({condition}), 1)'
            if self.connection.exec_driver_sql(query, (bad[0],)).first():
                raise ValueError(f"{name} row {bad[0]} breaks CHECK constraint {constraint}")

    def _constraints(self, name: str) -> list[tuple[str, str]]:
        """The table's CHECK constraints as (name, SQL condition), compiled once."""
        if name not in self._checks:
            dialect = self.connection.dialect
            self._checks[name] = [
                (
                    str(constraint.name),
                    str(constraint.sqltext.compile(dialect=dialect, compile_kwargs=_LITERAL)),
                )
                for constraint in self.tables[name].constraints
                if isinstance(constraint, CheckConstraint)
            ]
        return self._checks[name]


class PostgresWriter:
    """COPY ... FROM STDIN through psycopg, one COPY per batch."""

    def __init__(self, connection: Connection) -> None:
        self.cursor = connection.connection.driver_connection.cursor()

    def write(self, batch: Batch) -> int:
        """Stream the batch through one COPY."""
        names = tuple(batch.columns)
        sql = f"COPY {batch.table} ({', '.join(names)}) FROM STDIN"
        with self.cursor.copy(sql) as copy:
            for start in range(0, len(batch), ROWS_PER_STATEMENT):
                for row in batch.rows(names, start, start + ROWS_PER_STATEMENT):
                    copy.write_row(row)
        return len(batch)


@contextmanager
def open_writer(engine: Engine, metadata: Sequence[MetaData]) -> Iterator[Writer]:
    """Yield a writer whose rows commit together when the block ends without error."""
    with engine.connect() as connection:
        sqlite = engine.dialect.name == "sqlite"
        if sqlite:
            _pragmas(connection, synchronous="OFF", ignore_check_constraints="ON")
            writer: Writer = SqliteWriter(connection, metadata)
        else:
            writer = PostgresWriter(connection)
        try:
            with connection.begin():
                yield writer
        finally:
            if sqlite:
                _pragmas(connection, synchronous="NORMAL", ignore_check_constraints="OFF")


def _pragmas(connection: Connection, **values: str) -> None:
    """Set SQLite pragmas on this connection only (it goes back to the pool afterwards)."""
    for name, value in values.items():
        connection.exec_driver_sql(f"PRAGMA {name}={value}")
    connection.commit()


def prefetch(items: Iterator[T], depth: int) -> Iterator[T]:
    """Run `items` on a background thread, at most `depth` ahead, so generating the next
    batch overlaps with writing this one (numpy and the database drivers release the GIL).

    The order is unchanged, so the output is as deterministic as `items`; an exception in
    the producer is raised here, and leaving early stops the producer.
    """
    buffer: queue.Queue[tuple[str, Any]] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def produce() -> None:
        """Run the iterator, handing items, then the end or the error, to the consumer."""
        try:
            for item in items:
                if stop.is_set():
                    return
                buffer.put(("item", item))
        except BaseException as exc:  # handed to the consumer, which re-raises it
            buffer.put(("error", exc))
        else:
            buffer.put(("done", None))

    thread = threading.Thread(target=produce, name="synthetic-prefetch", daemon=True)
    thread.start()
    try:
        while True:
            kind, value = buffer.get()
            if kind == "done":
                return
            if kind == "error":
                raise value
            yield value
    finally:
        stop.set()
        while thread.is_alive():
            try:
                buffer.get(timeout=0.1)
            except queue.Empty:
                pass
        thread.join()


def reset_sequences(engine: Engine, tables: Sequence[str]) -> None:
    """Move PostgreSQL id sequences past the explicit ids the generator wrote."""
    if engine.dialect.name != "postgresql":
        return
    with engine.begin() as connection:
        for table in tables:
            connection.exec_driver_sql(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), max(id)) FROM {table} "
                "HAVING max(id) IS NOT NULL"
            )


def _scalar_default(table: Table, name: str) -> Any:
    """Return a column's constant Python-side default (version=1, is_active=True, ...)."""
    default = table.c[name].default
    if default is None or not getattr(default, "is_scalar", False):
        raise ValueError(f"{table.name}.{name} has no constant default; the generator must set it")
    return default.arg


def _tables(metadata: Sequence[MetaData]) -> dict[str, Table]:
    return {name: table for meta in metadata for name, table in meta.tables.items()}
