"""Reopenings of the realisation window for one employee or one unit."""

from __future__ import annotations

from datetime import date

from pydantic import Field

from service.api.schemas.common import LongText
from service.api.schemas.common import Model
from service.api.schemas.common import Moment
from service.api.schemas.common import Out
from service.api.schemas.common import PeriodCode
from service.api.schemas.common import listing


class WindowReopeningIn(Model):
    until: date = Field(description="the last day realisations may be written: today to a year on")
    reason: LongText = Field(description="why the closed window is reopened (audited, listed)")
    period: PeriodCode | None = Field(
        None,
        description="reopen only this period and the periods within it (a quarter's months, "
        "a year's quarters and months); absent or null: every closed period",
    )


class WindowReopeningOut(Out):
    id: int
    employee_id: int | None = Field(description="the employee reopened for, or null")
    unit_id: int | None = Field(description="the unit (and the units below it), or null")
    until: date
    reason: str
    period: str | None = Field(
        description="the one period reopened (with those within it), or null: every period"
    )
    granted_by_user_id: int | None
    created_at: Moment


WindowReopeningList = listing(WindowReopeningOut)
