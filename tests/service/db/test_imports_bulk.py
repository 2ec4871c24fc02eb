"""The import's bulk writer: many statements (SQLite) or COPY blocks (PostgreSQL), one transaction.

On SQLite a second thread makes the next INSERTs' parameters while one runs; on PostgreSQL
the COPY stream is sent a block at a time. Files here are long enough for several
statements and blocks, with a short last one. A write that fails part way must leave
nothing behind once the caller rolls back, and raise the database's error as SQLAlchemy
wraps it (the API answers a conflict with 409).
"""

from __future__ import annotations

import csv
import io
import random
import threading
from typing import Any

import pyarrow as pa
import pytest
from sqlalchemy import func
from sqlalchemy import insert
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from service.db.models import Employee
from service.db.models import Evaluation
from service.db.repositories import imports_bulk
from service.db.repositories.imports_bulk import insert_evaluation_table
from service.domain.entities import BerakhlakValue
from service.domain.entities import Rating
from service.domain.evaluation_input import WRITE_COLUMNS
from service.domain.evaluation_input import ensure_periods
from service.domain.evaluation_input import insert_evaluations
from service.domain.import_arrow import read_arrow
from service.domain.import_columns import candidates as column_candidates
from service.domain.import_columns import fast_table
from service.domain.import_files import read_table
from service.domain.import_lookup import Known
from service.domain.import_rows import RowChecker
from service.domain.import_rows import candidates
from service.domain.import_rules import read_header
from service.domain.imports import import_evaluations
from tests.factories import make_employee
from tests.factories import make_nip
from tests.factories import make_position
from tests.factories import make_unit

PEOPLE = 1500  # SQLite: 666 rows per statement of 12 varying columns, so 3 statements
COPY_ROWS = 400  # PostgreSQL: 4 blocks
RATINGS = [rating.value for rating in Rating]
VALUES = [value.value for value in BerakhlakValue]
STORED = ", ".join((*WRITE_COLUMNS, "version"))
MAKER = "kinerja-import-parameters"  # the thread that makes the SQLite statements' parameters


@pytest.fixture
def crowd(session: Session) -> dict[str, Any]:
    """PEOPLE employees of one unit (inserted at once) and a default rater."""
    unit, position = make_unit(session), make_position(session)
    rater = make_employee(session, unit_id=unit.id, position_id=position.id)
    nips = [make_nip() for _ in range(PEOPLE)]
    rows = [
        {"nip": nip, "name": f"Pegawai {n}", "unit_id": unit.id, "position_id": position.id}
        for n, nip in enumerate(nips)
    ]
    session.execute(insert(Employee), rows)
    session.commit()
    return {"nips": nips, "rater": rater.id, "rater_nip": rater.nip}


@pytest.fixture(autouse=True)
def small_copy_blocks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(imports_bulk, "_COPY_ROWS", COPY_ROWS)


def _content(crowd: dict[str, Any], seed: int = 3) -> bytes:
    """A clean file naming everyone: random ratings, some values and raters left empty."""
    rng = random.Random(seed)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    head = ["nip", "period", "work_result_rating", "behavior_rating"]
    writer.writerow([*head, *VALUES[:3], "rater_nip", "feedback"])
    for nip in crowd["nips"]:
        values = [rng.choice(["", *RATINGS]) for _ in VALUES[:3]]
        rater = rng.choice(["", crowd["rater_nip"], crowd["nips"][0]])
        feedback = rng.choice(["", "Pertahankan.", "'=teks", "é di awal", f"catatan {nip}"])
        ratings = [rng.choice(RATINGS), rng.choice(RATINGS)]
        writer.writerow([nip, "2025-Q3", *ratings, *values, rater, feedback])
    return buffer.getvalue().encode()


def _fast_table(session: Session, content: bytes, rater: int | None) -> pa.Table:
    file = read_arrow(content, "file.csv")
    assert file is not None
    fast = fast_table(file, Known.load(session, *column_candidates(file)), rater)
    assert fast is not None, "the file should take the fast path"
    table, periods = fast
    ensure_periods(session, periods.values())
    return table


def _stored(session: Session) -> list[tuple[Any, ...]]:
    query = f"SELECT {STORED} FROM evaluations ORDER BY employee_id"
    return [tuple(row) for row in session.connection().exec_driver_sql(query)]


def _count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Evaluation)) or 0


def test_many_statements_store_what_the_row_by_row_writer_stores(
    session: Session, crowd: dict[str, Any]
) -> None:
    content = _content(crowd)
    _fast_table(session, content, None)  # asserts the fast path takes it
    assert import_evaluations(session, content, "file.csv").count == PEOPLE
    fast = _stored(session)
    session.rollback()
    assert _count(session) == 0
    header, rows = read_table(content, "file.csv")
    layout = read_header(header)
    checker = RowChecker(layout, Known.load(session, *candidates(layout, rows)), None)
    for number, cells in rows:
        checker.check(number, cells)
    assert not checker.problems.total
    ensure_periods(session, checker.periods.values())
    insert_evaluations(session, checker.values)
    assert fast == _stored(session)
    assert len({row[1] for row in fast}) == 3  # raters: none (empty), two named


@pytest.mark.parametrize("at", [5, PEOPLE], ids=["in-the-first-statement", "in-the-last"])
def test_a_write_failing_part_way_leaves_nothing_after_the_rollback(
    session: Session, crowd: dict[str, Any], at: int
) -> None:
    table = _fast_table(session, _content(crowd), crowd["rater"])
    # Row 1 again at `at`: the unique (employee, period) refuses it there, with statements
    # (blocks) still to come, or after those before it have written their rows.
    table = pa.concat_tables([table.slice(0, at), table.slice(1, 1), table.slice(at)])
    with pytest.raises(IntegrityError):
        insert_evaluation_table(session, table)
    assert not [thread for thread in threading.enumerate() if thread.name.startswith(MAKER)]
    session.rollback()
    assert _count(session) == 0
    # The connection and (on SQLite) the writer queue are free: the clean rows import.
    content = _content(crowd)
    assert import_evaluations(session, content, "file.csv", rater_id=crowd["rater"]).count == (
        PEOPLE
    )
    session.commit()
    assert _count(session) == PEOPLE


def test_a_failed_write_is_undone_with_what_the_transaction_wrote_before(
    session: Session, crowd: dict[str, Any]
) -> None:
    table = _fast_table(session, _content(crowd), crowd["rater"])
    head = table.slice(0, 10)
    insert_evaluation_table(session, head)  # written in this transaction, not committed
    with pytest.raises(IntegrityError):
        insert_evaluation_table(session, table)  # its first 10 rows are stored already
    session.rollback()
    assert _count(session) == 0
