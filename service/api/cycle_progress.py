"""Cycle progress of a unit (hr, admin): how far its employees are in the year's SKP,
realisations and evaluations, unit by unit (e-Kinerja's *monitoring pengisian*)."""

from __future__ import annotations

from typing import Any

from service.api import bp
from service.api.http import UNIT_ID
from service.api.http import run
from service.api.openapi import responses
from service.api.openapi import spec
from service.api.schemas.cycle_progress import CycleProgressOut
from service.api.schemas.cycle_progress import ProgressQuery
from service.api.schemas.cycle_progress import cycle_progress_out
from service.api.window_reopenings import window_settings
from service.auth.decorators import allow
from service.domain.cycle_progress import cycle_progress
from service.domain.entities import Role

TAGS = ["units"]


@bp.get(f"/units/{UNIT_ID}/progress")
@allow(Role.ADMIN, Role.HR)
@spec.validate(resp=responses(HTTP_200=CycleProgressOut), tags=TAGS)
def get_cycle_progress(unit_id: int, query: ProgressQuery) -> Any:
    """Counts of the unit's active employees (and of each unit below it, one page of units,
    depth first): by their furthest SKP of `year`, with a realisation per quarter that has
    started, evaluated per quarter and for the year, and with a late SKP. Counts only, no
    names."""
    settings = window_settings()
    found = run(cycle_progress, unit_id, query.year, query.limit, query.offset, settings)
    return cycle_progress_out(found)
