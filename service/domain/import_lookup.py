"""What the database already holds for an import file, looked up at once, never per row."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Collection
from collections.abc import Iterator
from collections.abc import Mapping
from collections.abc import Sequence
from concurrent.futures import Future
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from dataclasses import field
from dataclasses import replace
from functools import cached_property
from operator import itemgetter
from typing import Any

import pyarrow as pa
import pyarrow.csv as pcsv
from sqlalchemy import Select
from sqlalchemy import Text
from sqlalchemy import and_
from sqlalchemy import any_
from sqlalchemy import bindparam
from sqlalchemy import cast
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from service.db.models import Employee
from service.db.models import Evaluation
from service.db.repositories.calibration_closings import any_standing
from service.db.repositories.calibration_closings import covered_units
from service.db.repositories.organisation import unit_subtree_ids
from service.domain.import_files import is_csv

_LOOKUP_CHUNK = 5000
# Read every employee when the file names at least 1/_SCAN_SHARE of the ids ever issued.
_SCAN_SHARE = 2
_SQLITE_HAS_JSON = sqlite3.sqlite_version_info >= (3, 38)  # JSON functions built in
_READER = "kinerja-import-lookup"  # the thread that reads every employee ahead
_EVERYONE_READ = pcsv.ReadOptions(column_names=["nip", "id", "unit_id"], use_threads=False)
_EVERYONE = pcsv.ConvertOptions(
    column_types={"nip": pa.string(), "id": pa.int64(), "unit_id": pa.int64()}
)

# NIPs, employee ids and unit ids, one employee per position.
People = tuple[Sequence[str], Sequence[int], Sequence[int]]


@dataclass(frozen=True)
class Known:
    """The employees a file names (or every employee) and their stored (id, period) pairs.

    `people` holds three columns: NIPs, employee ids and unit ids, one employee per position,
    as lists; `columns` the same as Arrow arrays (`arrays`). Either may be None, not both.
    """

    people: People | None
    evaluated: set[tuple[int, str]]
    columns: tuple[pa.Array, pa.Array, pa.Array] | None = field(default=None, compare=False)
    #: Period -> unit id -> the standing calibration closing covering that unit (a row of
    #: `calibration_closings.covered_units`): rows of those are refused, naming it.
    closed: Mapping[str, Mapping[int, Any]] = field(default_factory=dict, compare=False)

    @cached_property
    def listed(self) -> People:
        """`people`, made from `columns` when only they were read."""
        if self.people is not None:
            return self.people
        assert self.columns is not None
        nips, ids, units = (column.to_pylist() for column in self.columns)
        return nips, ids, units

    @cached_property
    def employee_ids(self) -> dict[str, int]:
        """NIP -> employee id."""
        return dict(zip(self.listed[0], self.listed[1], strict=True))

    @cached_property
    def unit_of(self) -> dict[int, int]:
        """Employee id -> unit id."""
        return dict(zip(self.listed[1], self.listed[2], strict=True))

    def arrays(self) -> tuple[pa.Array, pa.Array, pa.Array]:
        """The NIPs, employee ids and unit ids as Arrow columns (the column-wise check)."""
        if self.columns is not None:
            return self.columns
        nips, ids, units = self.listed
        return pa.array(nips, pa.string()), pa.array(ids, pa.int64()), pa.array(units, pa.int64())

    @classmethod
    def load(
        cls,
        session: Session,
        nips: Collection[str],
        periods: Collection[str],
        everyone: Known | None = None,
    ) -> Known:
        """Look up the file's NIPs and their evaluations for the file's periods, at once.

        The driver's plain tuples, fetched at once on the session's connection: Row objects,
        or fetching row by row, would cost more than the query for a file of 100k NIPs.
        The evaluations are joined only when the periods have any (a new period has none).
        `everyone`, every employee read already (`everyone_ahead`), replaces the NIP look-up.
        """
        connection = session.connection()
        periods = list(periods)
        joined = _any_evaluated(session, periods)
        closed = covered_units(session, periods) if any_standing(session, periods) else {}
        if everyone is not None:
            evaluated = _evaluated(connection, periods) if joined else set()
            return replace(everyone, evaluated=evaluated, closed=closed)
        found: list[tuple[Any, ...]] = []
        on = and_(Evaluation.employee_id == Employee.id, Evaluation.period.in_(periods))
        for query in _queries(session, list(nips)):
            if joined:
                query = query.add_columns(Evaluation.period).outerjoin(Evaluation, on)
            result = connection.execute(query)
            found += result.cursor.fetchall()
            result.close()
        evaluated = {(row[1], row[3]) for row in found if joined and row[3] is not None}
        if evaluated:  # an employee evaluated for two of the periods came twice
            found = list({row[0]: row for row in found}.values())
        nips_found, ids, units = (list(map(itemgetter(at), found)) for at in range(3))
        return cls((nips_found, ids, units), evaluated, closed=closed)


@contextmanager
def everyone_ahead(
    session: Session, content: bytes, filename: str
) -> Iterator[Future[Known | None]]:
    """Read every employee on a second thread while this one parses the file (PostgreSQL and
    SQLite), when the CSV has lines enough to name half of the ids issued (`Known.load` would
    then read them all anyway); the future's result is None otherwise.

    The database scans the rows into one text (the server on PostgreSQL; SQLite's C code on
    SQLite, the GIL let go while it steps) and Arrow reads it, while Arrow parses the CSV
    without holding the GIL: the look-up no longer waits for the parse. The caller must not
    use the session until the block is left (which waits for the thread).
    """
    connection = session.connection()
    if connection.dialect.name not in ("postgresql", "sqlite"):
        done: Future[Known | None] = Future()
        done.set_result(None)
        yield done
        return
    with ThreadPoolExecutor(1, thread_name_prefix=_READER) as reader:
        yield reader.submit(_everyone, connection, content, filename)


def _everyone(connection: Connection, content: bytes, filename: str) -> Known | None:
    """Every employee as Arrow columns (nothing evaluated), when the CSV has lines enough to
    name half of the ids; else None.

    The database writes them as one CSV text (`nip,id,unit_id` lines: a NIP is 18 digits)
    and Arrow reads it: rows made by the driver, then Python lists, then Arrow arrays would
    hold the GIL about 50 ms per 100k employees (on SQLite the driver's tuples cost more
    than the scan), while the parse of the file waits for it.
    """
    if not is_csv(content, filename):
        return None
    highest = connection.execute(select(func.max(Employee.id))).scalar() or 0
    if (content.count(b"\n") + 1) * _SCAN_SHARE < highest:
        return None
    if connection.dialect.name == "sqlite":  # 3.40 has neither concat_ws nor string_agg
        ids = cast(Employee.id, Text) + "," + cast(Employee.unit_id, Text)
        text = connection.execute(
            select(func.group_concat(Employee.nip + "," + ids, "\n"))
        ).scalar()
    else:
        line = func.concat_ws(",", Employee.nip, Employee.id, Employee.unit_id)
        text = connection.execute(select(func.string_agg(line, "\n"))).scalar()
    if text is None:  # nobody yet
        return Known(([], [], []), set())
    table = pcsv.read_csv(pa.py_buffer(text.encode()), _EVERYONE_READ, convert_options=_EVERYONE)
    nips, ids, units = (table.column(at).combine_chunks() for at in range(3))
    return Known(None, set(), (nips, ids, units))


def _evaluated(connection: Connection, periods: list[str]) -> set[tuple[int, str]]:
    """Every (employee id, period) stored for these periods (the driver's tuples, as in
    `Known.load`: Row objects would cost more than the query)."""
    query = select(Evaluation.employee_id, Evaluation.period).where(Evaluation.period.in_(periods))
    result = connection.execute(query)
    found = result.cursor.fetchall()
    result.close()
    return set(map(tuple, found))


def units_below(session: Session, root_id: int | None) -> set[int]:
    """The ids of `root_id` and every unit below it (none without a root)."""
    if root_id is None:
        return set()
    return set(session.scalars(unit_subtree_ids(root_id)))


def _any_evaluated(session: Session, periods: list[str]) -> bool:
    """Whether any evaluation is stored for one of `periods` (one probe of the period index)."""
    query = select(Evaluation.id).where(Evaluation.period.in_(periods)).limit(1)
    return bool(periods) and session.execute(query).first() is not None


def _queries(session: Session, nips: list[str]) -> list[Select[Any]]:
    """The employees with these NIPs, in one query where the database takes a whole list.

    A file that names most employees reads the whole table instead: one scan costs less
    than a look-up per NIP (half as much for 100k on SQLite), and the extra employees are
    never matched. SQLite joins the JSON list's rows to the NIP index (a quarter cheaper than
    `IN` over the list, which it first copies into a temporary b-tree).
    """
    columns = (Employee.nip, Employee.id, Employee.unit_id)
    highest = session.scalar(select(func.max(Employee.id))) or 0
    if len(nips) * _SCAN_SHARE >= highest:
        return [select(*columns)]
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":  # NIPs are digits: one comma-separated text is the cheapest
        listed = func.string_to_array(bindparam("nips", ",".join(nips), type_=Text), ",")
        return [select(*columns).where(Employee.nip == any_(listed))]
    if dialect == "sqlite" and _SQLITE_HAS_JSON:
        rows = func.json_each(json.dumps(nips)).table_valued("value")
        return [select(*columns).select_from(rows).join(Employee, Employee.nip == rows.c.value)]
    chunks = range(0, len(nips), _LOOKUP_CHUNK)
    return [
        select(*columns).where(Employee.nip.in_(nips[start : start + _LOOKUP_CHUNK]))
        for start in chunks
    ]
