"""Session login of the pages, on the same tokens, login limits and roles as the API.

Signing in calls `tokens.issue_token` (the API's password check, with its per-account and
per-address limits) and keeps the opaque token in the signed session cookie. Every page
authenticates that token again (`tokens.authenticate`), so signing out, which revokes it in
the database, ends the session on the server: a copied cookie is worthless afterwards. A
session idle for longer than WEB_IDLE_TIMEOUT_SECONDS is revoked the same way on its next
request; WEB_SESSION_TTL_SECONDS bounds a session's whole life (the token's expiry).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import wraps
from typing import Any
from typing import TypeVar
from urllib.parse import urlsplit

from flask import current_app
from flask import g
from flask import redirect
from flask import request
from flask import session
from flask import url_for

from service.auth import policy
from service.auth.tokens import LoginLimits
from service.auth.tokens import Unauthorized
from service.auth.tokens import authenticate
from service.auth.tokens import issue_token
from service.auth.tokens import revoke
from service.db import get_session
from service.domain.audit import Actor
from service.domain.entities import Role

F = TypeVar("F", bound=Callable[..., Any])
TOKEN_KEY = "token"
SEEN_KEY = "seen"
ALL_ROLES = frozenset(Role)


def sign_in(username: str, password: str) -> Actor:
    """Check the password (API login limits apply) and start a fresh session."""
    config = current_app.config
    limits = LoginLimits(
        window_seconds=config.get("LOGIN_WINDOW_SECONDS", LoginLimits.window_seconds),
        per_account=config.get("LOGIN_MAX_FAILURES_PER_ACCOUNT", LoginLimits.per_account),
        per_address=config.get("LOGIN_MAX_FAILURES_PER_ADDRESS", LoginLimits.per_address),
    )
    issued = issue_token(
        get_session(),
        username,
        password,
        request.remote_addr or "unknown",
        ttl_seconds=config["WEB_SESSION_TTL_SECONDS"],
        limits=limits,
    )
    session.clear()  # a new session for a new login (no fixation of an earlier one)
    session[TOKEN_KEY] = issued.access_token
    session[SEEN_KEY] = int(time.time())
    return authenticate(get_session(), issued.access_token, g.get("request_id"))


def sign_out() -> None:
    """Revoke the session's token in the database and forget the session."""
    token = session.get(TOKEN_KEY)
    if token:
        revoke(get_session(), token)
        get_session().commit()
    session.clear()


def current_web_actor() -> Actor | None:
    """Return the signed-in caller, or None (no session, idle too long, token revoked)."""
    token = session.get(TOKEN_KEY)
    if not token:
        return None
    now = int(time.time())
    if now - int(session.get(SEEN_KEY, 0)) > current_app.config["WEB_IDLE_TIMEOUT_SECONDS"]:
        sign_out()
        g.session_expired = True
        return None
    try:
        actor = authenticate(get_session(), token, g.get("request_id"))
    except Unauthorized:
        session.clear()
        return None
    session[SEEN_KEY] = now
    return actor


def login_required(*roles: Role) -> Callable[[F], F]:
    """Require a signed-in user with one of `roles` (all roles if none); 403 otherwise.

    The rule is recorded on the view as `__access__`, as the API's `allow` does.
    """
    allowed = frozenset(roles) or ALL_ROLES

    def decorate(view: F) -> F:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            actor = current_web_actor()
            if actor is None:
                expired = 1 if g.get("session_expired") else None
                # A form's address answers no GET: after signing in, go home instead.
                target = safe_next(request.full_path) if request.method == "GET" else None
                return redirect(url_for("web.login", next=target, expired=expired))
            policy.require_role(actor, allowed)
            g.actor = actor
            return view(*args, **kwargs)

        wrapper.__access__ = allowed  # type: ignore[attr-defined]
        return wrapper  # type: ignore[return-value]

    return decorate


def public(view: F) -> F:
    """Mark a page that needs no login (the login form, the language switch)."""
    view.__access__ = "public"  # type: ignore[attr-defined]
    return view


def actor() -> Actor:
    """Return the signed-in caller of this request (set by `login_required`)."""
    found: Actor = g.actor
    return found


def safe_next(target: str | None) -> str | None:
    """Return `target` when it is a path on this site, else None (no open redirects)."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    if "\\" in target:
        return None
    return target.rstrip("?") or None
