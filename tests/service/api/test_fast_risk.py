"""The risk read's fast path (`service.api.fast_risk`) answers exactly as Flask does.

Two apps on one database: `app` (the fast path on, the default) and `flask_only`
(`KINERJA_RISK_FAST_PATH=false`). Each case reads twice through each app with its own token
(the first read fills the worker's memo), changes the database the same way, then compares
the last read of both: status, body, every header (request ids aside), the audit row, the
JSON log line and the Prometheus samples it added. Flask's `request_started` tells whether
Flask saw the request, so the cases that must be answered in front of it are.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC
from datetime import datetime
from typing import Any

import pytest
from flask import Flask
from flask import request_started
from sqlalchemy import select
from sqlalchemy import text
from sqlalchemy import update
from sqlalchemy.orm import Session

from service import create_app
from service.api import fast_risk
from service.api.fast_risk import FastRisk
from service.api.fast_risk import MemoOnlySession
from service.api.fast_risk import NeedsDatabase
from service.db import make_engine
from service.db.models import ApiToken
from service.db.models import AuditEntry
from service.db.models import Employee
from service.db.models import RiskScore
from service.db.repositories.organisation import employee_card
from service.ops.metrics import metrics
from tests.service.api.test_risk import risk_sample  # noqa: F401 (the fixture)
from tests.service.api.test_risk_memo import STORED_PROBABILITY
from tests.service.api.test_risk_memo import stored  # noqa: F401 (the fixture)
from tests.service.api.world import World
from tests.service.api.world import token

Change = Callable[[Session, World, str], None]


@pytest.fixture
def flask_only(app: Flask, app_config: dict[str, Any], stored: World) -> Iterator[Flask]:  # noqa: F811
    """The same service on the same database, without the fast path."""
    other = create_app({**app_config, "KINERJA_RISK_FAST_PATH": False}, use_env=False)
    other.extensions["models"] = app.extensions["models"]
    yield other
    other.extensions["db"].engine.dispose()


@dataclass
class Seen:
    """What Flask saw of the requests of one app (its own `request_started` signal)."""

    requests: int = 0

    def count(self, _sender: Flask, **_extra: object) -> None:
        self.requests += 1


@dataclass(frozen=True)
class Exchange:
    """One read as a client, the audit log, the request log and /metrics saw it."""

    status: int
    body: bytes
    headers: list[tuple[str, str]]
    audit: list[tuple[Any, ...]]
    log: list[dict[str, Any]]
    metrics: dict[tuple[str, tuple[tuple[str, str], ...]], float]


def _samples() -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample except the ones that measure time (sums, buckets, creation times)."""
    found = {}
    for family in metrics().registry.collect():
        for sample in family.samples:
            if not sample.name.endswith(("_sum", "_bucket", "_created")):
                found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def _read(
    app: Flask,
    session: Session,
    capsys: pytest.CaptureFixture[str],
    path: str,
    headers: dict[str, str],
    request_id: str,
    method: str = "GET",
    data: bytes | None = None,
) -> Exchange:
    before = _samples()
    capsys.readouterr()
    response = app.test_client().open(
        path, method=method, headers={**headers, "X-Request-ID": request_id}, data=data
    )
    lines = [
        json.loads(line) for line in capsys.readouterr().err.splitlines() if line.startswith("{")
    ]
    after = _samples()
    rows = session.execute(
        select(AuditEntry.actor_user_id, AuditEntry.actor_username, AuditEntry.action,
               AuditEntry.resource, AuditEntry.resource_id, AuditEntry.employee_id)
        .where(AuditEntry.request_id == request_id)
    ).all()  # fmt: skip
    session.rollback()
    log = [
        {k: v for k, v in line.items() if k not in ("time", "duration_ms", "request_id")}
        | {"request_id": line.get("request_id") == request_id}
        for line in lines
        if line.get("logger") == "kinerja.request"
    ]
    echoed = [(k, v if k != "X-Request-ID" else v == request_id) for k, v in response.headers]
    delta = {
        key: after[key] - before.get(key, 0.0)
        for key in after
        if after[key] != before.get(key, 0.0)
    }
    return Exchange(
        response.status_code, response.data, echoed, [tuple(r) for r in rows], log, delta
    )


def _nothing(_session: Session, _world: World, _token: str) -> None:
    """No change between the reads."""


def _revoke(session: Session, _world: World, _bearer: str) -> None:
    session.execute(update(ApiToken).values(revoked_at=datetime.now(UTC)))
    session.commit()


