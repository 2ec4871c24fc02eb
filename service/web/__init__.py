"""The pages for supervisors, employees, HR units and the data team (blueprint `web`).

Pages call the same use cases as the API (STYLE.md 6.2 rule 4) with the caller of a session
login (`web.session`) instead of a bearer token; nothing decides anything here that the API
does not decide too. `init_app` sets the cookies (HttpOnly, SameSite=Lax, Secure outside
test and demo mode), CSRF checks on every form (Flask-WTF), the languages (Flask-Babel) and
HTML error pages for the blueprint.
"""

from __future__ import annotations

import uuid

from flask import Blueprint
from flask import Flask
from flask import Response
from flask import current_app
from flask import g
from flask import make_response
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from flask_wtf.csrf import CSRFProtect
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException
from werkzeug.exceptions import MethodNotAllowed
from werkzeug.exceptions import NotFound

from service.api.errors import handle_http_exception
from service.auth.tokens import Unauthorized
from service.domain.errors import DomainError
from service.web import i18n
from service.web.reasons import describe
from service.web.sessions import PageSessionInterface

bp = Blueprint(
    "web",
    __name__,
    template_folder="templates",
    static_folder="static",
    static_url_path="/assets",
)
csrf = CSRFProtect()

#: Settings of the pages and their defaults (override them in the mapping given to create_app).
DEFAULTS = {
    "WEB_IDLE_TIMEOUT_SECONDS": 30 * 60,
    "WEB_SESSION_TTL_SECONDS": 10 * 60 * 60,
    "WEB_PAGE_SIZE": 50,
    "WTF_CSRF_CHECK_DEFAULT": False,  # checked by the blueprint only: the API uses tokens
    "WTF_CSRF_TIME_LIMIT": None,  # a form lives as long as its session
}
#: Pages allow only their own scripts, styles and images (no CDN, no inline script).
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
)


@bp.before_request
def start_request() -> None:
    """Name the request and refuse a form without a valid CSRF token."""
    g.request_id = g.get("request_id") or uuid.uuid4().hex
    if request.method in current_app.config["WTF_CSRF_METHODS"]:
        csrf.protect()


@bp.after_request
def finish_request(response: Response) -> Response:
    """Keep personal pages out of caches and refuse framing and foreign scripts."""
    if request.endpoint != "web.static":
        response.headers.setdefault("Cache-Control", "no-store")
    response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    return response


def error_page(
    status: int, title: str, detail: str, explanation: str | None = None
) -> tuple[str, int]:
    """Render the HTML error page with `status` (`explanation` above a technical `detail`)."""
    _rollback()
    page = render_template(
        "web/error.html", status=status, title=title, detail=detail, explanation=explanation
    )
    return page, status


@bp.errorhandler(DomainError)
def domain_error(exc: DomainError) -> Response | tuple[str, int]:
    """Show a refused request as a page; an expired login goes back to the login form."""
    if isinstance(exc, Unauthorized):
        _rollback()
        return redirect(url_for("web.login"))
    return error_page(exc.status, _title(exc.status), describe(exc), _explanation(exc.status))


@bp.errorhandler(CSRFError)
def csrf_error(exc: CSRFError) -> tuple[str, int]:
    """Refuse a form without a valid CSRF token (400), saying how to recover."""
    detail = _("The form has expired or was not sent by this site. Reload the page and retry.")
    return error_page(400, _("Form expired"), detail)


@bp.errorhandler(HTTPException)
def http_error(exc: HTTPException) -> tuple[str, int]:
    """Show werkzeug's errors of the pages (404, 405, 413, ...) as the HTML error page."""
    status = exc.code or 500
    return error_page(status, _title(status), _http_detail(exc))


