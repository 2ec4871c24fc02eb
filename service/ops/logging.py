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
import time
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
#: `json.dumps(entry, default=str)`'s encoder, made once (`dumps` makes one per call).
_ENCODER = json.JSONEncoder(default=str)


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
        fields = [getattr(record, field, None) for field in REQUEST_FIELDS]
        entry = _entry(record.created, record.levelname, record.name, record.getMessage(), fields)
        if record.exc_info:
            entry["exception"] = redact(self.formatException(record.exc_info))
        return _ENCODER.encode(entry)


def _entry(
    created: float, level: str, name: str, message: str, fields: list[Any]
) -> dict[str, Any]:
    """A line's fields but the exception: `fields` are `REQUEST_FIELDS`' values (or None)."""
    entry: dict[str, Any] = {
        "time": datetime.fromtimestamp(created, UTC).isoformat(timespec="milliseconds"),
        "level": level,
        "logger": name,
        "message": redact(message),
    }
    for field, value in zip(REQUEST_FIELDS, fields, strict=True):
        if value is not None:
            entry[field] = value
    if "request_id" not in entry and has_request_context():
        entry["request_id"] = g.get("request_id")
    return entry


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

    def write_line(self, line: str) -> None:
        """Write a formatted line as `emit` writes a record's (its lock, flushed; an error
        reported as `logging` reports it)."""
        with self.lock:  # type: ignore[union-attr]
            try:
                stream = self.stream
                stream.write(line + self.terminator)
                stream.flush()
            except RecursionError:
                raise
            except Exception:  # noqa: BLE001 (what `StreamHandler.emit` does)
                record = logging.LogRecord(REQUEST_LOGGER, logging.INFO, "", 0, line, None, None)
                self.handleError(record)


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
    """Write one request's line (Flask's hook, and the risk read's fast path).

    When the line's only destination is `configure_logging`'s handler (no filter on the
    way, no other handler: the server's setting), the line is written to it directly, the
    same JSON as its formatter makes of the record: the record, the logger's and handler's
    calls and the formatter's lookups cost about half of the line's 30 us (in-process, the
    risk read's fast path). Otherwise through `logging`, to whatever else listens.
    """
    if not _request_log.isEnabledFor(logging.INFO):
        return
    fields = [request_id, method, path, status, round(duration_ms, 2)]
    handler = _sole_handler()
    if handler is not None:
        entry = _entry(time.time(), "INFO", REQUEST_LOGGER, f"{method} {path} {status}", fields)
        handler.write_line(_ENCODER.encode(entry))
        return
    extra = dict(zip(REQUEST_FIELDS, fields, strict=True))
    _request_log.info("%s %s %s", method, path, status, extra=extra)


def _sole_handler() -> StderrHandler | None:
    """The handler the request lines go to when it is the only one and nothing filters them
    (the logger's own filters and the handlers' are the ones `logging` applies), else None."""
    if _request_log.filters:
        return None
    found = None
    logger: logging.Logger | None = _request_log
    while logger is not None:
        for handler in logger.handlers:
            if found is not None or type(handler) is not StderrHandler:
                return None
            found = handler
        logger = logger.parent if logger.propagate else None
    if found is None or found.filters or found.level > logging.INFO:
        return None
    return found if type(found.formatter) is JsonFormatter else None
