"""Two tabs resending one outbox item at once: a real server, two real requests, one record.

The offline outbox of each open tab resends the forms written offline when the connection
returns, so two tabs may send the same form, with the same idempotency key, at the same
moment (`service.web.idempotency.once`). Here the app is served by werkzeug's threaded server
and two threads post the same form over HTTP; both requests are held until each has looked
the key up and found nothing (the race the key's unique index decides), then let go. Both
must get the first answer (the same redirect and message) and one row be written.

Under `api/` rather than `web/` so that it runs on SQLite and PostgreSQL (the page tests'
fixtures are SQLite only), where the databases decide a duplicate key differently.
"""

from __future__ import annotations

import html
import re
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import requests
from flask import Flask
from sqlalchemy import event
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.serving import make_server

from service.db.models import Evaluation
from service.db.models import FeedbackNote
from service.db.models import IdempotencyRecord
from tests.service.api.world import PASSWORD
from tests.service.api.world import World

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
MESSAGE = re.compile(r'class="message message-(\w+)">([^<]+)<')
KEY = "6b1f4c3e-2d1a-4f7b-9c55-0a7e5d9b1c20"
#: Seconds a request waits for the other at the key's lookup before the test gives up.
MEET_S = 10


@pytest.fixture
def server(app: Flask) -> Iterator[str]:
    """The app on a free port of 127.0.0.1, one thread per request."""
    served = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=served.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{served.server_port}"
    served.shutdown()
    thread.join(timeout=10)


def _signed_in(base: str, role: str) -> requests.Session:
    """A browser's cookies after signing in through the login form."""
    browser = requests.Session()
    token = CSRF.search(browser.get(f"{base}/login").text).group(1)  # type: ignore[union-attr]
    data = {"username": f"user-{role}", "password": PASSWORD, "csrf_token": token}
    signed = browser.post(f"{base}/login", data=data, allow_redirects=False)
    assert signed.status_code == 302 and "login" not in signed.headers["Location"]
    return browser


def _tab(browser: requests.Session) -> requests.Session:
    """Another tab of the same browser: the same session cookie, its own connection."""
    tab = requests.Session()
    tab.cookies.update(browser.cookies)
    return tab


def _meet_at_the_lookup(app: Flask, parties: int) -> threading.Barrier:
    """Hold the first `parties` lookups of the key until all have been made, so that every
    request finds no record (as two tabs sending at the same moment may); a later lookup
    (the loser's, after the unique index refused its record) goes through."""
    barrier, lookups = threading.Barrier(parties, timeout=MEET_S), iter(range(parties))

    def hold(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        lookup = statement.lstrip().startswith("SELECT") and "FROM idempotency_keys" in statement
        if lookup and next(lookups, None) is not None:
            barrier.wait()

    event.listen(app.extensions["db"].engine, "after_cursor_execute", hold)
    return barrier


def _count(session: Session, model: Any) -> int:
    session.expire_all()
    return session.scalar(select(func.count()).select_from(model)) or 0


#: The team page's two outbox forms: a feedback note (no other unique key) and an
#: evaluation (one per employee and period: its own INSERT skips a duplicate).
FORMS = {
    "feedback": (
        FeedbackNote,
        {"period": "2025-Q1", "target": "perilaku", "body": "Rapat dipimpin dengan baik"},
    ),
    "evaluation": (
        Evaluation,
        {
            "period": "2025-Q2",
            "work_result_rating": "sesuai_ekspektasi",
            "behavior_rating": "sesuai_ekspektasi",
        },
    ),
}


@pytest.mark.parametrize("name", sorted(FORMS))
def test_two_tabs_sending_one_form_at_once_write_once_and_both_get_the_first_answer(
    app: Flask, server: str, world: World, session: Session, name: str
) -> None:
    model, fields = FORMS[name]
    browser = _signed_in(server, "supervisor")
    token = CSRF.search(browser.get(f"{server}/team").text).group(1)  # type: ignore[union-attr]
    form = {
        "employee_id": str(world.employees["E1"]),
        **fields,
        "csrf_token": token,
        "idempotency_key": KEY,
    }
    tabs = [_tab(browser), _tab(browser)]
    barrier = _meet_at_the_lookup(app, len(tabs))

    def send(tab: requests.Session) -> requests.Response:
        return tab.post(f"{server}/team/{name}", data=form, allow_redirects=False)

    with ThreadPoolExecutor(len(tabs)) as pool:
        answers = list(pool.map(send, tabs))
    assert not barrier.broken, "both requests looked the key up before either wrote"
    assert [a.status_code for a in answers] == [303, 303], [a.text[:300] for a in answers]
    locations = {a.headers["Location"] for a in answers}
    assert len(locations) == 1 and "/team" in locations.pop()
    assert sorted(a.headers.get("Idempotent-Replayed", "") for a in answers) == ["", "true"]
    shown = [
        MESSAGE.findall(html.unescape(tab.get(server + answer.headers["Location"]).text))
        for tab, answer in zip(tabs, answers, strict=True)
    ]
    assert shown[0] == shown[1] and shown[0][0][0] == "success", shown
    assert (_count(session, model), _count(session, IdempotencyRecord)) == (1, 1)
