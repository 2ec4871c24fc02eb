"""POST /auth/token (username and password -> bearer token), POST /auth/revoke, GET /auth/me."""

from __future__ import annotations

from flask import Response
from flask import current_app
from flask import request

from service.api import bp
from service.api.openapi import responses
from service.api.openapi import spec
from service.api.schemas.access import MeOut
from service.api.schemas.access import TokenIn
from service.api.schemas.access import TokenOut
from service.auth.decorators import allow
from service.auth.decorators import bearer_token
from service.auth.decorators import current_actor
from service.auth.decorators import public
from service.auth.decorators import token_cache
from service.auth.tokens import LoginLimits
from service.auth.tokens import issue_token
from service.auth.tokens import revoke
from service.db import get_session


@bp.post("/auth/token")
@public
@spec.validate(
    resp=responses(public=True, errors=(401, 429), HTTP_200=TokenOut),
    tags=["auth"],
    security={},
)
def create_token(json: TokenIn) -> TokenOut:
    """Exchange a username and password for an expiring bearer token.

    Failed logins are limited per account and per client address (429 with Retry-After).
    """
    config = current_app.config
    limits = LoginLimits(
        window_seconds=config["LOGIN_WINDOW_SECONDS"],
        per_account=config["LOGIN_MAX_FAILURES_PER_ACCOUNT"],
        per_address=config["LOGIN_MAX_FAILURES_PER_ADDRESS"],
    )
    issued = issue_token(
        get_session(),
        json.username,
        json.password,
        request.remote_addr or "unknown",
        ttl_seconds=config["API_TOKEN_TTL_SECONDS"],
        limits=limits,
    )
    return TokenOut(access_token=issued.access_token, expires_in=issued.expires_in)


@bp.post("/auth/revoke")
@allow()
@spec.validate(resp=responses(HTTP_204=None), tags=["auth"])
def revoke_token() -> Response:
    """Revoke the bearer token of this request (logout)."""
    session = get_session()
    revoke(session, bearer_token(), token_cache())
    session.commit()
    return Response(status=204)


@bp.get("/auth/me")
@allow()
@spec.validate(resp=responses(HTTP_200=MeOut), tags=["auth"])
def me() -> MeOut:
    """Describe the caller: user, role, linked employee and HR unit."""
    actor = current_actor()
    return MeOut(
        user_id=actor.user_id,
        username=actor.username,
        role=actor.role,
        employee_id=actor.employee_id,
        unit_id=actor.unit_id,
    )
