"""Working days, lateness and the monthly summary of daily attendance (no database)."""

from __future__ import annotations

from datetime import date
from datetime import time

import pytest

from service.domain.attendance_rules import AttendanceRule
from service.domain.attendance_rules import MonthSummary
from service.domain.attendance_rules import parse_time
from service.domain.errors import Invalid

MARCH = date(2025, 3, 1)  # a Saturday; March 2025 has 21 weekdays


def test_the_default_rule_is_monday_to_friday_from_seven_thirty() -> None:
    rule = AttendanceRule()
    check_ins = {
        date(2025, 3, 3): time(7, 30),  # on time (not after 07:30)
        date(2025, 3, 4): time(7, 31),  # late
        date(2025, 3, 5): None,  # a row without check-in: absent
        date(2025, 3, 8): time(8, 0),  # Saturday: stored, not counted
    }
    assert rule.summarise(check_ins, MARCH, date(2025, 3, 31)) == MonthSummary(21, 2, 1)
    assert rule.summarise(check_ins, MARCH, date(2025, 3, 7)) == MonthSummary(5, 2, 1)


def test_weekdays_holidays_and_start_are_configurable() -> None:
    rule = AttendanceRule.from_mapping(
        {
            "KINERJA_ATTENDANCE_WORK_WEEKDAYS": "mon,tue,wed,thu,fri,sat",
            "KINERJA_ATTENDANCE_HOLIDAYS": "2025-03-31, 2025-03-28",
            "KINERJA_ATTENDANCE_START_TIME": "08:00",
        }
    )
    check_ins = {date(2025, 3, 8): time(7, 45), date(2025, 3, 10): time(8, 5)}
    # 21 weekdays + 5 Saturdays - 2 holidays
    assert rule.summarise(check_ins, MARCH, date(2025, 3, 31)) == MonthSummary(24, 2, 1)


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("KINERJA_ATTENDANCE_WORK_WEEKDAYS", "monday"),
        ("KINERJA_ATTENDANCE_WORK_WEEKDAYS", ""),
        ("KINERJA_ATTENDANCE_HOLIDAYS", "2025-02-30"),
        ("KINERJA_ATTENDANCE_START_TIME", "7.30"),
        ("KINERJA_ATTENDANCE_START_TIME", "25:00"),
    ],
)
def test_a_bad_setting_names_its_key(key: str, value: str) -> None:
    with pytest.raises(Invalid) as caught:
        AttendanceRule.from_mapping({key: value})
    assert caught.value.errors[0].field == key


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("07:30", time(7, 30)),
        ("7:05", time(7, 5)),
        ("16:00:59", time(16, 0, 59)),
        ("24:00", None),
        ("07:60", None),
        ("0730", None),
        ("", None),
    ],
)
def test_times_of_day(text: str, expected: time | None) -> None:
    assert parse_time(text) == expected
