"""A fast risk read whose statement times out (KINERJA_DB_STATEMENT_TIMEOUT_MS) answers the
503 itself: the client waits the limit once, not once in front of Flask and again in Flask.

The memo is warm (the caller's token, the decision and the stored answer are kept), so the
fast path's only statement is the audit row of a supervisor's read; another connection holds
the lock that INSERT waits for (SQLite's write lock; on PostgreSQL a SHARE lock of
`audit_log`, which lets the test's own reads of the table through).
"""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from flask import Flask
from flask import request_started
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.db.models import AuditEntry
from tests.service.api.test_fast_risk import Exchange
from tests.service.api.test_fast_risk import Seen
from tests.service.api.test_fast_risk import Twins
from tests.service.api.test_fast_risk import flask_only  # noqa: F401 (the fixture)
from tests.service.api.test_fast_risk import twins  # noqa: F401 (the fixture)
from tests.service.api.test_risk import risk_sample  # noqa: F401 (the fixture)
from tests.service.api.test_risk_memo import stored  # noqa: F401 (the fixture)
from tests.service.test_statement_timeout import held_lock

TIMEOUT_MS = 1000
#: The lock is held at most this long: a request still waiting then waited far too long.
HELD_SECONDS = 8


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    return {**app_config, "KINERJA_DB_STATEMENT_TIMEOUT_MS": str(TIMEOUT_MS)}


def _locked_read(
    pair: Twins, served: Flask, database_url: str, name: str
) -> tuple[Exchange, int, float]:
    """A supervisor's warm read of E1 while the audit table is locked: the exchange, how often
    Flask saw the request, and how long the client waited (seconds)."""
    path = f"/api/v1/employees/{pair.world.employees['E1']}/risk"
    headers = pair.world.headers("supervisor")
    for n in range(2):  # Flask fills the memo, then a fast answer
        assert pair.read(served, path, headers, f"warm-{name}-{n}").status == 200
    seen = Seen()
    request_started.connect(seen.count, served)
    answers: list[tuple[Exchange, float]] = []

    def read() -> None:
        started = time.monotonic()
        exchange = pair.read(served, path, headers, f"locked-{name}")
        answers.append((exchange, time.monotonic() - started))

    with held_lock(database_url, table="audit_log", mode="SHARE"):
        call = threading.Thread(target=read, daemon=True)
        call.start()
        call.join(timeout=HELD_SECONDS)
        assert answers, "the read still waited for the lock"
    request_started.disconnect(seen.count, served)
    return answers[0][0], seen.requests, answers[0][1]


def _audit_rows(session: Session) -> int:
    count = session.scalar(select(func.count()).select_from(AuditEntry)) or 0
    session.rollback()
    return count


def test_a_timed_out_fast_read_answers_503_after_one_wait(
    twins: Twins,  # noqa: F811
    session: Session,
    database_url: str,
) -> None:
    flask, flask_seen, _ = _locked_read(twins, twins.flask, database_url, "flask")
    before = _audit_rows(session)
    fast, fast_seen, waited = _locked_read(twins, twins.fast, database_url, "fast")
    # warm-up reads wrote their rows before the lock; the locked read wrote none
    assert _audit_rows(session) == before + 2
    assert fast.audit == [] and flask.audit == []

    assert fast.status == 503
    assert ("Content-Type", "application/problem+json") in fast.headers
    assert int(dict(fast.headers)["Retry-After"]) > 0
    assert fast_seen == 0, "Flask read again and waited a second time"
    assert TIMEOUT_MS / 1000 * 0.9 <= waited < TIMEOUT_MS / 1000 * 1.5, waited
    # the same answer, headers, log line and request sample as Flask's own 503
    assert flask_seen == 1
    assert (fast.status, fast.body, fast.headers) == (flask.status, flask.body, flask.headers)
    assert fast.log == flask.log
    requests = {k: v for k, v in fast.metrics.items() if k[0].startswith("kinerja_http")}
    assert requests == {k: v for k, v in flask.metrics.items() if k[0].startswith("kinerja_http")}
    assert requests, "the 503 was not observed"
    # no answer was sent: neither counts one for /metrics (Flask's counted it before)
    for exchange in (fast, flask):
        assert not [k for k in exchange.metrics if k[0].startswith("kinerja_model_")]

    # the cancelled connection serves the next read (fast again once the memo is warm)
    path = f"/api/v1/employees/{twins.world.employees['E1']}/risk"
    headers = twins.world.headers("supervisor")
    assert twins.read(twins.fast, path, headers, "after").status == 200
