"""import_evaluations: CSV and XLSX, all rows or none, every problem with its row and column."""

from __future__ import annotations

import csv
import io
import random
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC
from datetime import datetime
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.cli import main
from service.config import MAX_BODY_BYTES
from service.config import MAX_UNPACKED_BYTES
from service.db.models import AuditEntry
from service.db.models import Employee
from service.db.models import Evaluation
from service.db.models import Period as PeriodRow
from service.db.models import RiskScore
from service.domain.errors import FieldError
from service.domain.errors import Invalid
from service.domain.errors import PayloadTooLarge
from service.domain.imports import MAX_ERRORS
from service.domain.imports import import_evaluations
from tests.factories import make_employee
from tests.factories import make_evaluation
from tests.factories import make_unit
from tests.service.domain.crafted_xlsx import unpacked_size
from tests.service.domain.crafted_xlsx import xlsx_bomb
from tests.service.domain.crafted_xlsx import xlsx_bytes

ABOVE = "di_atas_ekspektasi"
MEETS = "sesuai_ekspektasi"
BELOW = "di_bawah_ekspektasi"
HEADER = ["nip", "period", "work_result_rating", "behavior_rating"]
SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


@dataclass
class People:
    nips: list[str]
    ids: list[int]
    rater_nip: str
    rater_id: int


@pytest.fixture
def people(session: Session) -> People:
    unit = make_unit(session)
    staff = [make_employee(session, unit_id=unit.id) for _ in range(4)]
    rater = make_employee(session, unit_id=unit.id)
    session.commit()
    return People([e.nip for e in staff], [e.id for e in staff], rater.nip, rater.id)


def csv_bytes(rows: Sequence[Sequence[Any]], *, delimiter: str = ",", bom: bool = False) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter).writerows(rows)
    return buffer.getvalue().encode("utf-8-sig" if bom else "utf-8")


def stored(session: Session) -> list[dict[str, Any]]:
    """Every stored evaluation as plain values, by NIP then period."""
    query = (
        select(Employee.nip, Evaluation)
        .join(Employee, Evaluation.employee_id == Employee.id)
        .order_by(Employee.nip, Evaluation.period)
    )
    return [
        {
            "nip": nip,
            "period": ev.period,
            "kind": ev.kind.value,
            "work": ev.work_result_rating.value,
            "behavior": ev.behavior_rating.value,
            "akuntabel": ev.behavior_akuntabel and ev.behavior_akuntabel.value,
            "loyal": ev.behavior_loyal and ev.behavior_loyal.value,
            "predikat": ev.predikat.value,
            "source": ev.predikat_source.value,
            "rater_id": ev.rater_id,
            "feedback": ev.feedback,
        }
        for nip, ev in session.execute(query).tuples()
    ]


def count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Evaluation)) or 0


def problems(caught: pytest.ExceptionInfo[Invalid]) -> list[tuple[int | None, str]]:
    return [(error.row, error.field) for error in caught.value.errors]


# --- files that import ---------------------------------------------------------------------


def test_csv_rows_are_stored_with_the_matrix_predikat(session: Session, people: People) -> None:
    a, b, c, _ = people.nips
    rows = [
        [*HEADER, "akuntabel", "loyal", "feedback"],
        [a, "2025-Q1", ABOVE, ABOVE, ABOVE, "", "Sangat baik, pertahankan"],
        [b, "2025-Q1", BELOW, MEETS, "", BELOW, ""],
        [c, "2025", MEETS, BELOW, MEETS, MEETS, "Perlu pembinaan; lihat catatan\nbaris 2"],
    ]

    result = import_evaluations(session, csv_bytes(rows), "nilai.csv", rater_id=people.rater_id)
    session.commit()

    assert result.count == 3
    base = {"source": "matrix", "rater_id": people.rater_id}
    assert stored(session) == sorted(
        [
            base
            | {"nip": a, "period": "2025-Q1", "kind": "periodik", "work": ABOVE, "behavior": ABOVE}
            | {"akuntabel": ABOVE, "loyal": None, "predikat": "sangat_baik"}
            | {"feedback": "Sangat baik, pertahankan"},
            base
            | {"nip": b, "period": "2025-Q1", "kind": "periodik", "work": BELOW, "behavior": MEETS}
            | {"akuntabel": None, "loyal": BELOW, "predikat": "butuh_perbaikan", "feedback": None},
            base
            | {"nip": c, "period": "2025", "kind": "tahunan", "work": MEETS, "behavior": BELOW}
            | {"akuntabel": MEETS, "loyal": MEETS, "predikat": "kurang"}
            | {"feedback": "Perlu pembinaan; lihat catatan\nbaris 2"},
        ],
        key=lambda row: row["nip"],
    )
    assert set(session.scalars(select(PeriodRow.code))) == {"2025", "2025-Q1"}


