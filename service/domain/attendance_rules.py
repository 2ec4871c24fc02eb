"""Which days are working days, what counts as late, and how days become a monthly summary.

Working days and the start of the working day differ per agency (domain.md 6.2: attendance
rules are agency-specific; [U]), so both are configuration:

| key                              | default             | meaning |
|----------------------------------|---------------------|---------|
| KINERJA_ATTENDANCE_WORK_WEEKDAYS | mon,tue,wed,thu,fri | weekdays that are working days |
| KINERJA_ATTENDANCE_HOLIDAYS      | (none)              | ISO dates that are not working days |
| KINERJA_ATTENDANCE_START_TIME    | 07:30               | a check-in after this time is late |

A month's summary counts, from the 1st up to the last day the imported data covers in that
month (`until`): `work_days` = working days; `present_days` = working days with a check-in;
`late_days` = present days whose check-in is after the start time. A working day without a
row counts as absent, as does a row without a check-in. Rows on non-working days (weekend
duty) are stored but not counted, so `present_days <= work_days` always holds.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field
from datetime import date
from datetime import time
from datetime import timedelta
from typing import Any

from service.domain.errors import Invalid

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
TIME_PATTERN = re.compile(r"([01]?[0-9]|2[0-3]):([0-5][0-9])(?::([0-5][0-9]))?")
_KEYS = {
    "weekdays": "KINERJA_ATTENDANCE_WORK_WEEKDAYS",
    "holidays": "KINERJA_ATTENDANCE_HOLIDAYS",
    "start": "KINERJA_ATTENDANCE_START_TIME",
}


@dataclass(frozen=True)
class MonthSummary:
    """What the monthly `attendance` row holds."""

    work_days: int
    present_days: int
    late_days: int


@dataclass(frozen=True)
class AttendanceRule:
    """Working weekdays (0 = Monday), holidays and the start of the working day."""

    work_weekdays: frozenset[int] = frozenset(range(5))
    holidays: frozenset[date] = field(default_factory=frozenset)
    start_time: time = time(7, 30)

    @classmethod
    def from_mapping(cls, config: Mapping[str, Any]) -> AttendanceRule:
        """Read the rule from the app config; Invalid names the key of a bad value."""
        rule = cls()
        weekdays = config.get(_KEYS["weekdays"])
        holidays = config.get(_KEYS["holidays"])
        start = config.get(_KEYS["start"])
        return cls(
            work_weekdays=rule.work_weekdays if weekdays is None else _weekdays(weekdays),
            holidays=rule.holidays if holidays is None else _holidays(holidays),
            start_time=rule.start_time if start is None else _start(start),
        )

    def is_working_day(self, day: date) -> bool:
        return day.weekday() in self.work_weekdays and day not in self.holidays

    def summarise(
        self, check_ins: Mapping[date, time | None], first: date, until: date
    ) -> MonthSummary:
        """Summarise the days `first`..`until` given each recorded day's check-in (or None)."""
        work = present = late = 0
        day = first
        while day <= until:
            if self.is_working_day(day):
                work += 1
                check_in = check_ins.get(day)
                if check_in is not None:
                    present += 1
                    late += check_in > self.start_time
            day += timedelta(days=1)
        return MonthSummary(work, present, late)


def parse_time(text: str) -> time | None:
    """Parse H:MM, HH:MM or HH:MM:SS; None when the text is not a time of day."""
    match = TIME_PATTERN.fullmatch(text)
    if match is None:
        return None
    hour, minute, second = match.groups()
    return time(int(hour), int(minute), int(second or 0))


def _weekdays(value: Any) -> frozenset[int]:
    names = [part.strip().lower() for part in str(value).split(",") if part.strip()]
    unknown = [name for name in names if name not in WEEKDAYS]
    if unknown or not names:
        message = f"must list weekdays from {', '.join(WEEKDAYS)}; got {value!r}"
        raise Invalid.field(_KEYS["weekdays"], message)
    return frozenset(WEEKDAYS.index(name) for name in names)


def _holidays(value: Any) -> frozenset[date]:
    days = set()
    for part in str(value).split(","):
        if not part.strip():
            continue
        try:
            days.add(date.fromisoformat(part.strip()))
        except ValueError:
            message = f"must be ISO dates (2025-08-17) separated by commas; got {part.strip()!r}"
            raise Invalid.field(_KEYS["holidays"], message) from None
    return frozenset(days)


def _start(value: Any) -> time:
    parsed = value if isinstance(value, time) else parse_time(str(value).strip())
    if parsed is None:
        raise Invalid.field(_KEYS["start"], f"must be a time HH:MM such as 07:30; got {value!r}")
    return parsed
