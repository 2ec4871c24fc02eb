"""export_evaluations: the unit subtree for a period, formula-safe, and it imports back."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy import delete
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.db.models import Evaluation
from service.domain.errors import Invalid
from service.domain.errors import NotFound
from service.domain.exports import export_evaluations
from service.domain.exports import neutralise_formula
from service.domain.imports import import_evaluations
from service.domain.imports import unquote_formula
from tests.factories import make_employee
from tests.factories import make_evaluation
from tests.factories import make_unit

ABOVE = "di_atas_ekspektasi"
MEETS = "sesuai_ekspektasi"
BELOW = "di_bawah_ekspektasi"
COLUMNS = [
    "nip",
    "name",
    "period",
    "work_result_rating",
    "behavior_rating",
    "berorientasi_pelayanan",
    "akuntabel",
    "kompeten",
    "harmonis",
    "loyal",
    "adaptif",
    "kolaboratif",
    "predikat",
    "rater_nip",
    "feedback",
]
TRICKY_FEEDBACK = [
    "=1+1",
    "-5% dari target",
    "@tim, koordinasi",
    "+62 812 kontak",
    "'=sudah dikutip",
    "''=dua kutip",
    "'biasa'",
    'Koma, "kutip" ; titik koma',
    "Baris satu\r\nBaris dua\nBaris tiga",
    "Tab\tdi tengah",
    "Unicode: évaluasi 👍 — ✓",
    None,
]


@dataclass
class Org:
    root: int
    child: int
    grandchild: int
    other: int
    boss_nip: str


@pytest.fixture
def org(session: Session) -> Org:
    """A root unit with a child and a grandchild, another tree, and evaluations in each."""
    root = make_unit(session, name="Biro")
    child = make_unit(session, name="Bagian", parent_id=root.id)
    grandchild = make_unit(session, name="Subbagian", parent_id=child.id)
    other = make_unit(session, name="Lain")
    boss = make_employee(session, unit_id=root.id, name="Kepala Biro")
    for unit in (root, child, grandchild, other):
        for feedback in ("Baik", None):
            employee = make_employee(session, unit_id=unit.id, name=f"=Nama {unit.name}")
            make_evaluation(
                session, employee, period="2025-Q1", rater_id=boss.id, feedback=feedback
            )
            make_evaluation(session, employee, period="2025-Q2", work_result_rating=ABOVE)
    session.commit()
    return Org(root.id, child.id, grandchild.id, other.id, boss.nip)


def read_csv(content: bytes) -> list[dict[str, str]]:
    assert content.startswith(b"\xef\xbb\xbf")  # Excel reads UTF-8 only with the BOM
    return list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"), newline="")))


def read_xlsx(content: bytes) -> list[dict[str, Any]]:
    sheet = load_workbook(io.BytesIO(content), read_only=True).worksheets[0]
    header, *rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    return [
        dict(zip(header, row + [None] * (len(header) - len(row)), strict=True)) for row in rows
    ]


def snapshot(session: Session) -> list[tuple[Any, ...]]:
    """Every evaluation as its stored values except ids and timestamps."""
    columns = [
        c
        for c in Evaluation.__table__.columns
        if c.name not in {"id", "created_at", "updated_at", "version"}
    ]
    return sorted(session.execute(select(*columns)).tuples())


# --- content ---------------------------------------------------------------------------------


def test_csv_lists_the_unit_subtree_for_one_period(session: Session, org: Org) -> None:
    rows = read_csv(export_evaluations(session, org.root, "2025-Q1", "csv"))

    assert list(rows[0]) == COLUMNS
    assert len(rows) == 6  # two employees in each of root, child and grandchild
    assert {row["period"] for row in rows} == {"2025-Q1"}
    assert [row["nip"] for row in rows] == sorted(row["nip"] for row in rows)
    assert {row["rater_nip"] for row in rows} == {org.boss_nip}
    assert {row["predikat"] for row in rows} == {"baik"}
    assert {row["feedback"] for row in rows} == {"Baik", ""}


@pytest.mark.parametrize(
    ("unit", "include_subunits", "expected"),
    [
        ("root", True, 6),
        ("root", False, 2),
        ("child", True, 4),
        ("grandchild", True, 2),
        ("other", True, 2),
    ],
)
def test_subunits_are_included_on_request(
    session: Session, org: Org, unit: str, include_subunits: bool, expected: int
) -> None:
    content = export_evaluations(
        session, getattr(org, unit), "2025-Q2", "csv", include_subunits=include_subunits
    )

    rows = read_csv(content)
    assert len(rows) == expected
    assert {row["predikat"] for row in rows} == {"baik"}
    assert {row["work_result_rating"] for row in rows} == {ABOVE}
    assert {row["rater_nip"] for row in rows} == {""}


def test_a_period_without_evaluations_gives_only_the_header(session: Session, org: Org) -> None:
    content = export_evaluations(session, org.root, "2024", "csv")

    assert content.decode("utf-8-sig").splitlines() == [",".join(COLUMNS)]


def test_xlsx_holds_the_same_rows_as_csv(session: Session, org: Org) -> None:
    as_csv = read_csv(export_evaluations(session, org.root, "2025-Q1", "csv"))
    as_xlsx = read_xlsx(export_evaluations(session, org.root, "2025-Q1", "xlsx"))

    assert [{k: v or "" for k, v in row.items()} for row in as_xlsx] == as_csv
    assert all(isinstance(row["nip"], str) and len(row["nip"]) == 18 for row in as_xlsx)


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_text_cells_cannot_run_as_formulas(session: Session, org: Org, fmt: str) -> None:
    content = export_evaluations(session, org.other, "2025-Q1", fmt)  # type: ignore[arg-type]

    rows = read_csv(content) if fmt == "csv" else read_xlsx(content)
    assert {row["name"] for row in rows} == {"'=Nama Lain"}
    if fmt == "xlsx":
        sheet = load_workbook(io.BytesIO(content)).worksheets[0]
        assert {cell.data_type for row in sheet.iter_rows() for cell in row} <= {"s", "n"}


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("=SUM(A1)", "'=SUM(A1)"),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@cmd", "'@cmd"),
        ("'=x", "''=x"),
        ("'biasa", "'biasa"),
        ("a=b", "a=b"),
        ("", ""),
        (None, None),
        (5, 5),
    ],
)
def test_neutralise_formula_and_its_inverse(value: Any, shown: Any) -> None:
    assert neutralise_formula(value) == shown
    if isinstance(value, str) and value:
        assert unquote_formula(shown) == value


# --- errors ----------------------------------------------------------------------------------


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_unknown_unit_bad_period_and_bad_format(session: Session) -> None:
    unit = make_unit(session)

    with pytest.raises(NotFound, match="no unit with id 999"):
        export_evaluations(session, 999, "2025", "csv")
    with pytest.raises(Invalid, match="^period: must be a year"):
        export_evaluations(session, unit.id, "2025-Q9", "csv")
    with pytest.raises(Invalid, match="^format: must be one of csv, xlsx; got 'pdf'"):
        export_evaluations(session, unit.id, "2025", "pdf")  # type: ignore[arg-type]


def test_a_cycle_in_the_unit_tree_does_not_hang(session: Session) -> None:
    first = make_unit(session)
    second = make_unit(session, parent_id=first.id)
    first.parent_id = second.id
    make_evaluation(session, make_employee(session, unit_id=second.id), period="2025")
    session.commit()

    assert len(read_csv(export_evaluations(session, first.id, "2025", "csv"))) == 1


# --- round trip ------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_an_export_imports_back_into_an_empty_copy(session: Session, fmt: str) -> None:
    unit = make_unit(session)
    rater = make_employee(session, unit_id=unit.id)
    ratings = [ABOVE, MEETS, BELOW]
    for n, feedback in enumerate(TRICKY_FEEDBACK):
        values = {"akuntabel": ratings[n % 3], "kolaboratif": ratings[(n + 1) % 3]}
        make_evaluation(
            session,
            make_employee(session, unit_id=unit.id, name=f'@Pegawai {n}, "N"'),
            period="2025-Q3",
            work_result_rating=ratings[n % 3],
            behavior_rating=ratings[n // 3 % 3],
            behavior_ratings=values if n % 4 else {},
            feedback=feedback,
            rater_id=rater.id if n % 2 else None,
        )
    session.commit()
    before = snapshot(session)
    exported = export_evaluations(session, unit.id, "2025-Q3", fmt)  # type: ignore[arg-type]
    session.execute(delete(Evaluation))
    session.commit()

    result = import_evaluations(session, exported, f"export.{fmt}")
    session.commit()

    assert result.count == len(TRICKY_FEEDBACK)
    assert snapshot(session) == before