def test_xlsx_with_reordered_upper_case_columns_and_a_numeric_year(
    session: Session, people: People
) -> None:
    a, b, _, _ = people.nips
    rows = [
        ["Behavior_Rating", "NIP", "Work_Result_Rating", "Period", "Kolaboratif", "Feedback"],
        [MEETS, a, ABOVE, 2025, ABOVE, "  Rapi  "],
        [],
        [ABOVE, b, ABOVE, "2025-Q3", None, None],
    ]

    result = import_evaluations(session, xlsx_bytes(rows), "Nilai Kinerja.XLSX")

    assert result.count == 2
    rows_stored = stored(session)
    assert [(r["nip"], r["period"], r["predikat"]) for r in rows_stored] == sorted(
        [(a, "2025", "baik"), (b, "2025-Q3", "sangat_baik")]
    )
    assert {r["feedback"] for r in rows_stored} == {"Rapi", None}
    assert {r["rater_id"] for r in rows_stored} == {None}


@SQLITE_ONLY
@pytest.mark.parametrize(
    ("delimiter", "bom", "newline"),
    [(",", True, "\n"), (";", False, "\r\n"), (";", True, "\r\n"), ("\t", False, "\n")],
)
def test_csv_dialects_excel_writes(
    session: Session, people: People, delimiter: str, bom: bool, newline: str
) -> None:
    rows = [
        HEADER,
        [people.nips[0], "2025-Q2", MEETS, MEETS],
        [people.nips[1], "2025-Q2", BELOW, BELOW],
    ]
    text = newline.join(delimiter.join(row) for row in rows) + newline
    content = (b"\xef\xbb\xbf" if bom else b"") + text.encode()

    assert import_evaluations(session, content, "export.csv").count == 2
    assert [r["predikat"] for r in stored(session)] == ["baik", "sangat_kurang"]


def test_rater_nip_column_overrides_the_default_rater(session: Session, people: People) -> None:
    a, b, _, _ = people.nips
    rows = [
        [*HEADER, "rater_nip"],
        [a, "2025", MEETS, MEETS, people.rater_nip],
        [b, "2025", MEETS, MEETS, ""],
    ]

    import_evaluations(session, csv_bytes(rows), "x.csv", rater_id=people.ids[3])

    raters = {r["nip"]: r["rater_id"] for r in stored(session)}
    assert raters == {a: people.rater_id, b: people.ids[3]}


def test_the_caller_commits(session: Session, people: People) -> None:
    rows = [HEADER, [people.nips[0], "2025", MEETS, MEETS]]

    import_evaluations(session, csv_bytes(rows), "x.csv")
    session.rollback()

    assert count(session) == 0


# --- all or nothing --------------------------------------------------------------------------


def test_one_bad_row_among_many_writes_nothing(session: Session, people: People) -> None:
    periods = [f"2024-{month:02d}" for month in range(1, 13)] + ["2024-Q1", "2024-Q2"]
    rows: list[list[Any]] = [HEADER]
    rows += [[nip, period, MEETS, MEETS] for nip in people.nips for period in periods]
    rows[37][2] = "luar_biasa"

    with pytest.raises(
        Invalid,
        match=r"^1 problem in the file, nothing was imported; row 38, work_result_rating: ",
    ) as caught:
        import_evaluations(session, csv_bytes(rows), "x.csv")

    [error] = caught.value.errors
    assert (error.row, error.field) == (38, "work_result_rating")
    assert "got 'luar_biasa'" in error.message
    assert count(session) == 0
    assert session.scalar(select(func.count()).select_from(PeriodRow)) == 0


