"""The risk read's fast path: a memo hit answered in front of Flask, byte for byte the same.

`GET /api/v1/employees/{id}/risk` is the service's hot read, and once this worker's memo
(`service.auth.memo`) holds the caller's token, the access decision and the stored answer at
the current change generation, the answer costs the audit INSERT (or, for one's own risk, a
primary-key read of the counter). Flask's request cycle around it (request and app
contexts, routing, hooks, signals, spectree, the response object) cost more than that
answer itself.

`wrap(app)` puts `FastRisk` in front of `app.wsgi_app` (the last line of `create_app`). For a
plain `GET` of that path (no query string, no body) it makes the route's own decisions with
the route's own functions, in the route's order, on a session that may not touch the
database (`MemoOnlySession`), at the generation the memo holds (the latest one a request of
this worker read):

- the request id (`request_id_from`), the in-flight gauge, the clock;
- the bearer token (`bearer_token_in`), the caller and the role rule of the view
  (`authorized_actor`, with the view's own `__access__`);
- the visibility and the stored answer (`visible_risk`'s decisions, then
  `ModelProvider.stored_risk`, from this worker's memo at that generation);
- the body and its headers, as spectree writes the view's `RiskOut` (`risk_out`,
  spectree's `dump_json`), once per answer the memo shares (kept in the memo with the answer
  it was made of: an answer is never changed, and a new generation or model version makes a
  new one);
- then the check that the generation is still the current one (`confirm`): for someone
  else's risk the audit row itself, written only while the counter reads that generation
  (`record_read_at`: one statement, committed before the answer leaves, where a read of the
  counter used to come first and the INSERT last), for one's own a read of the counter; the
  check comes after every decision, so an answer is never staler than a read of the counter
  before them would have allowed;
- the answer counted for /metrics (`ModelProvider.risk.count`), the headers the API adds
  (`Cache-Control: no-store`, `X-Request-ID`), the request's histogram sample and its JSON
  log line (`observe`, `write_request_line`).

Whenever one of these would need anything else (no or a malformed token, a token or a
decision or an answer not in the memo at this generation, a generation that moved, a live
answer, a 401/403/404, any error) nothing has been written yet and the request goes on to
Flask untouched, which answers it the usual way (reading the counter again). The audit row
is the last thing that can fail, so a failure never leaves a row for an answer Flask then
makes again. One exception: a statement the database did not answer in time (the
`KINERJA_DB_STATEMENT_TIMEOUT_MS` bound, a lock held elsewhere, the database unreachable, a
full pool: the errors `service.ops.unavailable` answers) is answered here, with the 503
problem and `Retry-After` that Flask's handler gives (`unavailable`), since Flask would run
the same statements again and keep the client waiting for the limit a second time.

The headers are written here as the API's hooks write them (`Cache-Control: no-store` from
`service.api`, `X-Request-ID` from `service.ops.request_id`; the pages' cookie session is
not opened for `/api/`): the test compares every header of both paths, so a hook added to
the API without its counterpart here fails it.

`KINERJA_RISK_FAST_PATH=false` leaves `app.wsgi_app` alone, to compare
(`tests/service/api/test_fast_risk.py` checks that both give the same answers, audit rows,
log lines and metrics).
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable
from collections.abc import Iterable
from typing import Any

from flask import Flask
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from service.api.openapi import spec
from service.api.schemas.risk import RiskOut
from service.auth import policy
from service.auth.decorators import authorized_actor
from service.auth.decorators import bearer_token_in
from service.auth.decorators import token_cache
from service.auth.decorators import worker_memo
from service.auth.memo import MemoAt
from service.db.repositories.access import change_generation
from service.domain.audit import Actor
from service.domain.audit import record_read_at
from service.domain.risk import RESOURCE
from service.ops.logging import write_request_line
from service.ops.metrics import enter_flight
from service.ops.metrics import leave_flight
from service.ops.metrics import observe
from service.ops.request_id import HEADER
from service.ops.request_id import request_id_from
from service.ops.unavailable import UNAVAILABLE_ERRORS
from service.ops.unavailable import handle_database_unavailable
from service.serving import ModelProvider
from service.serving.loader import LoadedModel
from service.serving.loader import ModelSource

SETTING = "KINERJA_RISK_FAST_PATH"
ENDPOINT = "api.get_risk"
#: Paths worth asking the router about; the router (the app's own url_map) decides.
_CANDIDATE = re.compile(r"/api/v1/employees/[0-9]+/risk")
MAX_ROUTES = 10_000
_BODY = "fast risk body"  # memo key: (_BODY, id(answer)) -> (answer, (body, headers))
_OFF = {"false", "0", "no", "off"}
_STATUS = {200: "200 OK", 503: "503 SERVICE UNAVAILABLE"}
log = logging.getLogger(__name__)

StartResponse = Callable[..., Any]
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


class NeedsDatabase(Exception):
    """The fast path would have to query the database: Flask answers instead."""


class MemoOnlySession(Session):
    """A session whose every query raises `NeedsDatabase` (`get_bind()` still works).

    The use cases ask the memo first and the session only on a miss, so handing them this
    session runs the route's own code and stops it at its first miss, before it wrote
    anything. `_connection_for_bind` is where every statement and `connection()` gets its
    connection (SQLAlchemy 2.0). It says it is in a transaction, so that a `LoneSelect`
    (the employee card) asks it for its connection, and so raises, instead of running on
    this thread's own connection.
    """

    def _connection_for_bind(self, *_args: Any, **_kwargs: Any) -> Any:
        raise NeedsDatabase

    def in_transaction(self) -> bool:
        return True


def risk_out(answer: dict[str, Any]) -> RiskOut:
    """The route's response model of an answer, which spectree writes with `dump_json`.

    Here, not in `service.api.risk`, so that the route imports the fast path (which
    `create_app` finds as `api.fast_risk`) and not the other way round.
    """
    return RiskOut.model_validate(answer)


def enabled(app: Flask) -> bool:
    """Whether `app` answers memo hits of the risk read in front of Flask: unless the setting
    is false (`false`, `0`, `no`, `off`, any case), it does."""
    return str(app.config.get(SETTING, True)).strip().lower() not in _OFF


def wrap(app: Flask) -> WsgiApp:
    """`app.wsgi_app`, with the fast path in front of it when enabled and the route exists."""
    if not enabled(app) or ENDPOINT not in app.view_functions:
        return app.wsgi_app
    return FastRisk(app, app.wsgi_app)


class FastRisk:
    """WSGI middleware: answer a memo hit of the risk read, hand anything else to `wsgi_app`."""

    def __init__(self, app: Flask, wsgi_app: WsgiApp) -> None:
        self.app = app
        self.wsgi_app = wsgi_app
        self.allowed = app.view_functions[ENDPOINT].__access__
        self.router = app.url_map.bind("")
        self.routes: dict[str, tuple[str, int] | None] = {}
        self.sessions = threading.local()  # each thread's MemoOnlySession, reused

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        target = self.target(environ)
        reply = None if target is None else self.answer(environ, *target)
        if reply is None:
            return self.wsgi_app(environ, start_response)
        status, body, headers = reply
        start_response(status, headers)
        return [body]

    def target(self, environ: dict[str, Any]) -> tuple[str, int] | None:
        """The route template and employee id of a plain GET of the risk read, else None."""
        path = environ.get("PATH_INFO", "")
        plain = (
            environ.get("REQUEST_METHOD") == "GET"
            and not environ.get("QUERY_STRING")
            and environ.get("CONTENT_LENGTH", "0") in ("", "0")
            and "HTTP_TRANSFER_ENCODING" not in environ
        )
        if not plain or _CANDIDATE.fullmatch(path) is None:
            return None
        if path not in self.routes:
            if len(self.routes) >= MAX_ROUTES:
                self.routes = {}  # a burst of distinct paths: start over, never grow
            self.routes[path] = self.route(path)
        return self.routes[path]

    def route(self, path: str) -> tuple[str, int] | None:
        """What the app's router makes of `path`: the risk read's template and id, or None.

        Kept per path (`routes`): matching costs a tenth of a fast answer, and the rules do
        not change once the app is made.
        """
        try:
            rule, values = self.router.match(path, "GET", return_rule=True)
        except Exception:  # noqa: BLE001 (a 404 or a redirect: Flask says so)
            return None
        if rule.endpoint != ENDPOINT:
            return None
        return rule.rule, values["employee_id"]

    def answer(
        self, environ: dict[str, Any], endpoint: str, employee_id: int
    ) -> tuple[str, bytes, list[tuple[str, str]]] | None:
        """The status line, body and headers of the read when it is a memo hit (or its
        statement was not answered in time: 503), else None (nothing done)."""
        started = time.perf_counter()
        request_id = request_id_from(environ.get("HTTP_X_REQUEST_ID"))
        enter_flight()
        try:
            body, headers, counted = self.answered_body(environ, employee_id, request_id)
            status = 200
        except UNAVAILABLE_ERRORS as error:  # Flask would wait for it again: 503 here
            self.sessions.session = None
            (body, headers), status, counted = self.unavailable(error), 503, None
        except Exception:  # noqa: BLE001 (whatever it is, Flask answers it the usual way)
            self.sessions.session = None  # a session a query stopped in is not reused
            log.debug("risk read handed to Flask", exc_info=True)
            return None
        finally:
            leave_flight()
        if counted is not None:
            source, served = counted
            source.count(served)  # the answer is given: counted once, for /metrics
        duration_ms = (time.perf_counter() - started) * 1000
        observe("GET", endpoint, status, duration_ms)
        write_request_line(request_id, "GET", environ["PATH_INFO"], status, duration_ms)
        return _STATUS[status], body, [*headers, (HEADER, request_id)]

    def unavailable(self, error: SQLAlchemyError) -> tuple[bytes, list[tuple[str, str]]]:
        """The 503 problem Flask answers `error` with (`handle_database_unavailable`, which
        also logs it), and the API's `Cache-Control`; all but `X-Request-ID`."""
        with self.app.app_context():
            response = handle_database_unavailable(error)
        response.headers.setdefault("Cache-Control", "no-store")
        return response.get_data(), list(response.headers.items())

    def answered_body(
        self, environ: dict[str, Any], employee_id: int, request_id: str
    ) -> tuple[bytes, list[tuple[str, str]], tuple[ModelSource, LoadedModel | None]]:
        """The route's decisions, body (and its headers but the request id), audit row, and
        whom to count the answer with; raises where Flask must answer, before anything was
        written."""
        token = bearer_token_in(environ.get("HTTP_AUTHORIZATION", ""))
        models: ModelProvider | None = self.app.extensions.get("models")
        memo = worker_memo(self.app)
        generation = memo.generation  # confirmed below, once everything is decided
        if models is None or generation is None:
            raise NeedsDatabase  # no provider or nothing kept yet: Flask makes them
        engine = self.app.extensions["db"].engine
        session = self.memo_session(engine)
        cache = token_cache(self.app)
        actor = authorized_actor(session, token, self.allowed, request_id, cache, generation)
        kept = memo.at(generation)
        # `visible_risk`'s decisions, in its order; the stored answer, counted once given
        policy.require_role(actor, policy.PERSONAL_DATA_ROLES)
        card = policy.visible_employee_card(session, actor, employee_id, kept)
        found = models.stored_risk(session, card.id, kept)
        if found is None:
            raise NeedsDatabase  # computed live: Flask
        answer, served = found
        body, headers = body_of(answer, kept)
        confirm(session, engine, actor, employee_id, generation)
        return body, headers, (models.risk, served)

    def memo_session(self, engine: Engine) -> MemoOnlySession:
        """This thread's `MemoOnlySession`: made once (a session costs more than the memo's
        answer), again after a read that raised (`answer`)."""
        session: MemoOnlySession | None = getattr(self.sessions, "session", None)
        if session is None:
            session = self.sessions.session = MemoOnlySession(bind=engine)
        return session


