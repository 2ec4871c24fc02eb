"""Every error of `/api/v1` as `application/problem+json` (RFC 9457), mapped in one place.

DomainError subclasses carry their status; werkzeug's HTTPExceptions (unknown route 404, 405,
413, 415, malformed JSON 400) keep theirs; a stale optimistic-lock write is 412 and a unique
constraint lost to a concurrent request is 409. Anything else is a 500 with no internals in the
body, logged with its request id. Every handler rolls the request's session back first, so a
failed request writes nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from http import HTTPStatus
from typing import Any

from flask import Blueprint
from flask import Flask
from flask import Response
from flask import g
from flask import json
from flask import request
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException

from service.auth.tokens import TooManyRequests
from service.domain.errors import DomainError
from service.domain.errors import FieldError
from service.domain.errors import Invalid
from service.domain.errors import InvalidFile

PROBLEM_JSON = "application/problem+json"
API_PREFIX = "/api/"
log = logging.getLogger(__name__)


def problem(
    status: int,
    detail: str | None = None,
    errors: Iterable[FieldError] = (),
    headers: dict[str, str] | None = None,
    title: str | None = None,
    rows: bool = False,
) -> Response:
    """Build a problem+json response; `title` defaults to the reason phrase of `status`;
    with `rows`, every error has its `row`, null where it has none."""
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": title or _title(status),
        "status": status,
        "detail": detail or _title(status),
    }
    listed = [_field(error, rows) for error in errors]
    if listed:
        body["errors"] = listed
    response = Response(json.dumps(body), status=status, mimetype=PROBLEM_JSON)
    response.headers.update(headers or {})
    return response


def handle_domain_error(exc: DomainError) -> Response:
    _rollback()
    errors = exc.errors if isinstance(exc, Invalid) else ()
    headers = {}
    if exc.status == 401:
        headers["WWW-Authenticate"] = 'Bearer realm="kinerja"'
    if isinstance(exc, TooManyRequests):
        headers["Retry-After"] = str(exc.retry_after)
    rows = isinstance(exc, InvalidFile)
    return problem(exc.status, exc.detail, errors, headers, exc.title, rows=rows)


def handle_http_exception(exc: HTTPException) -> Response | HTTPException:
    """Answer API paths with problem+json; leave other paths to the pages' handlers."""
    if not request.path.startswith(API_PREFIX):
        return exc
    _rollback()
    headers = {}
    if exc.code == 405 and exc.valid_methods:  # type: ignore[attr-defined]
        headers["Allow"] = ", ".join(exc.valid_methods)  # type: ignore[attr-defined]
    return problem(exc.code or 500, exc.description, (), headers)


def handle_stale(_exc: StaleDataError) -> Response:
    _rollback()
    return problem(412, "the object was changed by someone else; GET it again and retry")


def handle_integrity(exc: IntegrityError) -> Response:
    _rollback()
    log.info("integrity error on %s (request %s): %s", request.path, g.get("request_id"), exc.orig)
    return problem(409, "the change conflicts with stored data (a duplicate or a stale reference)")


def handle_unexpected(exc: Exception) -> Response:
    _rollback()
    log.exception("unhandled error on %s (request %s)", request.path, g.get("request_id"))
    return problem(500, f"internal error; quote request id {g.get('request_id')}")


def register(blueprint: Blueprint) -> None:
    """Handle every error raised by the blueprint's views and hooks."""
    blueprint.register_error_handler(DomainError, handle_domain_error)
    blueprint.register_error_handler(HTTPException, handle_http_exception)
    blueprint.register_error_handler(StaleDataError, handle_stale)
    blueprint.register_error_handler(IntegrityError, handle_integrity)
    blueprint.register_error_handler(Exception, handle_unexpected)


def init_app(app: Flask) -> None:
    """Answer routing errors under /api/ (unknown path 404, wrong method 405) too."""
    app.register_error_handler(HTTPException, handle_http_exception)


def _field(error: FieldError, rows: bool = False) -> dict[str, Any]:
    item: dict[str, Any] = {"field": error.field, "message": error.message}
    if rows or error.row is not None:
        item["row"] = error.row
    return item


def _title(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def _rollback() -> None:
    session = g.get("db_session")
    if session is not None:
        session.rollback()
