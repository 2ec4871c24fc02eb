"""View decorators: authenticate the bearer token and check the caller's role.

Every `/api/v1` view carries exactly one of them, and records its rule on the view as
`__access__`, so a test can walk `app.url_map` and fail on a route nobody wrote a rule for.
Object-level checks (whose employee, which unit) are made by `service.auth.policy` inside the
use cases, where the object is known.

A view marked `fresh=True` reads the change counter (migration 0011) before anything else:
its cached token must have been checked at that generation, and its use case may reuse
decisions and answers this worker kept at it (`request_memo`, `service.auth.memo`).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any
from typing import TypeVar

from flask import Flask
from flask import current_app
from flask import g
from flask import request
from sqlalchemy.orm import Session

from service.auth import policy
from service.auth.memo import Memo
from service.auth.memo import MemoAt
from service.auth.tokens import TokenCache
from service.auth.tokens import Unauthorized
from service.auth.tokens import authenticate
from service.db import get_session
from service.db.repositories.access import change_generation
from service.domain.audit import Actor
from service.domain.entities import Role

F = TypeVar("F", bound=Callable[..., Any])
PUBLIC = "public"
ALL_ROLES = frozenset(Role)
TOKEN_CACHE = "token_cache"
MEMO = "access_memo"


def bearer_token() -> str:
    """Return the bearer token of the request; Unauthorized when there is none."""
    return bearer_token_in(request.headers.get("Authorization", ""))


def bearer_token_in(authorization: str) -> str:
    """The token of an `Authorization` header's value; Unauthorized when it holds none."""
    scheme, _, token = authorization.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token or len(token) > 200:
        raise Unauthorized("send Authorization: Bearer <token> (POST /api/v1/auth/token)")
    return token


def token_cache(app: Flask | None = None) -> TokenCache | None:
    """Return the cache of validated tokens (see `service.auth.tokens`) of `app` (default:
    the current app), if any."""
    found = current_app if app is None else app
    cache: TokenCache | None = found.extensions.get(TOKEN_CACHE)
    return cache


def worker_memo(app: Flask) -> Memo:
    """This worker's memo of `app` (`service.auth.memo`), made on first use."""
    memo: Memo | None = app.extensions.get(MEMO)
    if memo is None:
        memo = app.extensions.setdefault(MEMO, Memo())
    return memo


def request_memo() -> MemoAt:
    """This worker's memo at the generation this request read (views marked `fresh`)."""
    generation: int = g.generation
    return worker_memo(current_app).at(generation)


def authorized_actor(
    session: Session,
    token: str,
    allowed: frozenset[Role],
    request_id: str | None,
    cache: TokenCache | None,
    generation: int | None,
) -> Actor:
    """The caller of `token` if its role is one of `allowed` (401 and 403 otherwise).

    What `allow` decides, shared with the risk read's fast path (`service.api.fast_risk`).
    """
    actor = authenticate(session, token, request_id, cache, generation)
    policy.require_role(actor, allowed)
    return actor


def current_actor() -> Actor:
    """Return the authenticated caller of this request (set by `allow`)."""
    actor: Actor = g.actor
    return actor


def allow(*roles: Role, fresh: bool = False) -> Callable[[F], F]:
    """Require a valid bearer token whose user has one of `roles` (all roles if none).

    `fresh`: read the change counter first and trust only what was checked at it (the
    token, and whatever the use case keeps in `request_memo()`).
    """
    allowed = frozenset(roles) or ALL_ROLES

    def decorate(view: F) -> F:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            # The objects behind Flask's proxies, looked up once for the request's reads.
            app = current_app._get_current_object()  # type: ignore[attr-defined]
            found = g._get_current_object()  # type: ignore[attr-defined]
            token = bearer_token_in(request.environ.get("HTTP_AUTHORIZATION", ""))
            generation = None
            if fresh:
                generation = change_generation(app.extensions["db"].engine)
            found.generation = generation
            found.actor = authorized_actor(
                get_session(),
                token,
                allowed,
                found.get("request_id"),
                app.extensions.get(TOKEN_CACHE),
                generation,
            )
            return view(*args, **kwargs)

        wrapper.__access__ = allowed  # type: ignore[attr-defined]
        return wrapper  # type: ignore[return-value]

    return decorate


def public(view: F) -> F:
    """Mark a view that needs no token (token issue, the OpenAPI document, the docs page)."""
    view.__access__ = PUBLIC  # type: ignore[attr-defined]
    return view
