"""Use case: import evaluations from a CSV or XLSX file, all rows or none (API.md imports).

Every row is validated before anything is written, through the same `parse_evaluation` as
the API, and every problem is reported with its file row (header = row 1) and column. Only a
file without a single problem is written, in bulk, inside the caller's transaction (the caller
commits). Files come from users: whatever the bytes, the answer is a count or `Invalid`.

Columns (header names are matched case-insensitively): `nip`, `period`,
`work_result_rating`, `behavior_rating` are required; `feedback` and one column per BerAKHLAK
value are optional. The columns `name`, `predikat` and `rater_nip` that `export_evaluations`
writes are accepted too, so an export imports back: `name` is informational, `predikat` must
agree with the matrix, and `rater_nip` (when filled) names the rater of that row. An hr
import names employees of its units only, in `nip` and in `rater_nip` (where the importer
itself is allowed too); a NIP outside them is reported as one nobody has ("no employee has
NIP ... in your units"), so an import cannot probe which employees exist elsewhere.

Spreadsheet formulas are refused in stored text: a feedback cell starting with = + - or @ is an
error unless it is quoted with a leading `'`, which is then dropped (the export adds it).

The work is split by step: `import_files` reads the bytes, `import_rules` says what a file
must look like, `import_lookup` finds the NIPs and stored evaluations in one query. A clean
CSV takes the fast path: `import_arrow` reads it into Arrow columns, `import_columns` checks
them column by column and `imports_bulk` writes them (COPY on PostgreSQL). Any other file
(XLSX, or a CSV with a single doubtful cell) is checked row by row by `import_rows`, which
reports every problem (the reference), and written by `evaluation_input`.
"""

from __future__ import annotations

import gc
import uuid
from collections.abc import Collection
from collections.abc import Iterator
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy.orm import Session

from service.config import MAX_UNPACKED_BYTES
from service.db.repositories.imports_bulk import insert_audit_rows
from service.db.repositories.imports_bulk import insert_evaluation_table
from service.domain.audit import Actor
from service.domain.audit import AuditAction
from service.domain.audit import entry
from service.domain.errors import Invalid
from service.domain.evaluation_input import ensure_periods
from service.domain.evaluation_input import insert_evaluations
from service.domain.import_arrow import read_arrow
from service.domain.import_columns import candidates as column_candidates
from service.domain.import_columns import fast_table
from service.domain.import_columns import named
from service.domain.import_files import read_table
from service.domain.import_lookup import Known
from service.domain.import_lookup import everyone_ahead
from service.domain.import_rows import RowChecker
from service.domain.import_rows import candidates
from service.domain.import_rules import FORMULA_SIGNS
from service.domain.import_rules import MAX_ERRORS
from service.domain.import_rules import NIP_PATTERN
from service.domain.import_rules import read_header
from service.domain.import_rules import unquote_formula
from service.domain.periods import Period

_AUDITOR = "kinerja-import-audit"  # the thread that inserts the audit rows meanwhile

# Names other modules import from here.
__all__ = [
    "FORMULA_SIGNS",
    "MAX_ERRORS",
    "NIP_PATTERN",
    "ImportResult",
    "import_evaluations",
    "read_table",
    "unquote_formula",
]


@dataclass(frozen=True)
class ImportResult:
    """What an import wrote: `count` evaluations; `import_id` names its audit rows."""

    count: int
    import_id: str | None = None


def import_evaluations(
    session: Session,
    content: bytes,
    filename: str,
    *,
    rater_id: int | None = None,
    units: Collection[int] | None = None,
    actor: Actor | None = None,
    max_unpacked: int = MAX_UNPACKED_BYTES,
) -> ImportResult:
    """Validate every row of a CSV/XLSX file, then write them all; Invalid writes nothing.

    `rater_id` is the rater of rows whose `rater_nip` is empty (or of all rows when the file
    has no such column); `units`, when given, are the only units whose employees the file may
    name (an hr import). Given the `actor`, every employee whose evaluations were written
    gets one audit row (action `import`, resource `evaluation`, resource id
    `import <import_id>`), in the same transaction. An XLSX file whose parts unpack to more
    than `max_unpacked` bytes is refused unread (`PayloadTooLarge`). The caller commits.
    """
    session.flush()
    import_id = None if actor is None else uuid.uuid4().hex
    audit = None
    if actor is not None:
        audit = entry(actor, AuditAction.IMPORT, "evaluation", resource_id=f"import {import_id}")
    with _gc_paused():
        fast, audited = _fast(session, content, filename, rater_id, units, audit)
        if fast is not None:
            table, periods = fast
            ensure_periods(session, periods.values())
            insert_evaluation_table(session, table)
            return ImportResult(table.num_rows, import_id)
        values, periods = _row_by_row(session, content, filename, rater_id, units, max_unpacked)
        ensure_periods(session, periods.values())
        insert_evaluations(session, values)
        if audit is not None:
            employees = pa.array(sorted({row[0] for row in values}), pa.int64())
            _audit_the_rest(session, audit, employees, audited)
    return ImportResult(len(values), import_id)