def confirm(
    session: Session, engine: Engine, actor: Actor, employee_id: int, generation: int
) -> None:
    """Make a read decided at `generation` final, or raise `NeedsDatabase` (nothing written).

    Someone else's risk: the audit row, written only while the change counter still reads
    `generation` (`record_read_at`, one statement). One's own: a read of the counter. Either
    way the generation is checked after every decision was made, so the answer is never
    staler than a read of the counter before them would have allowed.
    """
    if actor.is_self(employee_id):
        if change_generation(engine) != generation:
            raise NeedsDatabase
    elif not record_read_at(session, actor, RESOURCE, employee_id, generation):
        raise NeedsDatabase


def body_of(answer: dict[str, Any], memo: MemoAt) -> tuple[bytes, list[tuple[str, str]]]:
    """The body spectree writes for `answer` and its headers, made once per answer the memo
    shares (all but `X-Request-ID`, the request's own).

    Kept in the memo next to the answer it was made of, and used only for that very object
    (answers are shared read-only, `ModelProvider.risk_for`): a new generation, a new model
    version or an answer made anew is a new object, so it gets a body of its own.
    """
    key = (_BODY, id(answer))
    kept = memo.get(key)
    if kept is not None and kept[0] is answer:
        made: tuple[bytes, list[tuple[str, str]]] = kept[1]
        return made
    body: bytes = spec.model_adapter.dump_json(risk_out(answer))
    headers = [
        ("Content-Type", "application/json"),
        ("Content-Length", str(len(body))),
        ("Cache-Control", "no-store"),
    ]
    memo.put(key, (answer, (body, headers)))
    return body, headers
