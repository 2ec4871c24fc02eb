"""Logins (admin only): POST /users creates one with a role, GET /users lists them and
GET /users/{id} reads one; answers never carry the password hash."""

from __future__ import annotations

from typing import Any

from flask import Response
from sqlalchemy.orm import Session

from service.api import bp
from service.api.http import USER_ID
from service.api.http import listing
from service.api.idempotency import create
from service.api.openapi import responses
from service.api.openapi import spec
from service.api.schemas.common import IdempotencyHeader
from service.api.schemas.organisation import UserIn
from service.api.schemas.organisation import UserList
from service.api.schemas.organisation import UserOut
from service.api.schemas.organisation import UserQuery
from service.auth.decorators import allow
from service.db import get_session
from service.domain.audit import Actor
from service.domain.audit import AuditAction
from service.domain.audit import record
from service.domain.entities import Role
from service.domain.users import create_user
from service.domain.users import list_users
from service.domain.users import read_user

TAGS = ["users"]


@bp.post("/users")
@allow(Role.ADMIN)
@spec.validate(
    headers=IdempotencyHeader,
    resp=responses(errors=(409,), HTTP_201=UserOut),
    tags=TAGS,
)
def create_login(json: UserIn) -> Response:
    """Create a login (argon2id password hash) linked to an employee or to an HR unit."""

    def produce(session: Session, actor: Actor) -> UserOut:
        user = create_user(
            session, json.username, json.password, json.role, json.employee_id, json.unit_id
        )
        record(
            session,
            actor,
            AuditAction.CREATE,
            "user",
            employee_id=user.employee_id,
            resource_id=user.id,
        )
        return UserOut.model_validate(user)

    return create(produce)


@bp.get("/users")
@allow(Role.ADMIN)
@spec.validate(resp=responses(HTTP_200=UserList), tags=TAGS)
def get_users(query: UserQuery) -> Any:
    """List logins (optionally `?role=`), by id."""
    page = list_users(get_session(), query.limit, query.offset, query.role)
    return listing(UserList, page, UserOut.model_validate)


@bp.get(f"/users/{USER_ID}")
@allow(Role.ADMIN)
@spec.validate(resp=responses(HTTP_200=UserOut), tags=TAGS)
def get_user(user_id: int) -> Any:
    """Return one login."""
    return UserOut.model_validate(read_user(get_session(), user_id))
