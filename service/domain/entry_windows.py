"""Entry windows: until when a period's realisations may still be written, and the SKP deadline.

A realisation (with its evidence links) of a month, quarter or year is written by the
employee or the rater while the period runs and for `grace_days` after its last day
(KINERJA_REALISATION_GRACE_DAYS, default 15; `off` keeps every period open). Peer systems'
users ask for forms that lock after the end date (peers.md 7.13); the regulation sets no such
deadline that the sources confirm, so it is a setting. 15 days: the last month's documents
are usually signed in the first working days of the next month (and the Lebaran or year-end
holidays take a week), while the periodic evaluation that rests on them starts in the second
half of the month; December's and Q4's close on 15 January, half a month before the annual
SKP deadline.

After that, hr over the employee's unit (or admin) may reopen the window for one employee or
one unit (and the units below it) until a day, with a reason (`window_reopenings`), for
every period or for one period and the periods within it. Late corrections go that way,
not by hr writing realisations itself: a realisation is the employee's or the rater's
account, and the reopening is the audited record of who allowed it and why. Imports do not
write realisations (the evaluation and attendance imports have their own rules), and the
synthetic history writes its tables directly, outside this rule.

`evidence_standing` is the one place that decides whether a period's evidence may still
change, and says why not: an evaluation of the period (or of a period holding it) is given,
which freezes its evidence (an objection can bring new evidence); or the window closed.

The annual SKP is set (*ditetapkan*) by the end of January (domain.md 3.2: explicit in
8/2021, reported for 6/2022): KINERJA_SKP_DEADLINE, a month and day of the plan's year
(`01-31`). A plan set after it, or not set when it has passed, is accepted but `late`.
Days are counted in western Indonesia (UTC+7), where a date ends last: a window is still
open, and a plan still in time, while the day lasts anywhere in Indonesia.
"""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from datetime import datetime
from datetime import timedelta
from datetime import timezone
from typing import Any

from sqlalchemy.orm import Session

from service.db.repositories import performance as performance_repo
from service.db.repositories import window_reopenings as repo
from service.domain.entities import PeriodKind
from service.domain.entities import SkpStatus
from service.domain.errors import Conflict
from service.domain.errors import Invalid
from service.domain.errors import Reason
from service.domain.errors import ReasonId
from service.domain.moments import as_utc
from service.domain.periods import Period
from service.domain.periods import not_started
from service.domain.settings import whole_number_setting

GRACE_KEY = "KINERJA_REALISATION_GRACE_DAYS"
DEADLINE_KEY = "KINERJA_SKP_DEADLINE"
DEFAULT_GRACE_DAYS = 15
DEFAULT_DEADLINE = (1, 31)
OFF = "off"
#: Western Indonesia Time (WIB, UTC+7), where Indonesia's date changes last.
WIB = timezone(timedelta(hours=7))


@dataclass(frozen=True)
class WindowSettings:
    """The realisation grace (days after a period's end; None: no window) and the SKP
    deadline (month, day of the plan's year)."""

    grace_days: int | None = DEFAULT_GRACE_DAYS
    skp_deadline: tuple[int, int] = DEFAULT_DEADLINE

    @classmethod
    def from_mapping(cls, config: Mapping[str, Any]) -> WindowSettings:
        """Read both settings from the app config (values, or their text from `.env`)."""
        grace = config.get(GRACE_KEY, DEFAULT_GRACE_DAYS)
        if isinstance(grace, str) and grace.strip().lower() == OFF:
            days = None
        else:
            try:
                days = whole_number_setting(config, GRACE_KEY, DEFAULT_GRACE_DAYS, 0, 366)
            except Invalid:
                message = f"must be a whole number of days from 0 to 366, or off; got {grace!r}"
                raise Invalid.field(GRACE_KEY, message) from None
        return cls(days, _month_day(config.get(DEADLINE_KEY, "01-31")))

    def closes_on(self, period: Period) -> date | None:
        """The last day a realisation of `period` may be written, None without a window."""
        if self.grace_days is None:
            return None
        return period.ends_on + timedelta(days=self.grace_days)

    def skp_deadline_of(self, year: int, hired_on: date | None = None) -> date:
        """The day by which the SKP of `year` is to be set. Someone hired during the year
        gets as long from their first day as everyone gets from 1 January (the first SKP of
        a new CPNS or PPPK starts at their TMT, not in January)."""
        month, day = self.skp_deadline
        deadline = date(year, month, day)
        if hired_on is not None and hired_on.year == year:
            deadline = max(deadline, hired_on + (deadline - date(year, 1, 1)))
        return deadline


def _month_day(value: object) -> tuple[int, int]:
    """`MM-DD` as (month, day); Invalid naming the key otherwise (29 February is refused:
    most years have none)."""
    text = value.strip() if isinstance(value, str) else ""
    parts = text.split("-")
    if len(parts) == 2 and all(len(p) == 2 and p.isdecimal() for p in parts):
        try:
            date(2001, int(parts[0]), int(parts[1]))
        except ValueError:
            pass
        else:
            return int(parts[0]), int(parts[1])
    raise Invalid.field(
        DEADLINE_KEY, f"must be a month and day MM-DD, such as 01-31; got {value!r}"
    )


