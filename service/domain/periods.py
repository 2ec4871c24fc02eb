"""Evaluation periods as API.md writes them: a year "2025", a quarter "2025-Q1", a month "2025-03".

Codes are exact: no spaces, an upper-case Q, two-digit months, four-digit years from 1990 to
2100. Periods of the same kind are ordered in time; comparing a year with a quarter (they
overlap) raises TypeError instead of inventing an order.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date
from datetime import datetime
from datetime import timedelta
from datetime import timezone
from functools import total_ordering

from service.domain.entities import PeriodKind
from service.domain.errors import Invalid
from service.domain.errors import as_member

YEAR_MIN = 1990
YEAR_MAX = 2100
ACCEPTED_FORMS = (
    f"a year (2025), a quarter (2025-Q1 to 2025-Q4) or a month (2025-01 to 2025-12), "
    f"with the year from {YEAR_MIN} to {YEAR_MAX}"
)
_PATTERNS = {
    PeriodKind.YEAR: re.compile(r"([0-9]{4})"),
    PeriodKind.QUARTER: re.compile(r"([0-9]{4})-Q([1-4])"),
    PeriodKind.MONTH: re.compile(r"([0-9]{4})-(0[1-9]|1[0-2])"),
}
#: Eastern Indonesia Time (WIT, UTC+9), where Indonesia's date changes first.
WIT = timezone(timedelta(hours=9))
_PER_YEAR = {PeriodKind.YEAR: 1, PeriodKind.QUARTER: 4, PeriodKind.MONTH: 12}
_MONTHS = {PeriodKind.YEAR: 12, PeriodKind.QUARTER: 3, PeriodKind.MONTH: 1}


@total_ordering
@dataclass(frozen=True)
class Period:
    """One period; `index` is 1 for a year, 1-4 for a quarter, 1-12 for a month."""

    code: str
    kind: PeriodKind
    year: int
    index: int
    starts_on: date
    ends_on: date

    @classmethod
    def of(cls, kind: PeriodKind, year: int, index: int, *, field: str = "period") -> Period:
        """Build a period from its parts; Invalid outside 1990-2100 or a bad index."""
        code = {
            PeriodKind.YEAR: f"{year}",
            PeriodKind.QUARTER: f"{year}-Q{index}",
            PeriodKind.MONTH: f"{year}-{index:02d}",
        }[kind]
        if not (YEAR_MIN <= year <= YEAR_MAX and 1 <= index <= _PER_YEAR[kind]):
            raise Invalid.field(field, f"must be {ACCEPTED_FORMS}; got {code!r}")
        first_month = (index - 1) * _MONTHS[kind] + 1
        last_month = first_month + _MONTHS[kind] - 1
        last_day = calendar.monthrange(year, last_month)[1]
        return cls(
            code, kind, year, index, date(year, first_month, 1), date(year, last_month, last_day)
        )

    def next(self) -> Period:
        """Return the following period of the same kind (Q4 2025 -> Q1 2026)."""
        return self._shift(1)

    def previous(self) -> Period:
        """Return the preceding period of the same kind (2025-01 -> 2024-12)."""
        return self._shift(-1)

    def contains(self, day: date) -> bool:
        """Whether `day` falls inside this period, both ends included."""
        return self.starts_on <= day <= self.ends_on

    def enclosing(self) -> tuple[str, ...]:
        """The codes of the periods that hold this one, itself included (2025-02 -> 2025,
        2025-Q1, 2025-02): an evaluation of any of them rests on what was done in it."""
        codes = [str(self.year)]
        if self.kind is not PeriodKind.YEAR:
            codes.append(f"{self.year}-Q{(self.starts_on.month - 1) // 3 + 1}")
        if self.kind is PeriodKind.MONTH:
            codes.append(self.code)
        return tuple(codes)

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Period) or other.kind != self.kind:
            return NotImplemented
        return self.starts_on < other.starts_on

    def __str__(self) -> str:
        return self.code

    def _shift(self, step: int) -> Period:
        position = self.year * _PER_YEAR[self.kind] + self.index - 1 + step
        year, offset = divmod(position, _PER_YEAR[self.kind])
        return Period.of(self.kind, year, offset + 1)


def parse_period(code: str, *, field: str = "period") -> Period:
    """Parse a period code; Invalid names `field` and the accepted forms otherwise."""
    if isinstance(code, str):
        for kind, pattern in _PATTERNS.items():
            match = pattern.fullmatch(code)
            if match:
                index = int(match.group(2)) if kind is not PeriodKind.YEAR else 1
                return Period.of(kind, int(match.group(1)), index, field=field)
    raise Invalid.field(field, f"must be {ACCEPTED_FORMS}; got {code!r}")


def period_of(day: date, kind: PeriodKind | str) -> Period:
    """Return the period of the given kind that contains `day`."""
    kind = as_member(PeriodKind, kind, "kind")
    index = (day.month - 1) // _MONTHS[kind] + 1
    return Period.of(kind, day.year, index, field="date")


def quarter_of_month(code: str, *, field: str = "period") -> Period:
    """Return the quarter that contains the month `code` ("2025-05" -> 2025-Q2)."""
    month = parse_period(code, field=field)
    if month.kind is not PeriodKind.MONTH:
        raise Invalid.field(field, f"must be a month such as 2025-03; got {code!r}")
    return period_of(month.starts_on, PeriodKind.QUARTER)


def today_in_indonesia() -> date:
    """Today's date in eastern Indonesia (UTC+9): once it is a period's first day anywhere in
    Indonesia, the period has started; a date after this one is in the future everywhere."""
    return datetime.now(WIT).date()


def not_started(period: Period) -> str | None:
    """Say that `period` has not started (its first day is after today in Indonesia), else
    None: nothing is evaluated, realised or graded for a period still to come."""
    if period.starts_on > today_in_indonesia():
        return f"{period.code} has not started yet (it starts on {period.starts_on})"
    return None


def ensure_started(period: Period) -> Period:
    """`period` when it has started; Invalid naming `period` (`not_started` says why)
    otherwise."""
    if problem := not_started(period):
        raise Invalid.field("period", problem)
    return period
