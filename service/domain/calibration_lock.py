"""What a standing calibration closing locks, and the refusal that names it.

A closing (`calibration_closings`) locks, for its period, the evaluations of the employees
of its unit and of every unit below it, and the organisation grades of those units: the
grade is half of the calibrated result (the distribution check reads it, and the closing's
snapshot keeps it), so correcting it after the closing would change the result as much as
a rating would. An evaluation and a grade are both refused with 409 naming the nearest
standing closing (who closed it, when) until hr reopens it with a reason; the one way past
it is the regulation's remedy, an upheld objection (`calibration_closings.record_change`).

Kept apart from the closing's use cases so that the use cases it guards (evaluations,
unit grades) can call it without importing them.
"""

from __future__ import annotations

from collections.abc import Collection
from collections.abc import Sequence
from datetime import UTC
from typing import Any

from sqlalchemy.orm import Session

from service.db.repositories import calibration_closings as repo
from service.domain.errors import Conflict
from service.domain.errors import Reason
from service.domain.errors import ReasonId

#: What a closing locks, as its refusal says it.
PREDIKAT_LOCKED = (
    "its predikat change now only by an upheld objection; hr over the unit can reopen it "
    "with a reason"
)
GRADE_LOCKED = "its organisation grades are locked until hr over the unit reopens it with a reason"
PREDIKAT_REASON, GRADE_REASON = ReasonId.CALIBRATION_CLOSED, ReasonId.CALIBRATION_GRADE_CLOSED


class Closed(Conflict):
    """A write refused under a standing closing (409), naming it: in English for the API,
    and as a `Reason` the pages say in the user's language (`web.reasons`)."""

    def __init__(
        self, closing: Any, locked: str = PREDIKAT_LOCKED, shown: ReasonId = PREDIKAT_REASON
    ) -> None:
        values = {
            "unit": closing.unit_name,
            "period": closing.period,
            "who": closing.closed_by or "–",
            "when": closing.closed_at,
        }
        reason = Reason(shown, values)
        super().__init__(refusal(closing, locked), reason=reason)


def check_open(session: Session, employee_id: int, period: str) -> None:
    """Refuse (409, `Closed`) writing an evaluation of `period` for the employee while a
    closing of that period covers their unit, naming the nearest such closing. One probe
    when no closing of the period stands (the usual case)."""
    if not repo.any_standing(session, [period]):
        return
    found = repo.covering(session, employee_id, period)
    if found is not None:
        raise Closed(found)


def check_grade_open(session: Session, unit_id: int, period: str) -> None:
    """Refuse (409, `Closed`) setting or correcting the unit's organisation grade of
    `period` while a closing of that period covers the unit."""
    found = repo.covering_unit(session, unit_id, period)
    if found is not None:
        raise Closed(found, GRADE_LOCKED, GRADE_REASON)


def refusal(closing: Any, locked: str = PREDIKAT_LOCKED) -> str:
    """Why a write is refused under `closing` (a row of `repo.covering`): which, who, when,
    and what is `locked` (`PREDIKAT_LOCKED` or `GRADE_LOCKED`)."""
    when = closing.closed_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return (
        f"the calibration of {closing.unit_name} (unit {closing.unit_id}) for "
        f"{closing.period} was closed by {closing.closed_by or 'a removed user'} on {when} "
        f"(calibration closing {closing.id}): {locked}"
    )


def closings_over(
    session: Session, employee_ids: Collection[int], periods: Sequence[str]
) -> list[Any]:
    """The standing closings that lock an evaluation of one of `periods` for one of these
    employees, each once (the nearest over each of their units): what the team page says
    before a rater fills its form, rather than after refusing it. One probe when no
    closing of these periods stands."""
    if not employee_ids or not repo.any_standing(session, periods):
        return []
    found: dict[int, Any] = {}
    units = repo.units_of(session, employee_ids)
    for period in periods:
        for unit_id in units:
            closing = repo.covering_unit(session, unit_id, period)
            if closing is not None:
                found.setdefault(closing.id, closing)
    return list(found.values())
