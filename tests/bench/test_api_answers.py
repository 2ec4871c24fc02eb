"""bench/api.py: wrk's answers counted by status, with a sample body of a non-2xx one."""

from __future__ import annotations

import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from http.server import ThreadingHTTPServer
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench"))

import api  # noqa: E402

WRK_REPORT = """Running 10s test @ http://127.0.0.1:8765/
  2 threads and 16 connections
  Socket errors: connect 0, read 2, write 0, timeout 1
  Non-2xx or 3xx responses: 4
Requests/sec:    941.20
status 201 4700
status 404 3
status 201 4705
status 503 1
sample 404 {"detail": "no employee 2001 visible to you", "status": 404}
"""


def test_the_report_counts_answers_by_status_over_wrk_threads() -> None:
    found = api._parse(WRK_REPORT, 10)
    assert found["errors"] == 4
    assert found["statuses"] == {"201": 9405, "404": 3, "503": 1}
    assert found["non_2xx_samples"] == [
        '404 {"detail": "no employee 2001 visible to you", "status": 404}'
    ]
    assert found["socket_errors"] == {"connect": 0, "read": 2, "write": 0, "timeout": 1}


class _Alternating(BaseHTTPRequestHandler):
    """Answers 201, then a 409 problem every third request."""

    count = 0

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        type(self).count += 1
        status, body = (409, b'{"title": "Conflict"}') if self.count % 3 == 0 else (201, b"{}")
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_args: object) -> None:
        """Quiet."""


@pytest.fixture
def server() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Alternating)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    httpd.shutdown()
    httpd.server_close()


@pytest.mark.skipif(shutil.which("wrk") is None, reason="wrk is not installed")
def test_the_status_script_reports_every_answer_wrk_got(server: str, tmp_path: Path) -> None:
    script = tmp_path / "s.lua"
    script.write_text(
        "local started = {}\n"
        "function setup(thread) table.insert(started, thread) end\n" + api.STATUS_SCRIPT
    )
    command = ["wrk", "-t", "2", "-c", "2", "-d", "1s", "-s", str(script), server]
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    found = api._parse(output, 1)
    statuses = found["statuses"]
    assert set(statuses) == {"201", "409"}
    assert statuses["409"] == found["errors"]
    assert found["non_2xx_samples"]
    assert all(s == '409 {"title": "Conflict"}' for s in found["non_2xx_samples"])
