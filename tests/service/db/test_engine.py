"""The engine's per-backend settings and the constraints the database itself enforces."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from service.db import make_engine
from service.db import normalise_url

VALID_NIP = "199001012015031001"
# Rows every case needs: the parents of an employee, and a period for evaluations.
PARENTS = [
    ("units", {"id": 1, "name": "Biro Kepegawaian"}),
    ("positions", {"id": 1, "title": "Analis SDM Aparatur", "kind": "fungsional"}),
    (
        "periods",
        {
            "code": "2025",
            "kind": "year",
            "year": 2025,
            "starts_on": "2025-01-01",
            "ends_on": "2025-12-31",
        },
    ),
]
EMPLOYEE = {"id": 1, "nip": VALID_NIP, "name": "Sari Wulandari", "unit_id": 1, "position_id": 1}
EVALUATION = {
    "employee_id": 1,
    "period": "2025",
    "kind": "tahunan",
    "work_result_rating": "sesuai_ekspektasi",
    "behavior_rating": "sesuai_ekspektasi",
    "predikat": "baik",
}
ATTENDANCE = {"employee_id": 1, "month": "2025-01", "work_days": 20, "present_days": 19}


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def sqlite_engine(tmp_path: Path) -> Iterator[Engine]:
    engine = make_engine(f"sqlite:///{tmp_path / 'nested' / 'kinerja.db'}")
    yield engine
    engine.dispose()


def _insert(engine: Engine, table: str, row: dict[str, Any]) -> None:
    """Insert with plain SQL, so no Python-side validation stands before the database."""
    columns = ", ".join(row)
    values = ", ".join(f":{name}" for name in row)
    with engine.begin() as connection:
        connection.execute(text(f"INSERT INTO {table} ({columns}) VALUES ({values})"), row)


def _insert_parents(engine: Engine, *, employee: bool = True) -> None:
    for table, row in PARENTS:
        _insert(engine, table, row)
    if employee:
        _insert(engine, "employees", EMPLOYEE)


@pytest.mark.parametrize(
    ("pragma", "expected"),
    [("journal_mode", "wal"), ("foreign_keys", 1), ("busy_timeout", 10_000)],
)
def test_sqlite_connections_are_configured(
    sqlite_engine: Engine, pragma: str, expected: object
) -> None:
    with sqlite_engine.connect() as connection:
        assert connection.exec_driver_sql(f"PRAGMA {pragma}").scalar() == expected


def test_sqlite_engine_creates_the_database_directory(sqlite_engine: Engine) -> None:
    with sqlite_engine.connect() as connection:
        connection.exec_driver_sql("SELECT 1")

    assert Path(str(sqlite_engine.url.database)).is_file()


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("postgresql://kinerja:s3cret@db:5432/kinerja", "postgresql+psycopg://kinerja:s3cret@db:5432/kinerja"),
        ("postgres://kinerja@db/kinerja", "postgresql+psycopg://kinerja@db/kinerja"),
        ("postgresql+psycopg://kinerja@db/kinerja", "postgresql+psycopg://kinerja@db/kinerja"),
        ("sqlite:///var/kinerja.db", "sqlite:///var/kinerja.db"),
    ],
)  # fmt: skip
def test_normalise_url_uses_psycopg_3(url: str, expected: str) -> None:
    assert normalise_url(url) == expected


def test_valid_rows_are_accepted(engine: Engine) -> None:
    _insert_parents(engine)
    _insert(engine, "evaluations", EVALUATION)
    _insert(engine, "attendance", ATTENDANCE)

    with engine.connect() as connection:
        assert connection.scalar(text("SELECT nip FROM employees")) == VALID_NIP
        assert connection.scalar(text("SELECT predikat FROM evaluations")) == "baik"
        assert connection.scalar(text("SELECT present_days FROM attendance")) == 19


@pytest.mark.parametrize("period", ["1990", "2100", "2025-Q4", "2025-01", "2100-12"])
def test_every_period_code_form_is_accepted(engine: Engine, period: str) -> None:
    """The period is checked by its code (migration 0010), at both ends of the year range."""
    _insert_parents(engine)
    _insert(engine, "evaluations", {**EVALUATION, "period": period})

    with engine.connect() as connection:
        assert connection.scalar(text("SELECT period FROM evaluations")) == period


def test_foreign_key_violation_is_refused(engine: Engine) -> None:
    _insert_parents(engine, employee=False)

    with pytest.raises(IntegrityError, match="(?i)foreign key"):
        _insert(engine, "employees", {**EMPLOYEE, "unit_id": 999})

    with engine.connect() as connection:
        assert connection.scalar(text("SELECT count(*) FROM employees")) == 0


# (test id, table, row, constraint name after the naming convention's "ck_<table>_")
BAD_ROWS = [
    ("nip-17-digits", "employees", {**EMPLOYEE, "nip": VALID_NIP[:17]}, "nip_length"),
    ("unknown-predikat", "evaluations", {**EVALUATION, "predikat": "luar_biasa"}, "predikat"),
    (
        "unknown-rating",
        "evaluations",
        {**EVALUATION, "behavior_rating": "baik"},
        "behavior_rating",
    ),
    ("period-quarter-5", "evaluations", {**EVALUATION, "period": "2025-Q5"}, "period_code"),
    ("period-month-13", "evaluations", {**EVALUATION, "period": "2025-13"}, "period_code"),
    ("period-year-1989", "evaluations", {**EVALUATION, "period": "1989"}, "period_code"),
    ("period-lower-q", "evaluations", {**EVALUATION, "period": "2025-q1"}, "period_code"),
    ("period-year-2101", "evaluations", {**EVALUATION, "period": "2101"}, "period_code"),
    ("period-month-00", "evaluations", {**EVALUATION, "period": "2025-00"}, "period_code"),
    ("present-over-work", "attendance", {**ATTENDANCE, "present_days": 21}, "days_consistent"),
    ("late-over-present", "attendance", {**ATTENDANCE, "late_days": 20}, "days_consistent"),
    ("negative-work-days", "attendance", {**ATTENDANCE, "work_days": -1}, "days_consistent"),
]
NIP_WITH_LETTER = pytest.param(
    "employees",
    {**EMPLOYEE, "nip": VALID_NIP[:17] + "X"},
    "nip_digits",  # migration 0005
    id="nip-with-a-letter",
)


@pytest.mark.parametrize(
    ("table", "row", "constraint"),
    [pytest.param(*case, id=name) for name, *case in BAD_ROWS] + [NIP_WITH_LETTER],
)
def test_check_constraints_refuse_bad_rows(
    engine: Engine, table: str, row: dict[str, Any], constraint: str
) -> None:
    _insert_parents(engine, employee=table != "employees")

    with pytest.raises(IntegrityError, match=f"ck_{table}_{constraint}"):
        _insert(engine, table, row)

    with engine.connect() as connection:
        assert connection.scalar(text(f"SELECT count(*) FROM {table}")) == 0