@bp.app_errorhandler(NotFound)
@bp.app_errorhandler(MethodNotAllowed)
def unrouted(exc: HTTPException) -> Response:
    """An address with no route, or a method its route does not take, belongs to no
    blueprint: the API answers its own paths with problem+json, the pages the others.

    (Flask prefers these handlers, registered by status, to every handler by class, so the
    API's own 404 and 405 come here too and go back to its handler.)
    """
    answer = handle_http_exception(exc)
    if answer is not exc:
        return answer  # type: ignore[return-value]
    return finish_request(make_response(http_error(exc)))


def _http_detail(exc: HTTPException) -> str:
    """The page's own description of the error, or ours in place of werkzeug's English."""
    if exc.description != type(exc).description:
        return exc.description or ""
    if exc.code == 404:
        return _("There is no page at this address.")
    if exc.code == 405:
        return _("This address opens no page: it only receives a form. Go back to the page.")
    if exc.code == 413:
        limit = (current_app.config.get("MAX_CONTENT_LENGTH") or 0) / (1024 * 1024)
        return _("The file or form is too large: at most %(mib)s MiB.", mib=i18n.number(limit, 1))
    return exc.description or ""


@bp.errorhandler(StaleDataError)
def stale_error(_exc: StaleDataError) -> tuple[str, int]:
    """Answer a write that lost an optimistic-lock race with 409."""
    return error_page(409, _title(409), _("Someone else changed this record. Reload and retry."))


@bp.errorhandler(IntegrityError)
def integrity_error(_exc: IntegrityError) -> tuple[str, int]:
    """Answer a write refused by a database constraint (a concurrent duplicate) with 409."""
    return error_page(409, _title(409), _("The change conflicts with stored data."))


def _title(status: int) -> str:
    titles = {
        400: _("Bad request"),
        403: _("Not allowed"),
        404: _("Not found"),
        409: _("Conflict"),
        422: _("Check the form"),
        429: _("Too many attempts"),
        503: _("Temporarily unavailable"),
    }
    return titles.get(status, _("Error"))


def _explanation(status: int) -> str | None:
    """What a refusal of the use cases means, in the user's language; their own detail is
    English, written for the API."""
    explanations = {
        403: _("You may not open this page or make this change."),
        404: _("This record does not exist or is not visible to you."),
        409: _("This conflicts with what is already stored. Reload the page to see it."),
        422: _("Part of what was sent is not valid."),
    }
    return explanations.get(status)


def _rollback() -> None:
    session = g.get("db_session")
    if session is not None:
        session.rollback()


def init_app(app: Flask) -> None:
    """Register the pages on `app` with their cookies, CSRF checks and languages."""
    for key, value in DEFAULTS.items():
        app.config.setdefault(key, value)
    secure = app.config.get("WEB_COOKIE_SECURE", app.config["KINERJA_ENV"] == "production")
    app.config.update(
        SESSION_COOKIE_NAME="kinerja_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=bool(secure),
    )
    app.session_interface = PageSessionInterface()
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
    csrf.init_app(app)
    i18n.init_app(app)
    app.register_blueprint(bp)


# The page modules add their routes to `bp` when imported.
from service.web import activities  # noqa: E402,F401
from service.web import attendance  # noqa: E402,F401
from service.web import auth_views  # noqa: E402,F401
from service.web import calibration  # noqa: E402,F401
from service.web import cycle_progress  # noqa: E402,F401
from service.web import dialogues  # noqa: E402,F401
from service.web import employee  # noqa: E402,F401
from service.web import evaluation_sheet  # noqa: E402,F401
from service.web import fairness  # noqa: E402,F401
from service.web import feedback360  # noqa: E402,F401
from service.web import feedback360_rounds  # noqa: E402,F401
from service.web import idempotency  # noqa: E402,F401
from service.web import models  # noqa: E402,F401
from service.web import notifications  # noqa: E402,F401
from service.web import objections  # noqa: E402,F401
from service.web import offline  # noqa: E402,F401
from service.web import personal_data  # noqa: E402,F401
from service.web import realisations  # noqa: E402,F401
from service.web import team  # noqa: E402,F401
from service.web import units  # noqa: E402,F401
