"""Structured logs: one JSON object per line on stderr, one line per request.

`configure_logging` runs when the app is created (never at import). Every line carries `time`
(UTC, ISO 8601), `level`, `logger`, `message` and, inside a request, `request_id`; the request
line adds `method`, `path` (without the query string), `status` and `duration_ms`. Only those
fields are written: no bodies, no query strings, no names, whatever a caller puts in `extra`.
Database errors in a message or a traceback lose the row values they quote: SQLAlchemy's
`[parameters: ...]` line and PostgreSQL's `DETAIL:` line (`Key (nip)=(...)`, `Failing row
contains (...)`) are replaced by a placeholder (`redact`).
"""

from __future__ import annotations

import json
import logging
import re
import sys
from datetime import UTC
from datetime import datetime
from typing import Any
from typing import TextIO

from flask import Flask
from flask import Response
from flask import g
from flask import has_request_context
from flask import request

from service.ops.request_id import elapsed_ms

REQUEST_LOGGER = "kinerja.request"
#: Libraries whose INFO lines are noise in the service: Alembic describes its migration
#: context on every /readyz (the schema check) and its plugins when the scripts load.
QUIET_LOGGERS = ("alembic",)
#: Fields taken from a record's `extra`, in output order; anything else is dropped.
REQUEST_FIELDS = ("request_id", "method", "path", "status", "duration_ms")
#: The parts of a database error that quote row values, each to the end of its line.
_ROW_VALUES = re.compile(r"\[parameters: [^\n]*|DETAIL: [^\n]*")
_ROW_VALUE_MARKERS = ("[parameters: ", "DETAIL: ")


def redact(text: str) -> str:
    """Replace the row values a database error quotes (a cheap test first: most lines have
    none)."""
    if not any(marker in text for marker in _ROW_VALUE_MARKERS):
        return text
    return _ROW_VALUES.sub(
        lambda found: "[parameters hidden]" if found[0][0] == "[" else "DETAIL: (hidden)", text
    )


class JsonFormatter(logging.Formatter):
    """Format a record as one line of JSON with a fixed set of fields."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": redact(record.getMessage()),
        }
        for field in REQUEST_FIELDS:
            value = getattr(record, field, None)
            if value is not None:
                entry[field] = value
        if "request_id" not in entry and has_request_context():
            entry["request_id"] = g.get("request_id")
        if record.exc_info:
            entry["exception"] = redact(self.formatException(record.exc_info))
        return json.dumps(entry, default=str)


class StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Write to whatever `sys.stderr` is at the time of each record (test capture included)."""

    def __init__(self) -> None:
        super().__init__()

    @property  # type: ignore[override]
    def stream(self) -> TextIO:
        return sys.stderr

    @stream.setter
    def stream(self, _value: TextIO) -> None:
        """Ignore the stream StreamHandler.__init__ assigns."""


def configure_logging(level: str = "INFO") -> logging.Handler:
    """Send the root logger's records to stderr as JSON lines; calling it again replaces it.

    Records skip what no line prints (the logging docs' "Optimization" switches): the
    caller's file and line, which cost a stack walk on every record, and the thread and
    process names. That is most of the logging module's own cost of a request's line.
    """
    logging._srcfile = None  # type: ignore[attr-defined]
    logging.logThreads = False
    logging.logProcesses = False
    logging.logMultiprocessing = False
    root = logging.getLogger()
    for handler in [h for h in root.handlers if isinstance(h, StderrHandler)]:
        root.removeHandler(handler)
    handler = StderrHandler()
    handler.setFormatter(JsonFormatter())
    root.addHandler(handler)
    root.setLevel(level.upper())
    quiet = root.level if root.level <= logging.DEBUG else max(root.level, logging.WARNING)
    for name in QUIET_LOGGERS:  # their INFO lines, unless DEBUG is asked for
        logging.getLogger(name).setLevel(quiet)
    return handler


_request_log = logging.getLogger(REQUEST_LOGGER)


def log_request(_sender: Flask, response: Response, **_extra: object) -> None:
    """Write the request's line once its response is final (connected to `request_finished`)."""
    if not _request_log.isEnabledFor(logging.INFO):
        return  # before reading the request: most of a skipped line's cost (WARNING level)
    write_request_line(
        g.get("request_id"), request.method, request.path, response.status_code, elapsed_ms()
    )


def write_request_line(
    request_id: str | None, method: str, path: str, status: int, duration_ms: float
) -> None:
    """Write one request's line (Flask's hook, and the risk read's fast path)."""
    if not _request_log.isEnabledFor(logging.INFO):
        return
    _request_log.info(
        "%s %s %s",
        method,
        path,
        status,
        extra={
            "request_id": request_id,
            "method": method,
            "path": path,
            "status": status,
            "duration_ms": round(duration_ms, 2),
        },
    )
