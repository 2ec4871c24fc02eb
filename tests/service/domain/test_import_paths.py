"""The import's column-wise fast path agrees with the row-by-row check on random files.

The fast path must accept exactly the files the row-by-row check takes without a problem, and
build the same rows from them; on any other file it must step aside (None), so the row-by-row
check reports the problems. Its CSV reader (pyarrow) must split the same cells as the csv
module whenever it reads a file at all.
"""

from __future__ import annotations

import csv
import io
import random
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.db.models import Employee
from service.domain.entities import BerakhlakValue
from service.domain.entities import Rating
from service.domain.import_arrow import read_arrow
from service.domain.import_columns import candidates as column_candidates
from service.domain.import_columns import fast_table
from service.domain.import_files import csv_records
from service.domain.import_files import read_table
from service.domain.import_lookup import Known
from service.domain.import_lookup import everyone_ahead
from service.domain.import_rows import RowChecker
from service.domain.import_rows import candidates
from service.domain.import_rules import read_header
from service.domain.imports import import_evaluations
from tests.factories import make_employee
from tests.factories import make_evaluation
from tests.factories import make_unit

RATINGS = [rating.value for rating in Rating]
VALUES = [value.value for value in BerakhlakValue]
PERIODS = ["2025", "2025-Q1", "2025-Q2", "2025-07"]
FEEDBACK = [
    "",
    "Baik sekali",
    "  spasi  ",
    "'=SUM(A1)",
    "baris\r\ndua",
    'koma, titik; kutip "',
    "baris\ndua",
    "é awal",
    "akhir é",
    "\u00a0nbsp",
    "x" * 5001,
    "=1+1",
    "tab\tdi tengah",
    "'kutip",
    "a",
]
SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


@pytest.fixture
def staff(session: Session) -> dict[str, Any]:
    """Eight employees in two units, one of them already evaluated for 2025-Q2."""
    home, away = make_unit(session), make_unit(session)
    people = [make_employee(session, unit_id=(home if n < 6 else away).id) for n in range(8)]
    make_evaluation(session, employee_id=people[0].id, period="2025-Q2")
    session.commit()
    return {
        "nips": [p.nip for p in people],
        "rater": people[5].id,
        "home_units": {home.id},
    }


def _file(rng: random.Random, nips: list[str]) -> list[list[str]]:
    """A random valid-looking file: optional columns, shuffled order, distinct (nip, period)."""
    columns = ["nip", "period", "work_result_rating", "behavior_rating"]
    columns += rng.sample(VALUES, rng.randint(0, 3))
    columns += [c for c in ("feedback", "predikat", "rater_nip", "name") if rng.random() < 0.5]
    rng.shuffle(columns)
    pairs = rng.sample([(n, p) for n in nips[1:6] for p in PERIODS], rng.randint(1, 12))
    rows = [[c.upper() if rng.random() < 0.2 else c for c in columns]]
    for nip, period in pairs:
        cells = {
            "nip": nip,
            "period": period,
            "work_result_rating": rng.choice(RATINGS),
            "behavior_rating": rng.choice(RATINGS),
            "feedback": rng.choice(FEEDBACK),
            "predikat": "",
            "rater_nip": rng.choice(["", nips[4], nips[5]]),  # in scope; 5 is the default
            "name": "Pegawai",
        }
        rows.append([cells.get(c, rng.choice(["", *RATINGS])) for c in columns])
    return rows


BREAKS: list[Callable[[list[list[str]], list[str]], None]] = [
    lambda rows, nips: rows[1].__setitem__(_at(rows, "nip"), nips[7]),  # out of scope
    lambda rows, nips: rows[1].__setitem__(_at(rows, "nip"), "1" * 18),  # nobody
    lambda rows, nips: rows[1].__setitem__(_at(rows, "period"), " 2025"),  # unstripped
    lambda rows, nips: rows[1].__setitem__(_at(rows, "period"), "2025-Q5"),
    lambda rows, nips: rows[1].__setitem__(_at(rows, "work_result_rating"), "bagus"),
    lambda rows, nips: rows.append(list(rows[1])),  # duplicate row
    lambda rows, nips: _already_evaluated(rows, nips),
    lambda rows, nips: rows[1].append("extra"),  # wider than the header
    lambda rows, nips: _rater(rows, nips[6]),  # a rater out of scope
    lambda rows, nips: _rater(rows, "1" * 18),  # a rater nobody is
]


def _rater(rows: list[list[str]], nip: str) -> None:
    """Make the first row name `nip` as its rater (adding the column if the file has none)."""
    if "rater_nip" not in [cell.lower() for cell in rows[0]]:
        for row in rows:
            row.append("rater_nip" if row is rows[0] else "")
    rows[1][_at(rows, "rater_nip")] = nip


def _already_evaluated(rows: list[list[str]], nips: list[str]) -> None:
    """Make the first row name the employee evaluated for 2025-Q2 (`staff`) for that period."""
    rows[1][_at(rows, "nip")] = nips[0]
    rows[1][_at(rows, "period")] = "2025-Q2"


def _at(rows: list[list[str]], name: str) -> int:
    return [cell.lower() for cell in rows[0]].index(name)


