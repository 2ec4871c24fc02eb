"""The cycle progress of a unit: SKP states, realised and evaluated periods, unit by unit."""

from __future__ import annotations

from pydantic import Field

from service.api.schemas.common import Out
from service.api.schemas.common import PageQuery
from service.domain.cycle_progress import CycleProgress
from service.domain.cycle_progress import Progress
from service.domain.cycle_progress import UnitProgress
from service.domain.periods import YEAR_MAX
from service.domain.periods import YEAR_MIN


class ProgressQuery(PageQuery):
    """`?year=` and the page of units (`limit`, `offset`)."""

    year: int = Field(ge=YEAR_MIN, le=YEAR_MAX)


class ProgressOut(Out):
    employees: int = Field(description="active employees")
    plans: dict[str, int] = Field(
        description="employees by their furthest SKP of the year: none (or cancelled), "
        "draft, diajukan, ditetapkan"
    )
    realised: dict[str, int] = Field(
        description="per quarter that has started: employees with a realisation recorded"
    )
    evaluated: dict[str, int] = Field(
        description="per quarter that has started, and the year: employees evaluated"
    )
    late: int = Field(
        description="employees with a late SKP of the year: set after KINERJA_SKP_DEADLINE "
        "(default 31 January), or still not set when it has passed"
    )


class UnitProgressOut(Out):
    unit_id: int
    name: str
    parent_id: int | None
    depth: int = Field(description="0 for the unit asked for, 1 for its children, ...")
    progress: ProgressOut = Field(description="the unit's own employees (not those below)")


class CycleProgressOut(Out):
    unit_id: int
    year: int
    quarters: list[str]
    periods: list[str]
    total: ProgressOut = Field(description="the unit and every unit below it")
    items: list[UnitProgressOut] = Field(description="one page of units, depth first")
    total_units: int


def cycle_progress_out(found: CycleProgress) -> CycleProgressOut:
    return CycleProgressOut(
        unit_id=found.unit_id,
        year=found.year,
        quarters=found.quarters,
        periods=found.periods,
        total=_progress_out(found.total),
        items=[_unit_out(row) for row in found.units],
        total_units=found.unit_count,
    )


def _unit_out(row: UnitProgress) -> UnitProgressOut:
    return UnitProgressOut(
        unit_id=row.unit_id,
        name=row.name,
        parent_id=row.parent_id,
        depth=row.depth,
        progress=_progress_out(row.progress),
    )


def _progress_out(progress: Progress) -> ProgressOut:
    return ProgressOut.model_validate(progress)
