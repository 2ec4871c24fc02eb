"""Reopening the realisation window (`entry_windows`) for one employee or one unit until a
day, with a reason: hr over the unit, or admin. Each reopening is kept (listed per employee
and per unit) and audited; it lets the employee and the rater write realisations of any
closed period of their plans until that day, or of one period (and the periods within it)
when it names one, but not behind a given evaluation (its evidence stays frozen). Listing
a unit's reopenings is a read of the employees they name: one audit row each."""

from __future__ import annotations

from datetime import date
from datetime import timedelta

from sqlalchemy.orm import Session

from service.auth import policy
from service.db.models import WindowReopening
from service.db.repositories import Page
from service.db.repositories import window_reopenings as repo
from service.domain.audit import Actor
from service.domain.audit import AuditAction
from service.domain.audit import record
from service.domain.audit import record_read
from service.domain.audit import record_reads
from service.domain.entry_windows import today_in_western_indonesia
from service.domain.errors import Invalid
from service.domain.periods import ensure_started
from service.domain.periods import parse_period

RESOURCE = "window_reopening"
#: How far ahead a reopening may run: a late correction, not a second window.
LONGEST = timedelta(days=366)


def reopen_for_employee(
    session: Session,
    actor: Actor,
    employee_id: int,
    until: date,
    reason: str,
    period: str | None = None,
) -> WindowReopening:
    """Reopen the window of one employee until `until` (hr over their unit, or admin), for
    every period or for `period` only."""
    policy.managed_employee(session, actor, employee_id)
    reopening = _add(session, actor, until, reason, period, employee_id=employee_id)
    record(session, actor, AuditAction.CREATE, RESOURCE, employee_id=employee_id,
           resource_id=reopening.id)  # fmt: skip
    return reopening


def reopen_for_unit(
    session: Session,
    actor: Actor,
    unit_id: int,
    until: date,
    reason: str,
    period: str | None = None,
) -> WindowReopening:
    """Reopen the window of a unit and the units below it until `until` (hr over it, admin),
    for every period or for `period` only."""
    policy.managed_unit(session, actor, unit_id)
    reopening = _add(session, actor, until, reason, period, unit_id=unit_id)
    record(session, actor, AuditAction.CREATE, RESOURCE, resource_id=reopening.id)
    return reopening


def list_for_employee(
    session: Session, actor: Actor, employee_id: int, limit: int, offset: int
) -> Page[WindowReopening]:
    """The reopenings covering the employee: their own and their units'."""
    policy.managed_employee(session, actor, employee_id)
    record_read(session, actor, RESOURCE, employee_id)
    return repo.of_employee(session, employee_id, limit, offset)


def list_for_unit(
    session: Session, actor: Actor, unit_id: int, limit: int, offset: int
) -> Page[WindowReopening]:
    """The reopenings of the unit's subtree and of its employees; the employees the page
    names are read (one audit row each, as any list of people does)."""
    policy.managed_unit(session, actor, unit_id)
    page = repo.of_unit(session, unit_id, limit, offset)
    named = {item.employee_id for item in page.items if item.employee_id is not None}
    record_reads(session, actor, RESOURCE, sorted(named))
    return page


def _add(
    session: Session, actor: Actor, until: date, reason: str, period: str | None, **scope: int
) -> WindowReopening:
    today = today_in_western_indonesia()
    only = None if period is None else _period(period)
    if not today <= until <= today + LONGEST:
        raise Invalid.field(
            "until", f"must be a day from today ({today}) to {today + LONGEST}; got {until}"
        )
    if not reason.strip():
        raise Invalid.field("reason", "say why the window is reopened")
    reopening = WindowReopening(
        until=until,
        reason=reason.strip(),
        granted_by_user_id=actor.user_id,
        period=only,
        **scope,
    )
    session.add(reopening)
    session.flush()
    return reopening


def _period(code: str) -> str:
    """The code of the one period to reopen: a period that has started (one to come has no
    window to reopen); Invalid naming `period` otherwise."""
    return ensure_started(parse_period(code)).code
