"""A request's JSON line written straight to the service's handler is the line `logging`
writes of its record; any other listener or filter gets the record as before."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest

from service.ops.logging import REQUEST_LOGGER
from service.ops.logging import StderrHandler
from service.ops.logging import _sole_handler
from service.ops.logging import configure_logging
from service.ops.logging import write_request_line

LINE = ("0123456789abcdef0123456789abcdef", "GET", '/api/v1/employees/7/risk"\u00e9', 200, 1.23456)


def alone(monkeypatch: pytest.MonkeyPatch) -> StderrHandler:
    """The server's logging: `configure_logging`'s handler, alone on the root logger (pytest
    adds its capturing handlers to it once a test's fixtures are set up, so a test calls
    this itself)."""
    handler = configure_logging("INFO")
    assert isinstance(handler, StderrHandler)
    monkeypatch.setattr(logging.getLogger(), "handlers", [handler])
    return handler


def _lines(capsys: pytest.CaptureFixture[str]) -> list[dict[str, Any]]:
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines()]
    for line in lines:
        assert line.pop("time")[:2] == "20"  # the time of the call (UTC, ISO 8601)
    return lines


def test_the_direct_line_is_the_formatters_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    handler = alone(monkeypatch)
    assert _sole_handler() is handler
    capsys.readouterr()
    write_request_line(*LINE)
    direct = _lines(capsys)
    passing = logging.Filter()  # lets every record through, and makes `logging` write it
    logging.getLogger(REQUEST_LOGGER).addFilter(passing)
    try:
        assert _sole_handler() is None
        write_request_line(*LINE)
    finally:
        logging.getLogger(REQUEST_LOGGER).removeFilter(passing)
    through = _lines(capsys)
    assert (
        direct
        == through
        == [
            {
                "level": "INFO",
                "logger": REQUEST_LOGGER,
                "message": f"GET {LINE[2]} 200",
                "request_id": LINE[0],
                "method": "GET",
                "path": LINE[2],
                "status": 200,
                "duration_ms": 1.23,
            }
        ]
    )


def test_another_handler_or_a_filter_gets_the_record(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    handler = alone(monkeypatch)
    records: list[logging.LogRecord] = []
    listener = logging.Handler()
    listener.emit = records.append  # type: ignore[method-assign]
    logging.getLogger(REQUEST_LOGGER).addHandler(listener)
    try:
        capsys.readouterr()
        write_request_line(*LINE)
    finally:
        logging.getLogger(REQUEST_LOGGER).removeHandler(listener)
    assert [r.getMessage() for r in records] == [f"GET {LINE[2]} 200"]
    assert len(_lines(capsys)) == 1  # and the service's handler still wrote its line
    dropping = logging.Filter("nothing.by.this.name")
    handler.addFilter(dropping)
    try:
        write_request_line(*LINE)
    finally:
        handler.removeFilter(dropping)
    assert _lines(capsys) == []
