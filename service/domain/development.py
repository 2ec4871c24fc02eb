"""Yearly competency-development hours (JP, *jam pelajaran*) of domain.md 5.1 and section 8.

- PNS: at least `jp_minimum_pns` (20) JP a year (PP 17/2020, Pasal 203(4)). CPNS are held
  to the same minimum [U]: they are candidate PNS, and their basic training exceeds it anyway.
- PPPK (full and part time): at most `jp_maximum_pppk` (24) JP a year of the contract. This
  is a cap on what the agency grants, so it is reported (`above_maximum`) but never makes the
  employee non-compliant; a PPPK has no minimum.

Pace: `as_of` counts as elapsed (end of day), so 31 December completes the year and the pace
target equals the minimum; before 1 January nothing is due, after 31 December everything is.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from datetime import datetime

from service.domain.entities import EmploymentStatus
from service.domain.entities import PeriodKind
from service.domain.errors import Invalid
from service.domain.errors import as_member
from service.domain.periods import YEAR_MAX
from service.domain.periods import YEAR_MIN
from service.domain.periods import Period
from service.domain.settings import RuleSettings

_WITH_MINIMUM = frozenset({EmploymentStatus.PNS, EmploymentStatus.CPNS})
_WITH_MAXIMUM = frozenset({EmploymentStatus.PPPK, EmploymentStatus.PPPK_PARUH_WAKTU})


@dataclass(frozen=True)
class JpStatus:
    """Where an employee stands against the yearly JP rule on a given day.

    `required` is the yearly minimum (0 without one) and `remaining` what is still missing
    of it; `on_track` compares with the pro-rata share due by `as_of`; `maximum` is the
    PPPK cap (None without one) and `above_maximum` whether it was passed.
    """

    required: float
    completed: float
    remaining: float
    compliant: bool
    on_track: bool
    behind_late_in_year: bool
    maximum: float | None = None
    above_maximum: bool = False


def jp_status(
    jp_completed: float,
    employment_status: EmploymentStatus | str,
    year: int,
    as_of: date,
    settings: RuleSettings,
) -> JpStatus:
    """Compare the JP completed in `year` with the rule for the employment status."""
    status = as_member(EmploymentStatus, employment_status, "employment_status")
    _validate(jp_completed, year, as_of)
    as_of = as_of.date() if isinstance(as_of, datetime) else as_of
    required = jp_minimum(status, settings)
    maximum = settings.jp_maximum_pppk if status in _WITH_MAXIMUM else None
    below = jp_completed < required
    late_from = Period.of(PeriodKind.QUARTER, year, settings.jp_late_from_quarter).starts_on
    return JpStatus(
        required=required,
        completed=jp_completed,
        remaining=max(0.0, required - jp_completed),
        compliant=not below,
        on_track=jp_completed >= _due_by(required, year, as_of),
        behind_late_in_year=below and as_of >= late_from,
        maximum=maximum,
        above_maximum=maximum is not None and jp_completed > maximum,
    )


def jp_minimum(employment_status: EmploymentStatus | str, settings: RuleSettings) -> float:
    """Return the yearly JP minimum of an employment status (0 for PPPK, who have none)."""
    status = as_member(EmploymentStatus, employment_status, "employment_status")
    return settings.jp_minimum_pns if status in _WITH_MINIMUM else 0.0


def _due_by(required: float, year: int, as_of: date) -> float:
    """Return the pro-rata JP due by the end of `as_of` (computed so leap halves are exact)."""
    first = date(year, 1, 1)
    days_in_year = (date(year + 1, 1, 1) - first).days
    elapsed = min(max((as_of - first).days + 1, 0), days_in_year)
    return required * elapsed / days_in_year


def _validate(jp_completed: float, year: int, as_of: date) -> None:
    if isinstance(jp_completed, bool) or not isinstance(jp_completed, int | float):
        raise Invalid.field("jp_completed", f"must be a number of JP; got {jp_completed!r}")
    if not math.isfinite(jp_completed) or jp_completed < 0:
        raise Invalid.field("jp_completed", f"must be a finite JP >= 0; got {jp_completed!r}")
    if isinstance(year, bool) or not isinstance(year, int) or not YEAR_MIN <= year <= YEAR_MAX:
        raise Invalid.field("year", f"must be a year from {YEAR_MIN} to {YEAR_MAX}; got {year!r}")
    if not isinstance(as_of, date):
        raise Invalid.field("as_of", f"must be a date; got {as_of!r}")
