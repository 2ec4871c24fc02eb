"""Bulk insert of validated evaluation rows held as Arrow columns (the import's fast path).

The rows are written on the session's own connection, inside its transaction, so an import
stays all or nothing (the caller commits or rolls back). PostgreSQL gets the whole table as
one CSV stream through COPY, rendered by Arrow's C++ writer, so no Python object is made per
cell; SQLite, which has no COPY, gets multi-row INSERTs bound from Python lists, the cheapest
way through the sqlite3 module (fewer calls into the driver than `executemany`).

On SQLite a second thread makes the parameters of the next statements while this one
executes the current one: the sqlite3 module lets go of the GIL while SQLite steps a
statement, about two thirds of the write, so the two overlap on two cores. Only this
thread touches the connection (and SQLite's page cache is allocated in it), every row was
validated before the first is written, and a failed statement raises here as it always
did, for the caller to roll back.

On PostgreSQL the backend's CPU is the floor: one transaction is one backend process on
one core, and 100k rows cost it about 1 s (2026-12-06, Intel Xeon; perf): the foreign keys'
per-row checks (a query each, run at the end of the COPY) 38 %, the four indexes 26 %, the
CHECK constraints 12 %, parsing the CSV 13 %. Binary COPY cost the server more (again on the
AMD EPYC: 1.40 s of backend CPU for the same 100k rows against 1.21 s as CSV, medians of 9
runs on a loaded machine: a receive call and a length read per field cost more than
splitting the line), and so did COPY into a temporary table and INSERT ... SELECT.
Skipping the per-row checks (`session_replication_role = replica`, then one `FOR KEY
SHARE` of the referenced employees) took a third off, but needs a superuser or a grant
and skips any other trigger on the table, so it is not done.

Measured again on 2026-12-06 (AMD EPYC, 2 cores, PostgreSQL 15; backend CPU of this COPY
of 100k rows without a rater, median of 4-6 runs, other helpers loading the machine):
0.83-0.91 s. Of a key check, locking the employee's row is 2 % of the backend's time; the
rest is starting, running and ending the check's query, 100k times. So locking every
employee first in one `SELECT ... FOR KEY SHARE` (the checks then find their rows locked)
saves nothing and adds its own scan: +0.05 s and +0.09 s in two series. What each part
costs, by leaving it out of one measured COPY: the employee key 0.27 s, the index on
`period` 0.065 s (needed: `latest_period` reads its last entry), the index on `rater_id`
0.055 s, all CHECKs 0.085 s (the period code's regular expression 0.045 s), the
sequence's 100k `nextval` nothing measurable (a cache of 100: 0.83 s). The text format
instead of CSV: 0.03 s less (within the spread). Rows with a rater pay the second key
check: 1.13 s instead of 0.83-0.91. The WAL is 60 MB (0.6 kB a row: heap 27 MB, 400k
index entries 26 MB, 100k row locks 5 MB).

Measured again on 2026-12-07 (Intel Xeon, 2 shared cores, PostgreSQL 15; backend CPU of
a text COPY of 100k rows into the truncated table, medians of 4, each variant in a
transaction rolled back): 1.10 s. Leaving out the employee key: 0.66 s (its 100k checks
are 0.44 s, 40 %); the index on `period`, on `rater_id`, the unique (employee, period):
0.09-0.10 s each; the rater key (no rater): 0.04 s. A staging table then INSERT ...
SELECT costs more: 1.25 s through a temporary table, 1.29 s through an unlogged one (the
rows are formed twice, and every check and index entry is still made by the INSERT). Of the
whole import (perf, 1.58 s of backend CPU): this COPY 72 % (per-row key checks 30 %, index
entries 18 %, parsing 13 %, WAL 5 %, CHECKs 5 %), the audit rows 0.31-0.35 s, reading
every employee 0.03-0.06 s. So one transaction on one backend cannot reach 100k rows/s
here: its bare COPY alone takes 1.0-1.15 s of CPU; the import's wall is that backend's
CPU plus, on a loaded machine, its wait for a CPU (0.2-1.9 s, `bench/import.py` prints
it), not I/O (one fdatasync, at the commit).
"""

