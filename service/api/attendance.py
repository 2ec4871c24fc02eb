"""Monthly attendance of an employee (admin and hr record it)."""

from __future__ import annotations

from typing import Any

from flask import Response

from service.api import bp
from service.api.http import EMPLOYEE_ID
from service.api.http import listing
from service.api.http import run
from service.api.idempotency import create
from service.api.openapi import responses
from service.api.openapi import spec
from service.api.schemas.common import IdempotencyHeader
from service.api.schemas.common import PageQuery
from service.api.schemas.development import AttendanceIn
from service.api.schemas.development import AttendanceList
from service.api.schemas.development import AttendanceOut
from service.auth.decorators import allow
from service.auth.policy import PEOPLE
from service.domain.records import list_attendance
from service.domain.records import record_attendance

TAGS = ["attendance"]


@bp.post(f"/employees/{EMPLOYEE_ID}/attendance")
@allow(*PEOPLE)
@spec.validate(
    headers=IdempotencyHeader, resp=responses(errors=(409,), HTTP_201=AttendanceOut), tags=TAGS
)
def post_attendance(employee_id: int, json: AttendanceIn) -> Response:
    """Record one month: work days, days present, days late."""
    fields = json.model_dump()
    return create(
        lambda s, a: AttendanceOut.model_validate(record_attendance(s, a, employee_id, **fields))
    )


@bp.get(f"/employees/{EMPLOYEE_ID}/attendance")
@allow(*PEOPLE)
@spec.validate(resp=responses(HTTP_200=AttendanceList), tags=TAGS)
def get_attendance(employee_id: int, query: PageQuery) -> Any:
    """List an employee's monthly attendance."""
    page = run(list_attendance, employee_id, query.limit, query.offset)
    return listing(AttendanceList, page, AttendanceOut.model_validate)
