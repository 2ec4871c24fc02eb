"""Request ids: every request is named, the name is echoed and carried into logs and the audit.

A client (or a proxy in front) may send `X-Request-ID`; a sane value (1-64 letters, digits,
`.`, `_`, `-`) is kept so one id follows the request across services, anything else is replaced
by a fresh uuid4. The id is in `g.request_id` from the very start of the request (the
`request_started` signal fires before any `before_request` hook) and in the response header.
"""

from __future__ import annotations

import os
import re
import time

from flask import Flask
from flask import Response
from flask import g
from flask import request
from flask import request_started

HEADER = "X-Request-ID"
_ENVIRON_KEY = "HTTP_X_REQUEST_ID"  # where WSGI puts HEADER (what request.headers reads)
_SANE = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
#: uuid.UUID(version=4): the version nibble 4 and the RFC 4122 variant bits 10.
_CLEAR_VERSION_AND_VARIANT = ~((0xF000 << 64) | (0xC000 << 48))
_VERSION_4_VARIANT_RFC = (4 << 76) | (0x8000 << 48)


def request_id_from(given: str | None) -> str:
    """Keep a sane incoming id, otherwise make a new one (uuid4, hex)."""
    if given and _SANE.match(given):
        return given
    return new_request_id()


def new_request_id() -> str:
    """A random uuid4's 32 hex digits, as `uuid.uuid4().hex` writes them.

    The same 16 random bytes with the same version and variant bits, without a `UUID`
    object (whose checks made it a fifth of a request's own hooks' cost).
    """
    value = int.from_bytes(os.urandom(16), "big")
    return f"{(value & _CLEAR_VERSION_AND_VARIANT) | _VERSION_4_VARIANT_RFC:032x}"


def start_request(_sender: Flask, **_extra: object) -> None:
    """Name the request and start its clock (connected to `request_started`)."""
    g.request_id = request_id_from(request.environ.get(_ENVIRON_KEY))
    g.request_started_at = time.perf_counter()


def elapsed_ms() -> float:
    """Milliseconds since this request started (0 when the start was not recorded)."""
    started = g.get("request_started_at")
    return 0.0 if started is None else (time.perf_counter() - started) * 1000


def echo_request_id(response: Response) -> Response:
    """Return the request id to the client, whatever handled the request."""
    response.headers[HEADER] = g.get("request_id", "")
    return response


def init_app(app: Flask) -> None:
    """Name every request of `app` and echo the name in the response."""
    request_started.connect(start_request, app)
    app.after_request(echo_request_id)