def test_every_problem_is_listed_with_row_and_column(session: Session, people: People) -> None:
    a, b, c, d = people.nips
    rows = [
        [*HEADER, "akuntabel", "predikat", "rater_nip", "feedback"],
        [a, "2025", MEETS, MEETS, "", "", "", "ok"],  # row 2 is fine
        ["1234", "2025", MEETS, MEETS, "", "", "", ""],  # row 3
        ["999999999999999999", "2025", MEETS, MEETS, "", "", "", ""],  # row 4
        [b, "2025-Q5", MEETS, "", "bagus", "", "", ""],  # row 5: three problems
        [c, "2025", ABOVE, ABOVE, "", "baik", "", ""],  # row 6
        [d, "2025", MEETS, MEETS, "", "", "000000000000000001", ""],  # row 7
        [d, "2026", MEETS, MEETS, "", "", "", "=cmd|' /C calc'!A0"],  # row 8
        ["", "", "", "", "", "", "", ""],  # row 9: blank, skipped
        ["1.98501012E+17", "2025", MEETS, MEETS, "", "", "", ""],  # row 10
    ]

    with pytest.raises(Invalid) as caught:
        import_evaluations(session, csv_bytes(rows), "x.csv")

    assert problems(caught) == [
        (3, "nip"),
        (4, "nip"),
        (5, "period"),
        (5, "behavior_rating"),
        (5, "akuntabel"),
        (6, "predikat"),
        (7, "rater_nip"),
        (8, "feedback"),
        (10, "nip"),
    ]
    messages = {(e.row, e.field): e.message for e in caught.value.errors}
    assert messages[3, "nip"] == "must be 18 digits; got '1234'"
    assert messages[4, "nip"] == "no employee has NIP 999999999999999999"
    assert messages[6, "predikat"].startswith("is 'baik' but the ratings give sangat_baik")
    assert "spreadsheet formula" in messages[8, "feedback"]
    assert "store the NIP column as text" in messages[10, "nip"]
    assert count(session) == 0


def test_duplicate_rows_in_the_file(session: Session, people: People) -> None:
    a, b, _, _ = people.nips
    rows = [
        HEADER,
        [a, "2025", MEETS, MEETS],
        [b, "2025", MEETS, MEETS],
        [a, "2025", BELOW, BELOW],
        [a, "2025-Q1", MEETS, MEETS],
    ]

    with pytest.raises(Invalid) as caught:
        import_evaluations(session, csv_bytes(rows), "x.csv")

    assert caught.value.errors == [
        FieldError("period", "duplicate of row 2 (same nip and period)", 4)
    ]
    assert count(session) == 0


def test_an_evaluation_already_stored_blocks_the_file(session: Session, people: People) -> None:
    make_evaluation(session, employee_id=people.ids[1], period="2025-Q1")
    session.commit()
    rows = [
        HEADER,
        [people.nips[0], "2025-Q1", MEETS, MEETS],
        [people.nips[1], "2025-Q1", ABOVE, ABOVE],
        [people.nips[1], "2025-Q2", ABOVE, ABOVE],
    ]

    with pytest.raises(Invalid, match="already evaluated") as caught:
        import_evaluations(session, csv_bytes(rows), "x.csv")

    assert problems(caught) == [(3, "period")]
    assert count(session) == 1


def test_errors_are_capped_with_a_count_of_the_rest(session: Session, people: People) -> None:
    rows = [HEADER] + [[people.nips[0], f"bad-{n}", MEETS, MEETS] for n in range(MAX_ERRORS + 200)]

    with pytest.raises(Invalid, match=f"^{MAX_ERRORS + 200} problems in the file") as caught:
        import_evaluations(session, csv_bytes(rows), "x.csv")

    errors = caught.value.errors
    assert len(errors) == MAX_ERRORS + 1
    assert errors[MAX_ERRORS - 1].row == MAX_ERRORS + 1
    assert errors[-1] == FieldError("file", "and 200 more problems not listed", None)


@pytest.mark.parametrize(
    ("cell", "stored_as"),
    [
        ("'=1+1", "=1+1"),
        ("''@home", "'@home"),
        ("'-5% dari target", "-5% dari target"),
        ("'biasa'", "'biasa'"),
    ],
)
def test_quoted_formula_signs_are_stored_as_text(
    session: Session, people: People, cell: str, stored_as: str
) -> None:
    rows = [[*HEADER, "feedback"], [people.nips[0], "2025", MEETS, MEETS, cell]]

    import_evaluations(session, csv_bytes(rows), "x.csv")

    assert [r["feedback"] for r in stored(session)] == [stored_as]