from __future__ import annotations

import io
import sqlite3
from collections import deque
from collections.abc import Iterator
from collections.abc import Mapping
from concurrent.futures import Future
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv
from sqlalchemy import BigInteger
from sqlalchemy import Text
from sqlalchemy import bindparam
from sqlalchemy import cast
from sqlalchemy import func
from sqlalchemy import insert
from sqlalchemy import literal
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from service.db.models import AuditEntry
from service.db.models import Evaluation
from service.db.repositories.risk import FORGET_ALL_ABOVE
from service.db.repositories.risk import earliest_month
from service.db.repositories.risk import forget_all_scores
from service.db.repositories.risk import forget_evaluations

_SQLITE_MAX_PARAMETERS = 8000 if sqlite3.sqlite_version_info >= (3, 32) else 999
_SQLITE_HAS_JSON = sqlite3.sqlite_version_info >= (3, 38)  # JSON functions built in
_SHARED_DISTINCT = 1000
_CACHE_KIB_PER_ROW = 1  # a written row with its index entries takes about 0.4 KiB of pages
_CACHE_MAX_KIB = 1 << 19
_AHEAD = 2  # statements bound and queued for the writer thread
_COPY_ROWS = 10_000  # rows rendered per block of the COPY stream (about 2 MB)
_FIRST_COPY_ROWS = 1000  # the first block: the server waits for it
_VARIES = object()  # the `constant` of a column whose cells differ
_MAKER = "kinerja-import-parameters"  # the thread that makes the SQLite statements' parameters
# NULL is written as an empty unquoted field and every text is quoted, which is what COPY's
# CSV format reads as NULL and as text (an empty text would be "").
_CSV = pcsv.WriteOptions(include_header=False, quoting_style="needed")


def insert_evaluation_table(session: Session, table: pa.Table) -> None:
    """Insert every row of `table` (columns named as in `evaluations`) in the transaction.

    The import's audit rows are not written here: `insert_audit_rows`, which the import runs
    on a second thread while it checks the file's columns."""
    if not table.num_rows:
        return
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        _copy(connection, table)
    elif connection.dialect.name == "sqlite":
        _insert_sqlite(connection, table)
    else:
        connection.execute(insert(Evaluation.__table__), table.to_pylist())
    # Stored risk goes stale. Last, just before the commit: on PostgreSQL marking them locks
    # the change counter (migration 0011) until the commit, and other writers wait for it.
    _forget_scores(connection, table)


def _forget_scores(connection: Connection, table: pa.Table) -> None:
    """Outdate the stored scores the evaluations of `table` may change (`forget_evaluations`);
    those of every period from the earliest one imported when they name more people than one
    statement should (`FORGET_ALL_ABOVE`: a national import), without a row-by-row pass."""
    if len(pc.unique(table.column("employee_id"))) > FORGET_ALL_ABOVE:
        periods = pc.unique(table.column("period")).to_pylist()
        forget_all_scores(connection, earliest_month(periods))
        return
    columns = [table.column(name).to_pylist() for name in ("employee_id", "rater_id", "period")]
    forget_evaluations(connection, zip(*columns, strict=True))


