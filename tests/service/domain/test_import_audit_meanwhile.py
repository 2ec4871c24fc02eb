"""The audit rows of an import are written while the file's other columns are checked: still
one per employee written, in the import's transaction, none for a refused file."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.db.models import AuditEntry
from service.db.models import Evaluation
from service.domain.audit import Actor
from service.domain.entities import Role
from service.domain.errors import Invalid
from service.domain.imports import import_evaluations
from tests.factories import make_employee
from tests.factories import make_unit

MEETS = "sesuai_ekspektasi"
HEADER = ["nip", "period", "work_result_rating", "behavior_rating"]
ACTOR = Actor(user_id=None, username="cli", role=Role.ADMIN)


@pytest.fixture
def staff(session: Session) -> list[tuple[str, int]]:
    unit = make_unit(session)
    people = [make_employee(session, unit_id=unit.id) for _ in range(3)]
    session.commit()
    return [(person.nip, person.id) for person in people]


def _csv(rows: list[list[str]]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer).writerows([HEADER, *rows])
    return buffer.getvalue().encode()


def _audited(session: Session) -> list[tuple[int | None, str | None]]:
    query = select(AuditEntry.employee_id, AuditEntry.resource_id)
    return sorted(session.execute(query.where(AuditEntry.action == "import")).tuples())


def test_a_file_the_column_check_doubts_after_its_audit_rows_is_audited_once(
    session: Session, staff: list[tuple[str, int]]
) -> None:
    """Every NIP is known, so the audit rows go in while the columns are checked; a period
    cell with spaces sends the file to the row-by-row check, which takes it (it strips):
    each employee still has one row, under the import's id."""
    (a, a_id), (b, b_id), _ = staff
    content = _csv(
        [[a, " 2025-Q1 ", MEETS, MEETS], [a, "2025-Q2", MEETS, MEETS], [b, "2025", MEETS, MEETS]]
    )

    result = import_evaluations(session, content, "spaced.csv", actor=ACTOR)
    session.commit()

    assert result.count == 3
    assert _audited(session) == [
        (a_id, f"import {result.import_id}"),
        (b_id, f"import {result.import_id}"),
    ]


@pytest.mark.parametrize("bad", ["luar_biasa", "  "])  # refused by the row-by-row check
def test_a_refused_file_leaves_no_audit_row_written_meanwhile(
    session: Session, staff: list[tuple[str, int]], bad: str
) -> None:
    (a, _), (b, _), _ = staff
    content = _csv([[a, "2025-Q1", MEETS, MEETS], [b, "2025-Q1", bad, MEETS]])

    with pytest.raises(Invalid):
        import_evaluations(session, content, "bad.csv", actor=ACTOR)
    session.rollback()  # as every caller does

    assert _audited(session) == []
    assert session.scalars(select(Evaluation.id)).all() == []
    good = import_evaluations(session, _csv([[a, "2025-Q1", MEETS, MEETS]]), "g.csv", actor=ACTOR)
    session.commit()
    assert [row[1] for row in _audited(session)] == [f"import {good.import_id}"]