@SQLITE_ONLY
@pytest.mark.parametrize("cell", ['=HYPERLINK("http://x")', "+1+1", "-2+3", "@SUM(A1:A2)", "  =1"])
def test_formula_injection_in_feedback_is_refused(
    session: Session, people: People, cell: str
) -> None:
    rows = [[*HEADER, "feedback"], [people.nips[0], "2025", MEETS, MEETS, cell]]

    with pytest.raises(Invalid, match=r"feedback: starts with =, \+, - or @") as caught:
        import_evaluations(session, csv_bytes(rows), "x.csv")

    assert problems(caught) == [(2, "feedback")]


@SQLITE_ONLY
def test_formula_cells_in_xlsx_are_refused(session: Session, people: People) -> None:
    rows = [[*HEADER, "feedback"], [people.nips[0], "2025", "=A1", MEETS, "=1+1"]]

    with pytest.raises(Invalid) as caught:
        import_evaluations(session, xlsx_bytes(rows), "x.xlsx")

    assert sorted(problems(caught)) == [(2, "feedback"), (2, "work_result_rating")]


@SQLITE_ONLY
def test_xlsx_nip_stored_as_a_number_lost_digits(session: Session, people: People) -> None:
    rows = [HEADER, [float(people.nips[0]), "2025", MEETS, MEETS]]

    with pytest.raises(Invalid, match="nip: lost digits as a number"):
        import_evaluations(session, xlsx_bytes(rows), "x.xlsx")


@SQLITE_ONLY
def test_an_xlsx_whose_parts_unpack_beyond_the_limit_is_refused_before_parsing(
    session: Session, people: People
) -> None:
    """A zip bomb in the shared strings (which openpyxl reads whole) is refused from the zip's
    central directory; the same workbook under a larger limit imports as any other."""
    rows = [HEADER, [people.nips[0], "2025", MEETS, MEETS]]
    bomb = xlsx_bomb(rows, 4 << 20)
    assert len(bomb) < 64 << 10 and unpacked_size(bomb) > 4 << 20

    with pytest.raises(PayloadTooLarge) as refused:
        import_evaluations(session, bomb, "x.xlsx", max_unpacked=2 << 20)

    assert f"unpacks to {unpacked_size(bomb):,} bytes" in refused.value.detail
    assert "over the limit of 2,097,152 bytes (KINERJA_IMPORT_MAX_UNPACKED_BYTES)" in (
        refused.value.detail
    )
    assert count(session) == 0
    assert import_evaluations(session, bomb, "x.xlsx", max_unpacked=8 << 20).count == 1


@SQLITE_ONLY
def test_the_default_unpacked_limit_refuses_a_bomb_and_takes_a_full_size_export(
    session: Session, people: People
) -> None:
    """The default (KINERJA_IMPORT_MAX_UNPACKED_BYTES) lies above what an export of 100,000
    rows unpacks to (101.5 MB, measured) and below a bomb of 300 MB that fits in an upload."""
    assert MAX_UNPACKED_BYTES > 2 * 101_500_000
    bomb = xlsx_bomb([HEADER, [people.nips[0], "2025", MEETS, MEETS]], MAX_UNPACKED_BYTES + 1)
    assert len(bomb) < MAX_BODY_BYTES

    with pytest.raises(PayloadTooLarge, match="KINERJA_IMPORT_MAX_UNPACKED_BYTES"):
        import_evaluations(session, bomb, "x.xlsx")
    assert count(session) == 0


# --- header and file problems ----------------------------------------------------------------


@SQLITE_ONLY
@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ([*HEADER, "nilai"], [(1, "'nilai'", "unknown column; use nip, period,")]),
        (HEADER[:3], [(1, "behavior_rating", "required column is missing")]),
        ([*HEADER, "NIP"], [(1, "nip", "appears twice (columns 1, 5)")]),
        (["nip", "", *HEADER[1:]], [(1, "column 2", "has no name")]),
        (
            ["nip", "periode", *HEADER[2:]],
            [(1, "'periode'", "unknown column"), (1, "period", "required column is missing")],
        ),
    ],
)
def test_header_problems_are_reported_on_row_1(
    session: Session, people: People, header: list[str], expected: list[tuple[int, str, str]]
) -> None:
    content = csv_bytes([header, [people.nips[0], "2025", MEETS, MEETS, "x"][: len(header)]])

    with pytest.raises(Invalid) as caught:
        import_evaluations(session, content, "x.csv")

    found = caught.value.errors[: len(expected)]
    assert [(e.row, e.field) for e in found] == [(row, field) for row, field, _ in expected]
    for error, (_, _, start) in zip(found, expected, strict=True):
        assert error.message.startswith(start)
    assert count(session) == 0