def insert_audit_rows(
    connection: Connection, audit: Mapping[str, object], employees: pa.Array
) -> None:
    """One audit row per id of `employees` (distinct ids), the other columns from `audit`,
    in one INSERT ... SELECT in the connection's transaction.

    The ids travel as one text of digits, in ascending order (the index on `employee_id`
    then grows at neighbouring pages), which the database splits into rows (`json_each` on
    SQLite, `string_to_array` on PostgreSQL): one statement and one parameter however many
    people an import names, and no Python object per row (Arrow renders the text).
    `audit`'s values are bound once, through each column's type, so the rows hold what
    `record` would store.

    Cost for 100k people (2026-12-06, 2 shared cores): PostgreSQL's backend 0.35-0.38 s,
    of which the two secondary indexes of `audit_log` 0.2 s and splitting the text 0.02 s
    (a COPY of the same rows cost it 0.42-0.45 s, and this process 0.17-0.19 s more);
    SQLite 0.10-0.14 s of this process. The import runs it on a second thread, while it
    checks the file's columns (`imports.audit_meanwhile`): the statement lets go of the GIL
    while the database works, and the connection is not otherwise used meanwhile.
    """
    if not len(employees):
        return
    employees = employees.take(pc.sort_indices(employees))
    columns = AuditEntry.__table__.c
    names = [name for name in audit if name != "employee_id"]
    constants = [literal(audit[name], columns[name].type) for name in names]
    into = insert(AuditEntry.__table__)
    if connection.dialect.name == "postgresql":
        listed = func.string_to_array(bindparam("ids", _id_text(employees), Text), "\n")
        ids = func.unnest(cast(listed, ARRAY(BigInteger)))
        connection.execute(into.from_select([*names, "employee_id"], select(*constants, ids)))
    elif connection.dialect.name == "sqlite" and _SQLITE_HAS_JSON:
        text = "[" + _id_text(employees).replace("\n", ",") + "]"
        rows = func.json_each(bindparam("ids", text, Text)).table_valued("value")
        query = select(*constants, rows.c.value).select_from(rows)
        connection.execute(into.from_select([*names, "employee_id"], query))
    else:
        values = [{**audit, "employee_id": at} for at in employees.to_pylist()]
        connection.execute(into, values)


def _id_text(ids: pa.Array) -> str:
    """The ids as decimal text, one a line (no trailing newline), rendered by Arrow."""
    buffer = io.BytesIO()
    pcsv.write_csv(pa.table({"id": ids}), buffer, _CSV)
    return buffer.getvalue().decode().rstrip("\n")


def _copy(connection: Connection, table: pa.Table) -> None:
    """One COPY of the table as CSV on the session's connection and transaction.

    The CSV is rendered and sent a block of rows at a time, so the server parses and
    inserts a block while the next one is rendered, and no copy of the whole file is held.
    A refused row raises the driver's error as SQLAlchemy wraps it (`IntegrityError` for a
    duplicate stored meanwhile, which the API answers with 409), as on SQLite.
    """
    driver = connection.connection.driver_connection
    assert driver is not None
    statement = f"COPY evaluations ({', '.join(table.column_names)}) FROM STDIN (FORMAT csv)"
    dbapi_error = connection.dialect.loaded_dbapi.Error
    try:
        with driver.cursor() as cursor, cursor.copy(statement) as copy:
            for start, stop in _blocks(table.num_rows):
                buffer = io.BytesIO()
                pcsv.write_csv(table.slice(start, stop - start), buffer, _CSV)
                copy.write(buffer.getbuffer())
    except dbapi_error as error:
        raise DBAPIError.instance(
            statement, None, error, dbapi_error, dialect=connection.dialect
        ) from error


def _blocks(rows: int) -> Iterator[tuple[int, int]]:
    """The (start, stop) of each block of the COPY stream: a small first one, so the server
    starts while the next is rendered, then `_COPY_ROWS` at a time."""
    stop = min(rows, _FIRST_COPY_ROWS)
    yield 0, stop
    for start in range(stop, rows, _COPY_ROWS):
        yield start, min(rows, start + _COPY_ROWS)


