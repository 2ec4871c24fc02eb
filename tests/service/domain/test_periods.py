"""Period codes of API.md: a year "2025", a quarter "2025-Q1", a month "2025-03"."""

from __future__ import annotations

from datetime import date

import pytest

from service.domain.entities import PeriodKind
from service.domain.errors import Invalid
from service.domain.periods import parse_period
from service.domain.periods import period_of
from service.domain.periods import quarter_of_month

YEAR = PeriodKind.YEAR
QUARTER = PeriodKind.QUARTER
MONTH = PeriodKind.MONTH

VALID = [
    ("2025", YEAR, 2025, 1, date(2025, 1, 1), date(2025, 12, 31)),
    ("1990", YEAR, 1990, 1, date(1990, 1, 1), date(1990, 12, 31)),
    ("2100", YEAR, 2100, 1, date(2100, 1, 1), date(2100, 12, 31)),
    ("2025-Q1", QUARTER, 2025, 1, date(2025, 1, 1), date(2025, 3, 31)),
    ("2025-Q2", QUARTER, 2025, 2, date(2025, 4, 1), date(2025, 6, 30)),
    ("2025-Q3", QUARTER, 2025, 3, date(2025, 7, 1), date(2025, 9, 30)),
    ("2025-Q4", QUARTER, 2025, 4, date(2025, 10, 1), date(2025, 12, 31)),
    ("2025-01", MONTH, 2025, 1, date(2025, 1, 1), date(2025, 1, 31)),
    ("2025-02", MONTH, 2025, 2, date(2025, 2, 1), date(2025, 2, 28)),
    ("2024-02", MONTH, 2024, 2, date(2024, 2, 1), date(2024, 2, 29)),
    ("2100-02", MONTH, 2100, 2, date(2100, 2, 1), date(2100, 2, 28)),  # not a leap year
    ("2025-04", MONTH, 2025, 4, date(2025, 4, 1), date(2025, 4, 30)),
    ("2025-12", MONTH, 2025, 12, date(2025, 12, 1), date(2025, 12, 31)),
]


@pytest.mark.parametrize(("code", "kind", "year", "index", "starts", "ends"), VALID)
def test_parse_valid_codes(
    code: str, kind: PeriodKind, year: int, index: int, starts: date, ends: date
) -> None:
    period = parse_period(code)

    assert (period.code, period.kind, period.year, period.index) == (code, kind, year, index)
    assert (period.starts_on, period.ends_on) == (starts, ends)
    assert str(period) == code


INVALID = [
    "2025-Q5",
    "2025-Q0",
    "2025-13",
    "2025-00",
    "2025-3",
    "25-Q1",
    "025",
    "20250",
    " 2025",
    "2025 ",
    "2025-q1",
    "2025-Q1 ",
    "2025Q1",
    "2025-H1",
    "2025-S1",
    "2025/03",
    "1989",
    "2101",
    "1989-12",
    "2101-Q1",
    "\uff12\uff10\uff12\uff15",  # full-width digits
    "",
    None,
    2025,
]


@pytest.mark.parametrize("code", INVALID)
def test_reject_anything_else_naming_the_field_and_the_forms(code: object) -> None:
    forms = r"must be a year \(2025\), a quarter \(2025-Q1 to 2025-Q4\) or a month"

    with pytest.raises(Invalid, match=rf"^period: {forms}.*1990 to 2100"):
        parse_period(code)  # type: ignore[arg-type]


def test_the_field_name_can_be_given_for_imports() -> None:
    with pytest.raises(Invalid) as caught:
        parse_period("2025-Q5", field="period_code")

    assert [error.field for error in caught.value.errors] == ["period_code"]


@pytest.mark.parametrize(
    ("code", "following"),
    [
        ("2025", "2026"),
        ("2025-Q1", "2025-Q2"),
        ("2025-Q4", "2026-Q1"),
        ("2025-01", "2025-02"),
        ("2025-09", "2025-10"),
        ("2025-12", "2026-01"),
        ("1999-12", "2000-01"),
    ],
)
def test_next_and_previous_cross_year_boundaries(code: str, following: str) -> None:
    assert parse_period(code).next() == parse_period(following)
    assert parse_period(following).previous() == parse_period(code)