@SQLITE_ONLY
def test_a_row_wider_than_the_header_is_refused(session: Session, people: People) -> None:
    content = csv_bytes([HEADER, [people.nips[0], "2025", MEETS, MEETS, "Baik, tapi telat"]])

    with pytest.raises(Invalid, match="row: has values beyond the 4 named columns") as caught:
        import_evaluations(session, content, "x.csv")

    assert problems(caught) == [(2, "row")]


def _zip_of_text() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("word/document.xml", "<w:document/>")
    return buffer.getvalue()


BAD_FILES = [
    (b"", "x.csv", r"^file: 'x.csv' is empty$"),
    (b"  \r\n\n", "x.csv", r"is empty"),
    (b"nip,period,work_result_rating,behavior_rating\r\n", "x.csv", r"no data rows"),
    (b"\n\nnip,period\n", "x.csv", r"file: has no header row"),
    (random.Random(7).randbytes(4000), "x.csv", r"^file: is not UTF-8 text \(byte \d+\)"),
    ("nip,period\n1,é".encode("cp1252"), "x.csv", r"not UTF-8 text.*save it as CSV UTF-8"),
    ("nip,period\n".encode("utf-16"), "x.csv", r"is UTF-16 text"),
    (b"nip,period\n1,\x00\n", "x.csv", r"contains NUL bytes"),
    (b'nip,period\n"unterminated,2025\n', "x.csv", r"^file: is not valid CSV near line"),
    (b"nip,period\n" + b"x" * 200_000 + b",2025\n", "x.csv", r"is not valid CSV.*field larger"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "x.xls", r"legacy \.xls workbook"),
    (b"PK\x03\x04" + b"\x00" * 200, "x.xlsx", r"^file: is not a readable XLSX workbook"),
    (_zip_of_text(), "x.docx", r"is not a readable XLSX workbook"),
    (b"nip,period\n1,2\n", "x.xlsx", r"'x.xlsx' is neither CSV nor XLSX"),
    (b"%PDF-1.7 ...", "report.pdf", r"'report.pdf' is neither CSV nor XLSX"),
]


@SQLITE_ONLY
@pytest.mark.parametrize(("content", "filename", "pattern"), BAD_FILES)
def test_bad_files_are_invalid_with_a_clear_message(
    session: Session, content: bytes, filename: str, pattern: str
) -> None:
    with pytest.raises(Invalid, match=pattern):
        import_evaluations(session, content, filename)

    assert count(session) == 0


@SQLITE_ONLY
def test_random_garbage_never_crashes(session: Session) -> None:
    generator = random.Random(2024)
    for size in (1, 3, 50, 1000):
        for prefix in (b"", b"PK\x03\x04", b"nip,period\n"):
            content = prefix + generator.randbytes(size)
            with pytest.raises(Invalid):
                import_evaluations(session, content, "garbage.csv")


# --- command line ----------------------------------------------------------------------------


