"""The HTTP API under /api/v1: blueprint, request ids, body limit, error handlers, OpenAPI.

`init_app(app)` registers the blueprint (one module per resource adds its routes to `bp`),
the problem+json handlers and the API's configuration defaults.
"""

from __future__ import annotations

import uuid

from flask import Blueprint
from flask import Flask
from flask import Response
from flask import current_app
from flask import g
from flask import request
from werkzeug.exceptions import BadRequest
from werkzeug.exceptions import RequestEntityTooLarge

from service.api import errors
from service.auth.decorators import TOKEN_CACHE
from service.auth.passwords import use_fast_hashing
from service.auth.tokens import TokenCache

bp = Blueprint("api", __name__, url_prefix="/api/v1")
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
errors.register(bp)

#: Settings of the API and their defaults (override them in the mapping given to create_app).
DEFAULTS = {
    "API_TOKEN_TTL_SECONDS": 3600,
    # Seconds a worker trusts a token it checked; a revocation elsewhere waits that long.
    "API_TOKEN_CACHE_SECONDS": 2,
    "LOGIN_WINDOW_SECONDS": 900,
    "LOGIN_MAX_FAILURES_PER_ACCOUNT": 5,
    "LOGIN_MAX_FAILURES_PER_ADDRESS": 50,
}


@bp.before_request
def start_request() -> None:
    """Refuse a body over MAX_CONTENT_LENGTH before reading it.

    `service.ops` names the request (g.request_id, echoed as X-Request-ID); without it, a
    fresh id still reaches the audit log.
    """
    if "request_id" not in g:
        g.request_id = uuid.uuid4().hex
    limit = current_app.config.get("MAX_CONTENT_LENGTH")
    if limit is not None and (request.content_length or 0) > limit:
        raise RequestEntityTooLarge(f"the body is over the limit of {limit} bytes")
    if request.is_json and request.method in _BODY_METHODS:
        _parse_json(limit)


def _parse_json(limit: int | None) -> None:
    """Parse the JSON body once, here (Flask keeps it for spectree and the views).

    A body without Content-Length (chunked) is read up to the limit, where werkzeug stops
    without a word: one more byte behind it means the body is over the limit (413), not a
    truncated, malformed one. Deep nesting makes Python's parser raise RecursionError,
    which `get_json(silent=True)` does not catch (it catches ValueError): without this, a
    500 on every JSON route.
    """
    if limit is not None and request.content_length is None:
        read = len(request.get_data())  # kept: get_json parses these bytes
        if read >= limit and request.environ["wsgi.input"].read(1):
            raise RequestEntityTooLarge(f"the body is over the limit of {limit} bytes")
    try:
        request.get_json(silent=True)
    except RecursionError:
        raise BadRequest("the JSON body is nested too deeply") from None


@bp.after_request
def finish_request(response: Response) -> Response:
    """Keep personal data out of shared caches."""
    response.headers.setdefault("Cache-Control", "no-store")
    return response


def init_app(app: Flask) -> None:
    """Register the API on `app`."""
    for key, value in DEFAULTS.items():
        app.config.setdefault(key, value)
    use_fast_hashing(bool(app.config.get("PASSWORD_HASH_FAST", app.config.get("TESTING"))))
    app.extensions[TOKEN_CACHE] = TokenCache(float(app.config["API_TOKEN_CACHE_SECONDS"]))
    app.register_blueprint(bp)
    errors.init_app(app)


# The resource modules add their routes to `bp` when imported.
from service.api import activities  # noqa: E402,F401
from service.api import allowance  # noqa: E402,F401
from service.api import assessments  # noqa: E402,F401
from service.api import attendance  # noqa: E402,F401
from service.api import attendance_import  # noqa: E402,F401
from service.api import audit  # noqa: E402,F401
from service.api import auth  # noqa: E402,F401
from service.api import calibration  # noqa: E402,F401
from service.api import calibration_closings  # noqa: E402,F401
from service.api import competencies  # noqa: E402,F401
from service.api import cycle_progress  # noqa: E402,F401
from service.api import dialogues  # noqa: E402,F401
from service.api import docs  # noqa: E402,F401
from service.api import employees  # noqa: E402,F401
from service.api import evaluation_signatures  # noqa: E402,F401
from service.api import evaluations  # noqa: E402,F401
from service.api import exports  # noqa: E402,F401
from service.api import fairness  # noqa: E402,F401
from service.api import feedback  # noqa: E402,F401
from service.api import feedback360  # noqa: E402,F401
from service.api import imports  # noqa: E402,F401
from service.api import models  # noqa: E402,F401
from service.api import notifications  # noqa: E402,F401
from service.api import objections  # noqa: E402,F401
from service.api import personal_data  # noqa: E402,F401
from service.api import plans  # noqa: E402,F401
from service.api import positions  # noqa: E402,F401
from service.api import recommendations  # noqa: E402,F401
from service.api import risk  # noqa: E402,F401
from service.api import risk_reviews  # noqa: E402,F401
from service.api import skp_templates  # noqa: E402,F401
from service.api import training_needs  # noqa: E402,F401
from service.api import trainings  # noqa: E402,F401
from service.api import units  # noqa: E402,F401
from service.api import users  # noqa: E402,F401
from service.api import window_reopenings  # noqa: E402,F401
