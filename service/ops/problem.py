"""A bare RFC 9457 problem response for the operational endpoints and handlers.

`service.api.errors.problem` is the API's richer builder (field errors); this one exists so
`service.ops` never imports the API package, which imports the serving code that reports to
`service.ops.metrics`.
"""

from __future__ import annotations

from http import HTTPStatus

from flask import Response
from flask import json

PROBLEM_JSON = "application/problem+json"


def problem(status: int, detail: str, headers: dict[str, str] | None = None) -> Response:
    """Answer `status` as application/problem+json, titled with the status's reason phrase."""
    body = {"type": "about:blank", "title": HTTPStatus(status).phrase, "status": status}
    body["detail"] = detail
    response = Response(json.dumps(body), status=status, mimetype=PROBLEM_JSON)
    response.headers.update(headers or {})
    return response