@pytest.fixture
def cli_home(database_url: str, tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    """`kinerja` commands run on the test's database; their files go to `tmp_path`."""
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("KINERJA_HOME", str(tmp_path))
    return tmp_path


@SQLITE_ONLY
def test_cli_imports_a_file_or_lists_the_problems(
    session: Session, people: People, cli_home: Any
) -> None:
    good = cli_home / "good.csv"
    good.write_bytes(csv_bytes([HEADER, [people.nips[0], "2025", MEETS, MEETS]]))
    bad = cli_home / "bad.xlsx"
    bad.write_bytes(xlsx_bytes([HEADER, [people.nips[1], "2025", "bagus", MEETS]]))
    runner = CliRunner()

    failed = runner.invoke(main, ["import", str(bad)])
    imported = runner.invoke(main, ["import", str(good), "--kind", "evaluations"])

    assert failed.exit_code == 1
    assert "row 2, work_result_rating: must be one of" in failed.output
    assert "nothing was imported" in failed.output
    assert imported.exit_code == 0, imported.output
    assert "Imported 1 evaluations" in imported.output
    assert [r["nip"] for r in stored(session)] == [people.nips[0]]


@SQLITE_ONLY
def test_cli_import_audits_each_employee_it_wrote_and_a_failed_one_nothing(
    session: Session, people: People, cli_home: Any
) -> None:
    a, b, c, _ = people.nips
    good = cli_home / "good.csv"
    good.write_bytes(csv_bytes([HEADER, [a, "2025", MEETS, MEETS], [b, "2025", MEETS, MEETS]]))
    bad = cli_home / "bad.csv"
    bad.write_bytes(csv_bytes([HEADER, [c, "2025", MEETS, MEETS], [c, "2025", "x", MEETS]]))

    assert CliRunner().invoke(main, ["import", str(bad)]).exit_code == 1
    imported = CliRunner().invoke(main, ["import", str(good)])

    assert imported.exit_code == 0, imported.output
    query = select(AuditEntry).where(AuditEntry.action == "import").order_by(AuditEntry.id)
    rows = session.scalars(query).all()
    assert sorted(row.employee_id for row in rows) == sorted(people.ids[:2])
    assert {(row.resource, row.actor_username) for row in rows} == {("evaluation", "cli")}
    assert len({row.resource_id for row in rows}) == 1
    import_id = rows[0].resource_id.removeprefix("import ")  # the import's id, to find its rows
    assert f"; import id {import_id} (audit resource_id 'import {import_id}')" in imported.output


@SQLITE_ONLY
def test_cli_refuses_an_xlsx_that_unpacks_beyond_the_configured_limit(
    session: Session, people: People, cli_home: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KINERJA_IMPORT_MAX_UNPACKED_BYTES", str(1 << 20))
    content = xlsx_bomb([HEADER, [people.nips[0], "2025", MEETS, MEETS]], 2 << 20)
    bomb = cli_home / "bomb.xlsx"
    bomb.write_bytes(content)

    refused = CliRunner().invoke(main, ["import", str(bomb)])

    assert refused.exit_code == 1
    assert f"unpacks to {unpacked_size(content):,} bytes" in refused.output
    assert "over the limit of 1,048,576 bytes (KINERJA_IMPORT_MAX_UNPACKED_BYTES)" in (
        refused.output
    )
    assert count(session) == 0


def _store_scores(session: Session, people: tuple[int, ...], periods: tuple[str, ...]) -> None:
    """Stored batch scores of `people` in `periods`, as `kinerja score` leaves them."""
    when = datetime.now(UTC)
    for employee_id in people:
        for period in periods:
            score = RiskScore(employee_id=employee_id, period=period, status="ok", probability=0.5)
            session.add(score)
            score.model_name, score.scored_at = "risk", when
    session.commit()


def test_an_import_forgets_the_stored_risk_of_the_people_it_names(
    session: Session, people: People
) -> None:
    """A stored batch score reads the evaluations an import adds, so the import outdates it."""
    a, b, _, _ = people.ids
    _store_scores(session, (a, b), ("2025",))
    rows = [HEADER, [people.nips[0], "2025-Q1", MEETS, MEETS]]
    import_evaluations(session, csv_bytes(rows), "x.csv")  # a clean CSV: the fast path
    session.commit()
    current = select(RiskScore.employee_id).where(RiskScore.outdated.is_(False))
    assert session.scalars(current).all() == [b]
    assert session.scalar(select(func.count(RiskScore.id))) == 2


def test_an_import_forgets_the_stored_risk_of_the_periods_it_reaches(
    session: Session, people: People
) -> None:
    """A score of 2025-Q4 never reads an evaluation of 2026-Q1: importing one leaves it."""
    a, b, _, _ = people.ids
    _store_scores(session, (a, b), ("2025-Q4", "2026-Q1"))
    rows = [
        HEADER,
        [people.nips[0], "2026-Q1", MEETS, MEETS],
        [people.nips[1], "2025-Q4", MEETS, MEETS],
    ]
    import_evaluations(session, csv_bytes(rows), "x.csv")  # a clean CSV: the fast path
    session.commit()
    fresh = select(RiskScore.employee_id, RiskScore.period).where(RiskScore.outdated.is_(False))
    assert session.execute(fresh).all() == [(a, "2025-Q4")]


@pytest.mark.parametrize("units", [set(), {-1}])
def test_a_clean_file_naming_people_outside_the_units_writes_nothing(
    session: Session, people: People, units: set[int]
) -> None:
    rows = [
        HEADER,
        [people.nips[0], "2025-Q1", MEETS, MEETS],
        [people.nips[1], "2025", MEETS, MEETS],
    ]
    with pytest.raises(Invalid) as caught:
        import_evaluations(session, csv_bytes(rows), "x.csv", units=units)
    assert problems(caught) == [(2, "nip"), (3, "nip")]
    assert count(session) == 0
