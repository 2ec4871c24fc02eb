"""The realisation window: its settings, and hr reopening it for one employee or one unit.

POST /employees/{id}/window-reopenings and POST /units/{id}/window-reopenings: hr over the
employee's or the unit's unit, or admin, reopens the window until a day with a reason (201),
for every closed period or, with `period`, for that period and the periods within it.
GET of the same paths lists the reopenings covering the employee (their own and their
units'), or those of the unit's subtree and its employees, the latest first.
"""

from __future__ import annotations

from typing import Any

from flask import Response

from service.api import bp
from service.api.http import EMPLOYEE_ID
from service.api.http import UNIT_ID
from service.api.http import app_setting
from service.api.http import listing
from service.api.http import run
from service.api.idempotency import create
from service.api.openapi import responses
from service.api.openapi import spec
from service.api.schemas.common import IdempotencyHeader
from service.api.schemas.common import PageQuery
from service.api.schemas.window_reopenings import WindowReopeningIn
from service.api.schemas.window_reopenings import WindowReopeningList
from service.api.schemas.window_reopenings import WindowReopeningOut
from service.auth.decorators import allow
from service.auth.policy import PEOPLE
from service.domain.entities import Role
from service.domain.entry_windows import WindowSettings
from service.domain.window_reopenings import list_for_employee
from service.domain.window_reopenings import list_for_unit
from service.domain.window_reopenings import reopen_for_employee
from service.domain.window_reopenings import reopen_for_unit

TAGS = ["skp"]


def window_settings() -> WindowSettings:
    """The app's realisation window and SKP deadline, parsed once from its config."""
    return app_setting("window_settings", WindowSettings.from_mapping)


@bp.post(f"/employees/{EMPLOYEE_ID}/window-reopenings")
@allow(*PEOPLE)
@spec.validate(headers=IdempotencyHeader, resp=responses(HTTP_201=WindowReopeningOut), tags=TAGS)
def post_employee_reopening(employee_id: int, json: WindowReopeningIn) -> Response:
    """Reopen the employee's realisation window until a day, with the reason (hr, admin)."""
    return create(
        lambda s, a: WindowReopeningOut.model_validate(
            reopen_for_employee(s, a, employee_id, json.until, json.reason, json.period)
        )
    )


@bp.get(f"/employees/{EMPLOYEE_ID}/window-reopenings")
@allow(*PEOPLE)
@spec.validate(resp=responses(HTTP_200=WindowReopeningList), tags=TAGS)
def get_employee_reopenings(employee_id: int, query: PageQuery) -> Any:
    """The reopenings covering the employee: their own and their units' (hr, admin)."""
    page = run(list_for_employee, employee_id, query.limit, query.offset)
    return listing(WindowReopeningList, page, WindowReopeningOut.model_validate)


@bp.post(f"/units/{UNIT_ID}/window-reopenings")
@allow(Role.ADMIN, Role.HR)
@spec.validate(headers=IdempotencyHeader, resp=responses(HTTP_201=WindowReopeningOut), tags=TAGS)
def post_unit_reopening(unit_id: int, json: WindowReopeningIn) -> Response:
    """Reopen the realisation window of the unit and the units below it until a day, with
    the reason (hr over the unit, admin)."""
    return create(
        lambda s, a: WindowReopeningOut.model_validate(
            reopen_for_unit(s, a, unit_id, json.until, json.reason, json.period)
        )
    )


@bp.get(f"/units/{UNIT_ID}/window-reopenings")
@allow(Role.ADMIN, Role.HR)
@spec.validate(resp=responses(HTTP_200=WindowReopeningList), tags=TAGS)
def get_unit_reopenings(unit_id: int, query: PageQuery) -> Any:
    """The reopenings of the unit's subtree and of its employees (hr over it, admin)."""
    page = run(list_for_unit, unit_id, query.limit, query.offset)
    return listing(WindowReopeningList, page, WindowReopeningOut.model_validate)