def _outdate(session: Session, _world: World, _token: str) -> None:
    session.execute(update(RiskScore).values(outdated=True))
    session.commit()


CASES: dict[str, tuple[str | None, str, Change, bool]] = {
    # name: (role whose token is sent, person read, change before the last read, fast?)
    "supervisor": ("supervisor", "E1", _nothing, True),
    "own": ("employee", "E1", _nothing, True),
    "hr": ("hr", "E1", _nothing, True),
    "admin": ("admin", "E1", _nothing, True),
    "denied": ("supervisor", "O", _nothing, False),
    "wrong role": ("data", "E1", _nothing, False),
    "no token": (None, "E1", _nothing, False),
    "revoked token": ("supervisor", "E1", _revoke, False),
    "outdated score": ("supervisor", "E1", _outdate, False),
}


@dataclass
class Twins:
    """The fast app and the Flask-only app on one database, read the same way."""

    fast: Flask
    flask: Flask
    world: World
    session: Session
    capsys: pytest.CaptureFixture[str]

    def last_reads(
        self, name: str, role: str | None, path: str, change: Change = _nothing, **extra: Any
    ) -> dict[str, tuple[Exchange, int]]:
        """Per app: a warm-up GET (with a token of its own), `change`, then the read of
        `path` (with `extra`: method, data); that read's exchange and how often Flask saw it."""
        last = {}
        for kind, served in (("fast", self.fast), ("flask", self.flask)):
            seen = Seen()
            request_started.connect(seen.count, served)
            bearer = "" if role is None else f"Bearer {token(self.session, role)}"
            headers = {"Authorization": bearer} if bearer else {}
            warm = path.split("?")[0].rstrip("/")
            self.read(served, warm, headers, f"{kind}-warm-{name}")
            change(self.session, self.world, bearer)
            seen.requests = 0
            exchange = self.read(served, path, headers, f"{kind}-{name}", **extra)
            last[kind] = (exchange, seen.requests)
        return last

    def read(
        self, served: Flask, path: str, headers: dict[str, str], rid: str, **extra: Any
    ) -> Exchange:
        return _read(
            served, self.session, self.capsys, path, headers, rid.replace(" ", "-"), **extra
        )


@pytest.fixture
def twins(
    app: Flask,
    flask_only: Flask,
    stored: World,  # noqa: F811
    session: Session,
    capsys: pytest.CaptureFixture[str],
) -> Twins:
    assert isinstance(app.wsgi_app, FastRisk) and not isinstance(flask_only.wsgi_app, FastRisk)
    for served in (app, flask_only):  # a slow first load must not outlast a cached token
        served.extensions["token_cache"].seconds = 3600
    return Twins(app, flask_only, stored, session, capsys)


@pytest.mark.parametrize("case", list(CASES))
def test_the_fast_path_answers_as_flask_does(twins: Twins, case: str) -> None:
    role, person, change, fast = CASES[case]
    path = f"/api/v1/employees/{twins.world.employees[person]}/risk"
    last = twins.last_reads(case, role, path, change)
    assert last["fast"][0] == last["flask"][0]
    assert (last["fast"][1], last["flask"][1]) == (0 if fast else 1, 1), "Flask saw it"
    if case == "supervisor":  # the exchange says what it should, not only the same thing
        exchange = last["fast"][0]
        assert json.loads(exchange.body)["probability"] == STORED_PROBABILITY
        assert len(exchange.audit) == 1 and exchange.log[0]["status"] == 200
        assert ("X-Request-ID", True) in exchange.headers


@pytest.mark.parametrize("variant", ["HEAD", "query", "trailing slash", "body"])
def test_other_requests_of_the_path_go_to_flask(twins: Twins, variant: str) -> None:
    path = f"/api/v1/employees/{twins.world.employees['E1']}/risk"
    path += {"query": "?fields=all", "trailing slash": "/"}.get(variant, "")
    extra = {"method": "HEAD"} if variant == "HEAD" else {}
    extra |= {"data": b"{}"} if variant == "body" else {}
    last = twins.last_reads(variant, "supervisor", path, **extra)
    assert last["fast"][0] == last["flask"][0]
    assert (last["fast"][1], last["flask"][1]) == (1, 1), "Flask saw it"


