"""Closing (locking) the calibration of a unit for a period, and reopening it with a reason.

Once the leaders have settled the predikat of a unit's employees for a period, hr over the
unit (or admin) closes its calibration (peers.md 7.10 and 9: a locked, audited result). The
closing keeps who closed it, when, an optional note, and a snapshot of the distribution at
that moment: the predikat counts of the covered population, the unit's organisation grade
if it has one, and the distribution warnings of that grade then.

What a closing covers: the evaluations of exactly that period of the employees of the unit
and of every unit below it. A sub-unit's own closing is independent of it: an evaluation is
locked while ANY standing closing of its period covers its employee's unit (at or above it),
and a refusal names the nearest one. So reopening a unit leaves a sub-unit closed by its own
closing locked, and reopening the sub-unit leaves it locked while the unit's closing stands.
The population is the employees who sit in the unit and the units below it at closing: the
snapshot keeps their ids (`employee_ids`), and the counts now and as first given are of
exactly those people's evaluations, so a transfer after the closing changes neither (the
lock itself follows where people sit now). A closing made before the ids were kept has
none, and its counts are of whoever sits in the units now, as before; `counted_over` says
which (`CountedOver`).

`calibration_lock.check_open` is the one place that decides whether an evaluation may be
written under a closing (and `check_grade_open` whether a unit's organisation grade may be
set or corrected): recording and correcting an evaluation (API and pages: `domain.evaluations`) and
the file import (`import_lookup.Known.closed`, refusing the whole file and naming the rows)
call it or its data. The one exception is the regulation's remedy: an upheld objection
(*keberatan*, filed after the evaluation is set, PermenPANRB 6/2022) still changes the
ratings and predikat, since closing a calibration cannot take away an employee's legal
remedy; the change is recorded against the closing (`record_change`) and shown with it.

Reopening is an audited act with a mandatory reason; the row is kept (reopened by, at,
why) and a later closing is a new row: one standing closing per unit and period (409).

The view shows three distributions of the covered population: as the raters first gave
it, at closing (the snapshot) and now. First given is each evaluation's oldest revision
(`evaluation_revisions`: a correction or an upheld objection keeps the version it replaces),
else its current row. Revisions are kept since migration 0023 (`revision_terms.KEPT_SINCE`):
an evaluation changed before then counts with its oldest kept version, and the view says
how many those are (`before_kept`) rather than pass them off as first given.
"""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field
from datetime import UTC
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from service.auth import policy
from service.db.models import CalibrationChange
from service.db.models import CalibrationClosing
from service.db.models import Evaluation
from service.db.models import Objection
from service.db.repositories import Page
from service.db.repositories import access as access_repo
from service.db.repositories import calibration_closings as repo
from service.db.repositories import evaluation_revisions as revisions_repo
from service.db.repositories.calibration_closings import Covered
from service.db.repositories.organisation import unit_subtree_ids
from service.domain.audit import Actor
from service.domain.audit import AuditAction
from service.domain.audit import record
from service.domain.audit import record_reads
from service.domain.entities import Predikat
from service.domain.errors import Conflict
from service.domain.errors import Invalid
from service.domain.errors import NotFound
from service.domain.evaluation_input import ensure_period
from service.domain.evaluation_input import text_problem
from service.domain.periods import ensure_started
from service.domain.periods import parse_period
from service.domain.settings import RuleSettings
from service.domain.unit_grades import unit_grade_report

RESOURCE = "calibration_closing"
NOTE_MAX_CHARS = 5000


class CountedOver(StrEnum):
    """Whose evaluations a closing's counts now and as first given are of."""

    #: The people in its units at closing, kept in its snapshot: transfers since change nothing.
    PEOPLE_AT_CLOSING = "people_at_closing"
    #: Whoever sits in its units today: a closing made before the people were kept.
    UNITS_TODAY = "units_today"


