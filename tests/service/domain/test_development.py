"""The yearly JP rule (domain.md 5.1) and the "below 20 JP by Q3" signal (domain.md 8).

Pace worked by hand: by the end of day d of a year of D days, 20 x d / D JP are due.
"""

from __future__ import annotations

import math
from datetime import date
from datetime import datetime

import pytest

from service.domain.development import jp_status
from service.domain.entities import EmploymentStatus
from service.domain.errors import Invalid
from service.domain.settings import RuleSettings

DEFAULTS = RuleSettings()


@pytest.mark.parametrize(
    ("completed", "as_of", "compliant", "remaining"),
    [
        (20.0, date(2025, 12, 31), True, 0.0),
        (19.5, date(2025, 12, 31), False, 0.5),
        (20.0, date(2025, 2, 1), True, 0.0),
        (32.0, date(2025, 12, 31), True, 0.0),
        (0.0, date(2025, 1, 1), False, 20.0),
        (12.25, date(2025, 5, 5), False, 7.75),
    ],
)
def test_pns_minimum_of_20_jp(
    completed: float, as_of: date, compliant: bool, remaining: float
) -> None:
    status = jp_status(completed, EmploymentStatus.PNS, 2025, as_of, DEFAULTS)

    assert (status.required, status.completed) == (20.0, completed)
    assert (status.compliant, status.remaining) == (compliant, remaining)
    assert status.maximum is None and status.above_maximum is False


@pytest.mark.parametrize(
    ("completed", "year", "as_of", "on_track"),
    [
        # 1 January: 20 x 1/365 = 0.0548 JP due.
        (0.0, 2025, date(2025, 1, 1), False),
        (0.06, 2025, date(2025, 1, 1), True),
        # 1 July of a leap year is day 183 of 366: exactly 10 JP due.
        (10.0, 2024, date(2024, 7, 1), True),
        (9.99, 2024, date(2024, 7, 1), False),
        # 1 July of a common year is day 182 of 365: 9.9726 JP due.
        (9.98, 2025, date(2025, 7, 1), True),
        (9.97, 2025, date(2025, 7, 1), False),
        # 31 December completes the year, leap or not: the whole 20 JP are due.
        (19.99, 2024, date(2024, 12, 31), False),
        (20.0, 2024, date(2024, 12, 31), True),
        (19.99, 2025, date(2025, 12, 31), False),
        # Before the year nothing is due; after it, everything.
        (0.0, 2025, date(2024, 12, 31), True),
        (19.99, 2025, date(2026, 3, 1), False),
        (20.0, 2025, date(2026, 3, 1), True),
    ],
)
def test_on_track_is_pro_rata_by_day(
    completed: float, year: int, as_of: date, on_track: bool
) -> None:
    assert jp_status(completed, "pns", year, as_of, DEFAULTS).on_track is on_track


@pytest.mark.parametrize(
    ("completed", "year", "as_of", "late"),
    [
        (5.0, 2025, date(2025, 6, 30), False),
        (5.0, 2025, date(2025, 7, 1), True),
        (5.0, 2024, date(2024, 6, 30), False),
        (5.0, 2024, date(2024, 7, 1), True),
        (19.5, 2025, date(2025, 12, 31), True),
        (20.0, 2025, date(2025, 7, 1), False),
        (20.0, 2025, date(2025, 12, 31), False),
        (0.0, 2025, date(2026, 1, 15), True),
        (0.0, 2025, date(2024, 12, 31), False),
    ],
)
def test_behind_late_in_year_from_the_start_of_q3(
    completed: float, year: int, as_of: date, late: bool
) -> None:
    assert jp_status(completed, "pns", year, as_of, DEFAULTS).behind_late_in_year is late


def test_the_late_quarter_is_a_setting() -> None:
    settings = RuleSettings(jp_late_from_quarter=4)

    assert not jp_status(5, "pns", 2025, date(2025, 9, 30), settings).behind_late_in_year
    assert jp_status(5, "pns", 2025, date(2025, 10, 1), settings).behind_late_in_year


def test_the_minimum_is_a_setting() -> None:
    status = jp_status(25, "pns", 2025, date(2025, 12, 31), RuleSettings(jp_minimum_pns=30))

    assert (status.required, status.remaining, status.compliant) == (30, 5, False)


def test_cpns_are_held_to_the_pns_minimum() -> None:
    status = jp_status(19.5, EmploymentStatus.CPNS, 2025, date(2025, 12, 31), DEFAULTS)

    assert (status.required, status.compliant, status.behind_late_in_year) == (20, False, True)


@pytest.mark.parametrize("employment", ["pppk", "pppk_paruh_waktu"])
@pytest.mark.parametrize(
    ("completed", "above"), [(0.0, False), (12.0, False), (24.0, False), (24.5, True)]
)
def test_pppk_has_an_informational_maximum_of_24_and_no_minimum(
    employment: str, completed: float, above: bool
) -> None:
    status = jp_status(completed, employment, 2025, date(2025, 12, 31), DEFAULTS)

    assert (status.required, status.remaining, status.maximum) == (0, 0, 24)
    assert status.compliant and status.on_track and not status.behind_late_in_year
    assert status.above_maximum is above


def test_pppk_maximum_is_a_setting() -> None:
    settings = RuleSettings(jp_maximum_pppk=30)

    assert not jp_status(28, "pppk", 2025, date(2025, 6, 1), settings).above_maximum
    assert jp_status(31, "pppk", 2025, date(2025, 6, 1), settings).above_maximum


def test_a_datetime_counts_as_its_day() -> None:
    at_noon = jp_status(5, "pns", 2025, datetime(2025, 7, 1, 12, 0), DEFAULTS)

    assert at_noon == jp_status(5, "pns", 2025, date(2025, 7, 1), DEFAULTS)


@pytest.mark.parametrize(
    ("completed", "employment", "year", "as_of", "match"),
    [
        (-0.5, "pns", 2025, date(2025, 1, 1), r"jp_completed: must be a finite JP >= 0"),
        (math.nan, "pns", 2025, date(2025, 1, 1), r"jp_completed: must be a finite JP >= 0"),
        (math.inf, "pns", 2025, date(2025, 1, 1), r"jp_completed: must be a finite JP >= 0"),
        ("20", "pns", 2025, date(2025, 1, 1), r"jp_completed: must be a number of JP"),
        (True, "pns", 2025, date(2025, 1, 1), r"jp_completed: must be a number of JP"),
        (20, "honorer", 2025, date(2025, 1, 1), r"employment_status: must be one of cpns, pns"),
        (20, "PNS", 2025, date(2025, 1, 1), r"employment_status: must be one of"),
        (20, "pns", 1989, date(1989, 1, 1), r"year: must be a year from 1990 to 2100"),
        (20, "pns", "2025", date(2025, 1, 1), r"year: must be a year from 1990 to 2100"),
        (20, "pns", 2025, "2025-07-01", r"as_of: must be a date"),
    ],
)
def test_rejects_bad_input(
    completed: object, employment: object, year: object, as_of: object, match: str
) -> None:
    with pytest.raises(Invalid, match=match):
        jp_status(completed, employment, year, as_of, DEFAULTS)  # type: ignore[arg-type]
