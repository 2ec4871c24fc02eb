"""The ceiling of the HTTP benchmarks: a bare WSGI callable, no framework, served by gunicorn.

It does the least a JSON endpoint can do (answer a fixed document; parse a JSON body and echo
it), so the gap between it and plain Flask is the framework's cost, and the gap between plain
Flask and `kinerja serve` is ours. Serve it as `gunicorn --chdir bench wsgi_ceiling:app`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from collections.abc import Iterable
from typing import Any

READ_BODY = json.dumps({"id": 1, "period": "2025-Q1", "predikat": "baik"}).encode()


def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    """GET: the fixed document; POST: the parsed JSON body echoed back with 201."""
    if environ["REQUEST_METHOD"] == "POST":
        length = int(environ.get("CONTENT_LENGTH") or 0)
        received = json.loads(environ["wsgi.input"].read(length) or b"null")
        return _answer(start_response, "201 Created", json.dumps({"received": received}).encode())
    return _answer(start_response, "200 OK", READ_BODY)


def _answer(start_response: Callable[..., Any], status: str, body: bytes) -> list[bytes]:
    headers = [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
    start_response(status, headers)
    return [body]