@dataclass(frozen=True)
class ClosingView:
    """A closing with its names, the counts now beside the snapshot's, and the changes
    recorded against it. `withheld`: counts and changes are left out (the data team, a
    population under `policy.SMALL_GROUP`)."""

    closing: CalibrationClosing
    closed_by: str | None
    reopened_by: str | None
    now: dict[Predikat, int]
    changes: list[CalibrationChange]
    withheld: bool = False
    #: The predikat as the raters first gave them (`first_given_counts`), and how many of
    #: those evaluations were changed before revisions were kept (their first is unknown).
    first_given: dict[Predikat, int] = field(default_factory=dict)
    before_kept: int = 0

    @property
    def standing(self) -> bool:
        return self.closing.reopened_at is None

    @property
    def counted_over(self) -> CountedOver:
        """Whose evaluations `now` and `first_given` are of (see `_covered`)."""
        if "employee_ids" in self.closing.snapshot:
            return CountedOver.PEOPLE_AT_CLOSING
        return CountedOver.UNITS_TODAY


def close_calibration(
    session: Session,
    actor: Actor,
    unit_id: int,
    period: str,
    note: str | None,
    settings: RuleSettings,
) -> ClosingView:
    """Close the calibration of the unit (and the units below it) for a period that has
    started, keeping the distribution as it stands (hr over the unit, admin; 409 when a
    closing of the unit and period stands)."""
    parsed = parse_period(period)
    policy.managed_unit(session, actor, unit_id)
    ensure_started(parsed)
    note = _text("note", note)
    if repo.standing(session, unit_id, parsed.code) is not None:
        raise Conflict(f"the calibration of unit {unit_id} for {parsed.code} is closed already")
    ensure_period(session, parsed)
    closing = CalibrationClosing(
        unit_id=unit_id,
        period=parsed.code,
        note=note,
        snapshot=_snapshot(session, actor, unit_id, parsed.code, settings),
        closed_by_user_id=actor.user_id,
    )
    session.add(closing)
    try:
        session.flush()
    except IntegrityError:  # closed at the same moment by another request
        session.rollback()
        raise Conflict(
            f"the calibration of unit {unit_id} for {parsed.code} is closed already"
        ) from None
    record(session, actor, AuditAction.CREATE, RESOURCE, resource_id=closing.id)
    return _view(session, actor, closing)


def reopen_calibration(
    session: Session, actor: Actor, unit_id: int, closing_id: int, reason: str
) -> ClosingView:
    """Reopen a standing closing with the reason (hr over the unit, admin; 409 when it was
    reopened already). The row stays: who reopened it, when and why."""
    policy.managed_unit(session, actor, unit_id)
    closing = _closing(session, unit_id, closing_id)
    reason = _text("reason", reason)
    if reason is None:
        raise Invalid.field("reason", "say why the closed calibration is reopened")
    if not repo.reopen(session, closing.id, actor.user_id, datetime.now(UTC), reason):
        raise Conflict(f"calibration closing {closing_id} was reopened already")
    session.refresh(closing)
    record(session, actor, AuditAction.UPDATE, RESOURCE, resource_id=closing.id)
    return _view(session, actor, closing)


def list_closings(
    session: Session, actor: Actor, unit_id: int, period: str | None, limit: int, offset: int
) -> Page[ClosingView]:
    """The unit's closings (of one period, when given), the latest first, each with the
    counts now (admin, hr over the unit; the data team without small counts or changes)."""
    code = None if period is None else parse_period(period).code
    policy.visible_unit(session, actor, unit_id)
    page = repo.of_unit(session, unit_id, code, limit, offset)
    return Page([_view(session, actor, closing) for closing in page.items], page.total)


def record_change(
    session: Session, objection: Objection, evaluation: Evaluation, before: Predikat
) -> CalibrationChange | None:
    """Record an upheld objection's change of an evaluation against the standing closing
    that covers it, if any (the legal remedy passes the lock, visibly)."""
    found = repo.covering(session, evaluation.employee_id, evaluation.period)
    if found is None:
        return None
    change = CalibrationChange(
        closing_id=found.id,
        objection_id=objection.id,
        evaluation_id=evaluation.id,
        employee_id=evaluation.employee_id,
        predikat_before=before,
        predikat_after=evaluation.predikat,
    )
    session.add(change)
    return change


