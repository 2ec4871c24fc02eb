"""Sign in and out, the language switch, and `/`, which sends each role to its home page."""

from __future__ import annotations

from typing import Any

from flask import Response
from flask import current_app
from flask import g
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from flask_babel import gettext as _

from service.auth.tokens import TooManyRequests
from service.auth.tokens import Unauthorized
from service.db import get_session
from service.domain.audit import Actor
from service.domain.entities import Role
from service.domain.organisation import list_units
from service.web import bp
from service.web.forms import query_offset
from service.web.i18n import LANGUAGE_COOKIE
from service.web.i18n import LANGUAGES
from service.web.session import actor
from service.web.session import current_web_actor
from service.web.session import login_required
from service.web.session import public
from service.web.session import safe_next
from service.web.session import sign_in
from service.web.session import sign_out

LANGUAGE_COOKIE_SECONDS = 365 * 24 * 3600
FIELD_MAX_CHARS = 256
#: Roles whose overview lists units and their training-needs pages (admin all, hr its own).
UNIT_ROLES = frozenset({Role.ADMIN, Role.HR})


@bp.get("/login")
@public
def login() -> Any:
    """Show the login form (or go home when already signed in)."""
    if current_web_actor() is not None:
        return redirect(url_for("web.home"))
    notice = _("Your session ended after a period without activity.") if _expired() else None
    if current_app.config["SESSION_COOKIE_SECURE"] and not request.is_secure:
        notice = _("Open this site over HTTPS to sign in: the session cookie is HTTPS-only.")
    return render_template(
        "web/login.html", next=safe_next(request.args.get("next")), notice=notice
    )


@bp.post("/login")
@public
def login_submit() -> Any:
    """Check the username and password and start a session."""
    username = request.form.get("username", "").strip()[:FIELD_MAX_CHARS]
    password = request.form.get("password", "")[:FIELD_MAX_CHARS]
    target = safe_next(request.form.get("next"))
    if not username or not password:
        return _login_again(_("Enter your username and password."), 422, username, target)
    if "\x00" in username:  # no user has one, and PostgreSQL cannot even compare it
        return _login_again(_("Wrong username or password."), 401, "", target)
    try:
        sign_in(username, password)
    except TooManyRequests as exc:
        response = _login_again(_("Too many failed attempts. Wait and try again."), 429, username)
        response.headers["Retry-After"] = str(exc.retry_after)
        return response
    except Unauthorized:
        return _login_again(_("Wrong username or password."), 401, username, target)
    return redirect(target or url_for("web.home"))


@bp.post("/logout")
@public
def logout() -> Response:
    """End the session: its token is revoked on the server, then the cookie is cleared."""
    sign_out()
    return redirect(url_for("web.login"))


@bp.post("/language")
@public
def switch_language() -> Response:
    """Remember the chosen language in a cookie and go back to the page."""
    language = request.form.get("lang", "")
    response = redirect(safe_next(request.form.get("next")) or url_for("web.home"))
    if language in LANGUAGES:
        response.set_cookie(
            LANGUAGE_COOKIE,
            language,
            max_age=LANGUAGE_COOKIE_SECONDS,
            secure=current_app.config["SESSION_COOKIE_SECURE"],
            httponly=True,
            samesite="Lax",
        )
    return response


@bp.get("/")
@login_required()
def home() -> Any:
    """Send each role to its page; admin gets a list of units and the models page."""
    caller = actor()
    target = home_of(caller)
    if target is not None:
        return redirect(target)
    limit, offset = current_app.config["WEB_PAGE_SIZE"], query_offset()
    page = list_units(get_session(), caller, limit, offset) if caller.role in UNIT_ROLES else None
    return render_template(
        "web/home.html",
        units=page.items if page else [],
        total=page.total if page else 0,
        offset=offset,
        limit=limit,
    )


def home_of(caller: Actor) -> str | None:
    """Return the home page of `caller`'s role (None for admin, who gets the overview, and for
    a login that lacks what its role's page needs: a team needs an employee, as does one's
    own page; hr's page needs a unit)."""
    if caller.role is Role.SUPERVISOR and caller.employee_id is not None:
        return url_for("web.team")
    if caller.role is Role.EMPLOYEE and caller.employee_id is not None:
        return url_for("web.employee", employee_id=caller.employee_id)
    if caller.role is Role.HR and caller.unit_id is not None:
        return url_for("web.training_needs", unit_id=caller.unit_id)
    if caller.role is Role.DATA:
        return url_for("web.models")
    return None


def _login_again(message: str, status: int, username: str = "", target: str | None = None):
    body = render_template("web/login.html", error=message, username=username, next=target)
    return Response(body, status=status, mimetype="text/html")


def _expired() -> bool:
    return bool(g.get("session_expired") or request.args.get("expired"))