def _insert_sqlite(connection: Connection, table: pa.Table) -> None:
    """Many rows per INSERT, as many as SQLite's parameter limit allows, in a large cache.

    A column that holds one value in the whole table (the period, the kind, the rater of an
    import without `rater_nip`) is bound once per statement, not once per row. The page
    cache is made large enough for the new rows and their index entries while they are
    written, so no page is spilled to the WAL before the commit and written again. A thread
    makes the parameters of the next `_AHEAD` statements while this one executes one.
    """
    cells = {name: _Cells(table.column(name).combine_chunks()) for name in table.column_names}
    fixed = {name: cell.constant for name, cell in cells.items() if cell.constant is not _VARIES}
    if table.num_rows == 1:
        fixed = {}
    varying = [name for name in cells if name not in fixed]
    statements = _Statements(
        ", ".join([*varying, *fixed]),
        [cells[name] for name in varying],
        tuple(fixed.values()),
        table.num_rows,
    )
    made: deque[Future[tuple[str, tuple[Any, ...]]]] = deque()
    with (
        _page_cache(connection, table.num_rows * _CACHE_KIB_PER_ROW),
        ThreadPoolExecutor(1, thread_name_prefix=_MAKER) as maker,
    ):
        for start in statements.starts:
            made.append(maker.submit(statements.make, start))
            if len(made) > _AHEAD:
                connection.exec_driver_sql(*made.popleft().result())
        while made:
            connection.exec_driver_sql(*made.popleft().result())


@dataclass(frozen=True)
class _Statements:
    """The INSERTs of `rows` rows: `columns` (named first in `names`) bound row by row, then
    `constants`, bound once per statement (the SELECT's ? come first)."""

    names: str
    columns: list[_Cells]
    constants: tuple[Any, ...]
    rows: int

    @property
    def starts(self) -> range:
        """The first row of each statement."""
        return range(0, self.rows, self._batch)

    @property
    def _batch(self) -> int:
        return max(1, _SQLITE_MAX_PARAMETERS // len(self.columns))

    def make(self, start: int) -> tuple[str, tuple[Any, ...]]:
        """The statement whose first row is `start`, and its parameters."""
        count = min(self._batch, self.rows - start)
        block = np.empty((count, len(self.columns)), dtype=object)
        for at, column in enumerate(self.columns):
            block[:, at] = column.cells(start, start + count)
        marks = f"({', '.join('?' * len(self.columns))})"
        rows_from = f"SELECT *{', ?' * len(self.constants)} FROM (VALUES"
        statement = (
            f"INSERT INTO evaluations ({self.names}) {rows_from} {', '.join([marks] * count)})"
        )
        return statement, (*self.constants, *block.ravel().tolist())


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


class _Cells:
    """A column's cells as Python values, made a block of rows at a time, and its
    `constant`: the one value of every cell (`_VARIES` when they differ).

    Text of few distinct values gives shared str objects: SQLite binds one str object per
    parameter either way, but 100k copies of "2025-Q1" cost a tenth more to insert than one
    object bound 100k times (fewer cache misses). Numbers without nulls come as numpy
    integers, which a block turns into Python ints.
    """

    def __init__(self, column: pa.Array) -> None:
        self._objects: np.ndarray[Any, Any] | None = None
        self._at: np.ndarray[Any, Any]
        self.constant: Any = None if column.null_count == len(column) else _VARIES
        if pa.types.is_integer(column.type) and not column.null_count:
            self._at = column.to_numpy()
            bounds = pc.min_max(column).as_py()
            if bounds["min"] == bounds["max"]:
                self.constant = bounds["min"]
            return
        if pa.types.is_string(column.type):
            encoded = pc.dictionary_encode(column)
            if len(encoded.dictionary) <= _SHARED_DISTINCT:
                values = [*encoded.dictionary.to_pylist(), None]  # last: a null's position
                if len(values) == 2 and not column.null_count:
                    self.constant = values[0]
                self._objects = np.array(values, dtype=object)
                self._at = pc.fill_null(encoded.indices, len(values) - 1).to_numpy()
                return
        self._at = np.array(column.to_pylist(), dtype=object)

    def cells(self, start: int, stop: int) -> np.ndarray[Any, Any]:
        """The cells of rows `start` to `stop` (excluded)."""
        if self._objects is None:
            return self._at[start:stop]
        return self._objects[self._at[start:stop]]
