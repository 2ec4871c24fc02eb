"""Employees: list and read per role, create and edit (admin, hr) with If-Match."""

from __future__ import annotations

from typing import Any

from flask import Response

from service.api import bp
from service.api.http import EMPLOYEE_ID
from service.api.http import etag
from service.api.http import if_match
from service.api.http import listing
from service.api.http import run
from service.api.idempotency import create
from service.api.openapi import responses
from service.api.openapi import spec
from service.api.schemas.common import IdempotencyHeader
from service.api.schemas.common import IfMatchHeader
from service.api.schemas.organisation import EmployeeIn
from service.api.schemas.organisation import EmployeeList
from service.api.schemas.organisation import EmployeeOut
from service.api.schemas.organisation import EmployeePatch
from service.api.schemas.organisation import EmployeeQuery
from service.auth import policy
from service.auth.decorators import allow
from service.auth.decorators import current_actor
from service.auth.policy import PEOPLE
from service.db import get_session
from service.db.repositories import organisation as repo
from service.domain.entities import Role
from service.domain.organisation import create_employee
from service.domain.organisation import read_employee
from service.domain.organisation import update_employee

TAGS = ["employees"]


@bp.get("/employees")
@allow(*PEOPLE)
@spec.validate(resp=responses(HTTP_200=EmployeeList), tags=TAGS)
def get_employees(query: EmployeeQuery) -> Any:
    """List the employees you see (admin all, hr its units, supervisors their teams, self)."""
    scope = policy.employee_scope(current_actor())
    page = repo.list_employees(
        get_session(),
        scope,
        query.limit,
        query.offset,
        unit_id=query.unit_id,
        supervisor_id=query.supervisor_id,
    )
    return listing(EmployeeList, page, EmployeeOut.model_validate)


@bp.post("/employees")
@allow(Role.ADMIN, Role.HR)
@spec.validate(
    headers=IdempotencyHeader, resp=responses(errors=(409,), HTTP_201=EmployeeOut), tags=TAGS
)
def post_employee(json: EmployeeIn) -> Response:
    """Add an employee; the NIP must be 18 digits with a valid birth date and gender digit."""
    fields = json.model_dump()
    return create(lambda s, a: EmployeeOut.model_validate(create_employee(s, a, **fields)))


@bp.get(f"/employees/{EMPLOYEE_ID}")
@allow(*PEOPLE)
@spec.validate(resp=responses(HTTP_200=EmployeeOut), tags=TAGS)
def get_employee(employee_id: int) -> Any:
    """Return one employee with its ETag."""
    employee = run(read_employee, employee_id)
    return EmployeeOut.model_validate(employee), 200, etag(employee.version)


@bp.patch(f"/employees/{EMPLOYEE_ID}")
@allow(Role.ADMIN, Role.HR, Role.SUPERVISOR, Role.EMPLOYEE)
@spec.validate(
    headers=IfMatchHeader,
    resp=responses(errors=(409, 412, 428), HTTP_200=EmployeeOut),
    tags=TAGS,
)
def patch_employee(employee_id: int, json: EmployeePatch) -> Any:
    """Change an employee (admin, hr); needs If-Match, answers with the new ETag."""
    changes = json.model_dump(exclude_unset=True)
    employee = run(update_employee, employee_id, if_match(), changes)
    return EmployeeOut.model_validate(employee), 200, etag(employee.version)