def today_in_western_indonesia() -> date:
    """Today in western Indonesia (UTC+7): a day has not ended anywhere in Indonesia until
    it has ended there."""
    return datetime.now(WIB).date()


@dataclass(frozen=True)
class Standing:
    """Whether a period's evidence may change now. `closes_on` is the window's last day
    (None: no window); `reopened_until` the last day of the latest reopening still running
    that covers the employee and the period; `refusal` says why not (None: it may change),
    and `reason` the same for a page to translate."""

    closes_on: date | None
    reopened_until: date | None
    refusal: str | None
    reason: Reason | None = None

    @property
    def open(self) -> bool:
        return self.refusal is None

    @property
    def open_until(self) -> date | None:
        """The last day writes are accepted, when open (None: no end)."""
        if self.closes_on is None:
            return None
        return max(self.closes_on, self.reopened_until or self.closes_on)


def evidence_standing(
    session: Session, employee_id: int, period: Period, settings: WindowSettings
) -> Standing:
    """Decide whether the realisations of `period` of the employee may still be written."""
    today = today_in_western_indonesia()
    reopened = _reopened(session, employee_id, settings, today)
    evaluated = performance_repo.evaluated_in(session, employee_id, period.enclosing())
    return _decide(period, settings, today, reopened(period), evaluated)


def _reopened(
    session: Session, employee_id: int, settings: WindowSettings, today: date
) -> Callable[[Period], date | None]:
    """The last day of the reopening still running for the employee that covers a period
    (None without a window: nothing is closed, so nothing needs reopening). A reopening
    limited to a period covers it and the periods within it (`Period.enclosing`)."""
    if settings.grace_days is None:
        return lambda _period: None
    found = repo.running(session, employee_id, today)

    def until(period: Period) -> date | None:
        held = period.enclosing()
        return max((day for day, only in found if only is None or only in held), default=None)

    return until


def _decide(
    period: Period,
    settings: WindowSettings,
    today: date,
    reopened: date | None,
    evaluated: str | None,
) -> Standing:
    """The standing of `period` given the reopening still running and the evaluated period
    holding it, if any (the freeze first, then the window)."""
    closes = settings.closes_on(period)
    if evaluated:
        refusal = (
            f"the evaluation of {evaluated} is given: the evidence behind it is frozen, so no "
            f"realisation of {period.code} is added now; an objection to the evaluation can "
            "bring new evidence"
        )
        values = {"evaluated": evaluated, "period": period.code}
        return Standing(closes, reopened, refusal, Reason(ReasonId.EVIDENCE_FROZEN, values))
    if closes is None or today <= closes or (reopened is not None and today <= reopened):
        return Standing(closes, reopened, None)
    refusal = (
        f"the window for realisations of {period.code} closed on {closes.isoformat()} "
        f"({settings.grace_days} days after the period ended); hr can reopen it"
    )
    values = {"period": period.code, "closed_on": closes, "days": settings.grace_days}
    return Standing(closes, reopened, refusal, Reason(ReasonId.WINDOW_CLOSED, values))


def check_evidence_open(
    session: Session, employee_id: int, period: Period, settings: WindowSettings
) -> Standing:
    """Return the standing of `period`'s evidence, or raise Conflict saying why it is shut."""
    standing = evidence_standing(session, employee_id, period, settings)
    if standing.refusal is not None:
        raise Conflict(standing.refusal, reason=standing.reason)
    return standing


def period_standings(
    session: Session, employee_id: int, year: int, settings: WindowSettings
) -> list[tuple[Period, Standing]]:
    """The periods of `year` that have started (months, quarters, the year) with their
    standing: what a realisation form may offer, and until when."""
    kinds = ((PeriodKind.MONTH, 12), (PeriodKind.QUARTER, 4), (PeriodKind.YEAR, 1))
    started = [
        period
        for kind, count in kinds
        for index in range(1, count + 1)
        if not_started(period := Period.of(kind, year, index)) is None
    ]
    today = today_in_western_indonesia()
    reopened = _reopened(session, employee_id, settings, today)
    codes = [p.code for p in started]
    evaluated = performance_repo.evaluated_periods(session, employee_id, codes)
    return [
        (
            p,
            _decide(
                p, settings, today, reopened(p), min(set(p.enclosing()) & evaluated, default=None)
            ),
        )
        for p in started
    ]


def skp_is_late(
    year: int,
    status: SkpStatus,
    approved_at: datetime | None,
    settings: WindowSettings,
    hired_on: date | None = None,
) -> bool:
    """Whether an SKP of `year` was set after its deadline (from the hire date for someone
    hired that year), or is still not set when the deadline has passed. A cancelled plan is
    never late, nor a set one whose moment of setting is unknown (written before the
    service recorded it, or loaded from elsewhere)."""
    deadline = settings.skp_deadline_of(year, hired_on)
    if status is SkpStatus.DIBATALKAN:
        return False
    if status is SkpStatus.DITETAPKAN:
        return approved_at is not None and as_utc(approved_at).astimezone(WIB).date() > deadline
    return today_in_western_indonesia() > deadline