def _fast(
    session: Session,
    content: bytes,
    filename: str,
    rater_id: int | None,
    units: Collection[int] | None,
    audit: Mapping[str, object] | None,
) -> tuple[tuple[pa.Table, dict[str, Period]] | None, pa.Array | None]:
    """The rows to write of a clean CSV, checked column by column (None when in doubt), and
    the employees audited already (None when none were).

    Once every `nip` cell is known to name an employee, the audit rows of those employees
    (`audit`) are inserted on a second thread while this one checks the other columns: the
    database writes them meanwhile (PostgreSQL's backend; SQLite's C code, which lets go of
    the GIL). They are in the import's transaction like every row of it: a file refused
    afterwards rolls them back with the rest.
    """
    with everyone_ahead(session, content, filename) as everyone:
        file = read_arrow(content, filename)
    people = everyone.result()  # what the reader raised, if anything, is raised here
    if file is None:
        return None, None
    known = Known.load(session, *column_candidates(file, people is not None), people)
    at = named(file, known, units)
    if at is None:
        return None, None
    employees = None if audit is None else _distinct(known.arrays()[1].take(at))
    with audit_meanwhile(session, audit, employees):
        return fast_table(file, known, rater_id, units, at), employees


@contextmanager
def audit_meanwhile(
    session: Session, audit: Mapping[str, object] | None, employees: pa.Array | None
) -> Iterator[None]:
    """Insert the audit rows of `employees` on a second thread during the block (nothing
    without `audit`); an error of theirs is raised when the block ends without one of its
    own. The block must not use the session meanwhile."""
    if audit is None or employees is None:
        yield
        return
    with ThreadPoolExecutor(1, thread_name_prefix=_AUDITOR) as auditor:
        done = auditor.submit(insert_audit_rows, session.connection(), audit, employees)
        yield
    done.result()


def _audit_the_rest(
    session: Session, audit: Mapping[str, object], employees: pa.Array, audited: pa.Array | None
) -> None:
    """Audit the employees of a row-by-row import. Those the fast path audited already (before
    a doubt sent the file here) must be exactly these, as a file valid row by row makes them
    (the same NIP cells, each naming the same employee); anything else is a fault, and the
    caller's rollback takes every row back."""
    if audited is None:
        insert_audit_rows(session.connection(), audit, employees)
    elif not audited.equals(employees):
        raise RuntimeError("the import audited other employees than it wrote")


def _distinct(ids: pa.Array) -> pa.Array:
    """The distinct `ids`, ascending (the order the audit rows are written in)."""
    unique = pc.unique(ids)
    return unique.take(pc.sort_indices(unique))


def _row_by_row(
    session: Session,
    content: bytes,
    filename: str,
    rater_id: int | None,
    units: Collection[int] | None,
    max_unpacked: int,
) -> tuple[list[tuple[Any, ...]], dict[str, Period]]:
    """Check every row, raising Invalid with every problem; the write tuples otherwise."""
    header, rows = read_table(content, filename, max_unpacked)
    layout = read_header(header)
    if not rows:
        raise Invalid.field("file", "has a header row but no data rows")
    known = Known.load(session, *candidates(layout, rows))
    checker = RowChecker(layout, known, rater_id, units)
    for number, cells in rows:
        checker.check(number, cells)
    checker.problems.raise_if_any()
    return checker.values, checker.periods


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while rows become objects (a quarter faster).

    The rows make no reference cycles, so nothing is left for the collector to find; it is
    switched back on (if it was on) whatever happens.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
