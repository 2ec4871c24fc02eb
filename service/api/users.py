"""POST /users: create a login with a role (admin only)."""

from __future__ import annotations

from flask import Response
from sqlalchemy.orm import Session

from service.api import bp
from service.api.idempotency import create
from service.api.openapi import responses
from service.api.openapi import spec
from service.api.schemas.common import IdempotencyHeader
from service.api.schemas.organisation import UserIn
from service.api.schemas.organisation import UserOut
from service.auth.decorators import allow
from service.domain.audit import Actor
from service.domain.audit import AuditAction
from service.domain.audit import record
from service.domain.entities import Role
from service.domain.users import create_user


@bp.post("/users")
@allow(Role.ADMIN)
@spec.validate(
    headers=IdempotencyHeader,
    resp=responses(errors=(409,), HTTP_201=UserOut),
    tags=["users"],
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