def _encode(rows: list[list[str]]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return buffer.getvalue().encode()


def _both(
    session: Session, content: bytes, rater: int, units: set[int] | None
) -> tuple[Any, RowChecker]:
    file = read_arrow(content, "file.csv")
    fast = None
    if file is not None:
        fast = fast_table(file, Known.load(session, *column_candidates(file)), rater, units)
        if fast is not None:
            table, periods = fast
            fast = (list(zip(*(c.to_pylist() for c in table.columns), strict=True)), periods)
    header, rows = read_table(content, "file.csv")
    layout = read_header(header)
    checker = RowChecker(layout, Known.load(session, *candidates(layout, rows)), rater, units)
    for number, cells in rows:
        checker.check(number, cells)
    return fast, checker


@SQLITE_ONLY
@pytest.mark.parametrize("seed", range(60))
def test_fast_path_agrees_with_the_row_by_row_check(
    session: Session, staff: dict[str, Any], seed: int
) -> None:
    rng = random.Random(seed)
    rows = _file(rng, staff["nips"])
    broken = seed % 2 == 1
    if broken:
        rng.choice(BREAKS)(rows, staff["nips"])
    fast, checker = _both(session, _encode(rows), staff["rater"], staff["home_units"])
    if checker.problems.total:
        assert fast is None, "the fast path accepted a file with problems"
    elif fast is None:
        assert broken, "the fast path refused a clean file"  # e.g. " 2025": left to the check
    else:
        values, periods = fast
        assert values == checker.values
        assert set(periods) == set(checker.periods)


def _written(fast: Any) -> Any:
    """The rows and period codes `fast_table` answered, as plain values (None stays None)."""
    if fast is None:
        return None
    table, periods = fast
    return list(zip(*(c.to_pylist() for c in table.columns), strict=True)), sorted(periods)


@pytest.mark.parametrize("seed", range(16))
def test_employees_read_ahead_check_a_file_as_the_look_up_by_nip(
    session: Session, staff: dict[str, Any], seed: int
) -> None:
    """A file with lines enough to name half of the ids is parsed while every employee is
    read on a second thread (PostgreSQL and SQLite); the fast path then takes or leaves the
    same files and builds the same rows (stored evaluations included) as with the look-up by
    NIP."""
    rng = random.Random(seed)
    rows = _file(rng, staff["nips"])
    if seed % 2:
        (_already_evaluated if seed % 4 == 1 else rng.choice(BREAKS))(rows, staff["nips"])
    content = _encode(rows)
    with everyone_ahead(session, content, "file.csv") as everyone:
        file = read_arrow(content, "file.csv")
    highest = session.scalar(select(func.max(Employee.id))) or 0
    read = (content.count(b"\n") + 1) * 2 >= highest
    assert (everyone.result() is not None) == read
    if file is None:
        return
    found = column_candidates(file)
    ahead = Known.load(session, *found, everyone.result())
    by_nip = Known.load(session, *found)
    units = staff["home_units"]
    assert _written(fast_table(file, ahead, staff["rater"], units)) == _written(
        fast_table(file, by_nip, staff["rater"], units)
    )
    assert by_nip.employee_ids.items() <= ahead.employee_ids.items()
    assert by_nip.unit_of.items() <= ahead.unit_of.items()


def test_a_clean_file_takes_the_fast_path_and_is_stored(
    session: Session, staff: dict[str, Any]
) -> None:
    rows = [["nip", "period", "work_result_rating", "behavior_rating", "feedback"]]
    rows += [
        [nip, "2025-Q1", "sesuai_ekspektasi", "di_atas_ekspektasi", ""] for nip in staff["nips"]
    ]
    content = _encode(rows)
    fast, checker = _both(session, content, staff["rater"], None)
    assert fast is not None and checker.problems.total == 0
    assert import_evaluations(session, content, "x.csv", rater_id=staff["rater"]).count == 8


QUOTING = ['"', '""', ",", ";", "\n", "\r\n", "\r", " ", "a", "é", '"a"', "\t"]


@pytest.mark.parametrize("seed", range(300))
def test_the_arrow_reader_splits_the_cells_the_csv_module_splits(seed: int) -> None:
    """Random cells full of quotes and line ends, and random bytes spliced in: whenever
    pyarrow reads a file, the csv module reads it too and finds the same cells."""
    rng = random.Random(seed)
    header = ["nip", "period", "work_result_rating", "behavior_rating", "feedback"]
    rows = [header]
    for _ in range(rng.randint(1, 6)):
        cells = ["".join(rng.choices(QUOTING, k=rng.randint(0, 4))) for _ in header]
        rows.append(cells)
    text = _encode(rows).decode()
    for _ in range(rng.randint(0, 2)):
        at = rng.randint(len(text.partition("\n")[0]) + 1, len(text))
        text = text[:at] + rng.choice(QUOTING) + text[at:]
    file = read_arrow(text.encode(), "x.csv")
    if file is None:
        return
    records = [record for record in csv_records(text.encode())[1:] if record]
    by_row = [[file.columns[name][n].as_py() for name in header] for n in range(file.size)]
    assert by_row == records