@pytest.mark.parametrize(
    ("code", "step"),
    [
        ("2100", "next"),
        ("2100-Q4", "next"),
        ("2100-12", "next"),
        ("1990", "previous"),
        ("1990-Q1", "previous"),
        ("1990-01", "previous"),
    ],
)
def test_stepping_out_of_1990_to_2100_is_invalid(code: str, step: str) -> None:
    with pytest.raises(Invalid, match=r"period: must be"):
        getattr(parse_period(code), step)()


def test_periods_of_one_kind_sort_in_time() -> None:
    codes = ["2025-Q1", "2024-Q4", "2025-Q3", "2024-Q1", "2025-Q2"]

    ordered = sorted(parse_period(code) for code in codes)

    assert [p.code for p in ordered] == ["2024-Q1", "2024-Q4", "2025-Q1", "2025-Q2", "2025-Q3"]
    assert parse_period("2024-12") < parse_period("2025-01") <= parse_period("2025-01")
    assert parse_period("2026") > parse_period("2025")


def test_periods_of_different_kinds_have_no_order() -> None:
    with pytest.raises(TypeError):
        _ = parse_period("2025") < parse_period("2025-Q1")
    with pytest.raises(TypeError):
        _ = parse_period("2025-03") >= parse_period("2025-Q1")


def test_periods_are_values() -> None:
    assert parse_period("2025-Q1") == parse_period("2025-Q1")
    assert parse_period("2025-Q1") != parse_period("2025-Q2")
    assert len({parse_period("2025-03"), parse_period("2025-03")}) == 1


@pytest.mark.parametrize(
    ("code", "day", "inside"),
    [
        ("2025-Q1", date(2025, 1, 1), True),
        ("2025-Q1", date(2025, 3, 31), True),
        ("2025-Q1", date(2025, 4, 1), False),
        ("2025-Q1", date(2024, 12, 31), False),
        ("2024-02", date(2024, 2, 29), True),
        ("2025", date(2025, 12, 31), True),
        ("2025", date(2026, 1, 1), False),
    ],
)
def test_contains_includes_both_ends(code: str, day: date, inside: bool) -> None:
    assert parse_period(code).contains(day) is inside


@pytest.mark.parametrize(
    ("day", "kind", "expected"),
    [
        (date(2025, 8, 15), YEAR, "2025"),
        (date(2025, 8, 15), QUARTER, "2025-Q3"),
        (date(2025, 8, 15), MONTH, "2025-08"),
        (date(2025, 3, 31), "quarter", "2025-Q1"),
        (date(2025, 4, 1), "quarter", "2025-Q2"),
        (date(2025, 12, 31), "quarter", "2025-Q4"),
        (date(2024, 2, 29), "month", "2024-02"),
    ],
)
def test_period_of_a_date(day: date, kind: PeriodKind | str, expected: str) -> None:
    period = period_of(day, kind)

    assert period == parse_period(expected)
    assert period.contains(day)


def test_period_of_rejects_an_unknown_kind_and_years_out_of_range() -> None:
    with pytest.raises(Invalid, match=r"kind: must be one of year, quarter, month"):
        period_of(date(2025, 1, 1), "semester")
    with pytest.raises(Invalid, match=r"date: must be a year"):
        period_of(date(1989, 12, 31), YEAR)


@pytest.mark.parametrize(
    ("month", "quarter"),
    [
        ("2025-01", "2025-Q1"),
        ("2025-03", "2025-Q1"),
        ("2025-04", "2025-Q2"),
        ("2025-06", "2025-Q2"),
        ("2025-07", "2025-Q3"),
        ("2025-09", "2025-Q3"),
        ("2025-10", "2025-Q4"),
        ("2025-12", "2025-Q4"),
    ],
)
def test_quarter_of_month(month: str, quarter: str) -> None:
    assert quarter_of_month(month) == parse_period(quarter)


@pytest.mark.parametrize("code", ["2025-Q1", "2025", "2025-13"])
def test_quarter_of_month_needs_a_month(code: str) -> None:
    with pytest.raises(Invalid, match=r"^period: must be"):
        quarter_of_month(code)
