"""Calibration closings of a unit and period: the distribution at closing beside now."""

from __future__ import annotations

from pydantic import Field

from service.api.schemas.common import LongText
from service.api.schemas.common import Model
from service.api.schemas.common import Moment
from service.api.schemas.common import Out
from service.api.schemas.common import PageQuery
from service.api.schemas.common import PeriodCode
from service.api.schemas.common import listing
from service.api.schemas.performance import DistributionWarningOut
from service.domain.calibration_closings import ClosingView
from service.domain.calibration_closings import CountedOver
from service.domain.entities import OrganisationGrade
from service.domain.entities import Predikat


class ClosingIn(Model):
    period: PeriodCode
    note: LongText | None = Field(None, description="what the leaders settled, for the record")


class ReopenIn(Model):
    reason: LongText = Field(description="why the closed calibration is reopened (audited)")


class ClosingQuery(PageQuery):
    period: PeriodCode | None = None


class DistributionOut(Out):
    size: int
    counts: dict[Predikat, int]


class SnapshotOut(DistributionOut):
    grade: OrganisationGrade | None = Field(description="the unit's grade then, if any")
    warnings: list[DistributionWarningOut] = Field(
        description="the distribution warnings of that grade then (its graded population)"
    )


class FirstGivenOut(DistributionOut):
    before_kept: int = Field(
        description="how many of these evaluations were changed before revisions were kept "
        "(migration 0023): counted with their oldest kept version, not their first"
    )


class ChangeOut(Out):
    """A predikat changed while the closing stood: only by an upheld objection."""

    objection_id: int
    evaluation_id: int
    employee_id: int
    predikat_before: Predikat
    predikat_after: Predikat
    changed_at: Moment


class ClosingOut(Out):
    id: int
    unit_id: int
    period: str
    standing: bool = Field(description="true until reopened: evaluation writes are refused")
    note: str | None
    closed_by_user_id: int | None
    closed_by: str | None
    closed_at: Moment
    reopened_by_user_id: int | None
    reopened_by: str | None
    reopened_at: Moment | None
    reopen_reason: str | None
    at_closing: SnapshotOut
    now: DistributionOut
    first_given: FirstGivenOut = Field(
        description="the covered population's predikat as the raters first gave them: each "
        "evaluation's oldest revision, else its current values"
    )
    counted_over: CountedOver = Field(
        description="whose evaluations `now` and `first_given` count: `people_at_closing`, "
        "the employees in the unit and the units below it at closing (kept with the closing; "
        "a transfer since changes neither), or `units_today`, whoever sits there now (a "
        "closing made before the people were kept: a transfer since changes both)"
    )
    changes: list[ChangeOut]
    #: True when counts and changes are left out: the data team sees populations of at
    #: least `policy.SMALL_GROUP` evaluated employees, and no changes (they name people).
    withheld: bool = False


ClosingList = listing(ClosingOut)


def closing_out(view: ClosingView) -> ClosingOut:
    """Serialize a closing with its snapshot, the counts now and the changes."""
    row, snapshot = view.closing, view.closing.snapshot
    counts = {} if view.withheld else snapshot["counts"]
    return ClosingOut(
        id=row.id,
        unit_id=row.unit_id,
        period=row.period,
        standing=view.standing,
        note=row.note,
        closed_by_user_id=row.closed_by_user_id,
        closed_by=view.closed_by,
        closed_at=row.closed_at,
        reopened_by_user_id=row.reopened_by_user_id,
        reopened_by=view.reopened_by,
        reopened_at=row.reopened_at,
        reopen_reason=row.reopen_reason,
        at_closing=SnapshotOut(
            size=snapshot["size"],
            counts=counts,
            grade=snapshot["grade"],
            warnings=[] if view.withheld else snapshot["warnings"],
        ),
        now=DistributionOut(size=sum(view.now.values()), counts=view.now),
        first_given=FirstGivenOut(
            size=sum(view.first_given.values()),
            counts=view.first_given,
            before_kept=view.before_kept,
        ),
        counted_over=view.counted_over,
        changes=[ChangeOut.model_validate(change) for change in view.changes],
        withheld=view.withheld,
    )