def test_a_new_supervisor_and_a_revoked_token_count_at_the_next_read(
    app: Flask,
    stored: World,  # noqa: F811
    session: Session,
) -> None:
    app.extensions["token_cache"].seconds = 3600  # the cache's TTL alone would hide it
    client = app.test_client()
    e1, t = (f"/api/v1/employees/{stored.employees[p]}/risk" for p in ("E1", "T"))
    supervisor = stored.headers("supervisor")
    for _ in range(3):  # the memo holds S's token, decision and E1's answer
        assert client.get(e1, headers=supervisor).status_code == 200
        assert client.get(t, headers=supervisor).status_code == 404  # T is not S's report
    for person, boss in (("E1", None), ("T", stored.employees["S"])):
        where = Employee.id == stored.employees[person]
        session.execute(update(Employee).where(where).values(supervisor_id=boss))
    session.commit()
    assert client.get(e1, headers=supervisor).status_code == 404  # S is above E1 no more
    assert client.get(t, headers=supervisor).status_code == 200  # S now supervises T
    assert client.get(t, headers=supervisor).status_code == 200
    session.execute(update(ApiToken).values(revoked_at=datetime.now(UTC)))
    session.commit()
    assert client.get(t, headers=supervisor).status_code == 401


def test_the_memo_only_session_refuses_every_query(database_url: str) -> None:
    """The fast path stops at the first query through `_connection_for_bind`, a private
    SQLAlchemy hook: if an upgrade renamed it, this fails instead of the fast path quietly
    querying the database."""
    engine = make_engine(database_url)
    try:
        session = MemoOnlySession(bind=engine)
        with pytest.raises(NeedsDatabase):
            session.execute(text("SELECT 1"))
        with pytest.raises(NeedsDatabase):
            session.connection()
        with pytest.raises(NeedsDatabase):
            session.get(Employee, 1)
        # the card runs alone on the thread's own connection outside a transaction
        # (`LoneSelect`); on this session it must ask for the session's connection instead
        with pytest.raises(NeedsDatabase):
            employee_card(session, 1)
    finally:
        engine.dispose()


def test_a_kept_body_is_never_served_for_a_changed_score(twins: Twins, session: Session) -> None:
    """The body made once per shared answer: reads at one generation give the same bytes as
    Flask; a changed score is a new answer with a body of its own, at once."""
    path = f"/api/v1/employees/{twins.world.employees['E1']}/risk"
    headers = twins.world.headers("supervisor")
    fast = [twins.read(twins.fast, path, headers, f"kept-{n}").body for n in range(3)]
    flask = twins.read(twins.flask, path, headers, "kept-flask").body
    assert fast == [flask] * 3
    assert json.loads(flask)["probability"] == STORED_PROBABILITY
    session.execute(update(RiskScore).values(probability=0.0123))
    session.commit()
    for n in range(3):  # the first fills the memo anew (Flask), the others are memo hits
        changed = twins.read(twins.fast, path, headers, f"changed-{n}")
        assert json.loads(changed.body)["probability"] == 0.0123
        assert len(changed.audit) == 1
    assert changed.body == twins.read(twins.flask, path, headers, "changed-flask").body


@pytest.mark.parametrize("role", ["supervisor", "employee"])
def test_a_change_made_while_the_fast_path_decides_is_answered_by_flask(
    twins: Twins, session: Session, monkeypatch: pytest.MonkeyPatch, role: str
) -> None:
    """The fast path decides on what its worker kept at the generation it last saw, then
    checks that generation: with the audit row (a supervisor's read) or a read of the counter
    (one's own). A token revoked after the decisions, before the answer leaves, is refused
    by Flask: no audit row, no model answer counted, as if revoked before the request."""
    path = f"/api/v1/employees/{twins.world.employees['E1']}/risk"
    bearer = f"Bearer {token(session, role)}"
    headers = {"Authorization": bearer}
    for n in range(2):  # Flask fills the memo, then a fast answer
        assert twins.read(twins.fast, path, headers, f"before-{role}-{n}").status == 200
    made = fast_risk.body_of

    def revoking(*args: Any) -> Any:
        _revoke(session, twins.world, bearer)  # another worker's write, at that moment
        return made(*args)

    monkeypatch.setattr(fast_risk, "body_of", revoking)
    seen = Seen()
    request_started.connect(seen.count, twins.fast)
    exchange = twins.read(twins.fast, path, headers, f"raced-{role}")
    assert (exchange.status, exchange.audit, seen.requests) == (401, [], 1)
    assert not [name for name, _ in exchange.metrics if name.startswith("kinerja_model_answers")]