def _closing(session: Session, unit_id: int, closing_id: int) -> CalibrationClosing:
    closing = repo.get(session, unit_id, closing_id)
    if closing is None:
        raise NotFound(f"unit {unit_id} has no calibration closing {closing_id}")
    return closing


def _text(name: str, value: str | None) -> str | None:
    """Free text as stored (stripped, None when empty); Invalid when unstorable."""
    if value is None:
        return None
    if problem := text_problem(value, NOTE_MAX_CHARS):
        raise Invalid.field(name, problem)
    return value.strip() or None


def _units(session: Session, unit_id: int) -> list[int]:
    """The unit and the units below it: whose employees a closing covers."""
    return list(session.scalars(unit_subtree_ids(unit_id)))


def _covered(session: Session, closing: CalibrationClosing) -> Covered:
    """The people the closing counts: those kept in its snapshot, else (a closing made
    before they were kept) whoever sits in its units now."""
    ids = closing.snapshot.get("employee_ids")
    if ids is not None:
        return Covered(list(ids))
    return Covered(None, _units(session, closing.unit_id))


def _counts(session: Session, covered: Covered, period: str) -> dict[Predikat, int]:
    """The predikat counts of the covered people's evaluations."""
    return _every_predikat(repo.predikat_counts(session, covered, period))


def _first_given(
    session: Session, covered: Covered, period: str
) -> tuple[dict[Predikat, int], int]:
    """`_counts` as the raters first gave them, and how many are not known to be first."""
    counts, before_kept = revisions_repo.first_given_counts(session, covered, period)
    return _every_predikat(counts), before_kept


def _every_predikat(counts: dict[Predikat, int]) -> dict[Predikat, int]:
    return {predikat: counts.get(predikat, 0) for predikat in Predikat}


def _snapshot(
    session: Session, actor: Actor, unit_id: int, period: str, settings: RuleSettings
) -> dict[str, Any]:
    """The distribution at closing: the covered people (the ids of the employees in the unit
    and the units below it) and their counts, the unit's grade and its warnings as
    `GET /units/{id}/grades/{period}` gives them then (None: no grade)."""
    covered = Covered(repo.employees_in(session, _units(session, unit_id)))
    counts = _counts(session, covered, period)
    try:
        grade = unit_grade_report(session, actor, unit_id, period, settings)
    except NotFound:
        grade = None
    return {
        "size": sum(counts.values()),
        "counts": {predikat.value: count for predikat, count in counts.items()},
        "grade": None if grade is None else grade.grade.grade.value,
        "warnings": [] if grade is None else [w.__dict__ for w in grade.warnings],
        "employee_ids": covered.employee_ids,
    }


def _view(session: Session, actor: Actor, closing: CalibrationClosing) -> ClosingView:
    covered = _covered(session, closing)
    now = _counts(session, covered, closing.period)
    size = max(int(closing.snapshot.get("size", 0)), sum(now.values()))
    closed_by = reopened_by = None
    changes: list[CalibrationChange] = []
    if actor.role not in policy.PERSONAL_DATA_ROLES:  # the data team: counts only, no people
        if not policy.shows_group(actor, size):
            return ClosingView(closing, None, None, {}, [], withheld=True)
    else:
        names = access_repo.usernames(
            session, [closing.closed_by_user_id, closing.reopened_by_user_id]
        )
        closed_by = names.get(closing.closed_by_user_id or 0)
        reopened_by = names.get(closing.reopened_by_user_id or 0)
        changes = repo.changes_of(session, [closing.id])
        record_reads(session, actor, "evaluation", sorted({c.employee_id for c in changes}))
    first, before_kept = _first_given(session, covered, closing.period)
    return ClosingView(closing, closed_by, reopened_by, now, changes, False, first, before_kept)
