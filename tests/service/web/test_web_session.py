"""Session login of the pages: cookies, CSRF, sign-out on the server, idle timeout, redirects."""

from __future__ import annotations

import html
import re
import time
from typing import Any

import flask
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from service import create_app
from service.db.models import ApiToken
from service.domain.entities import Role
from service.domain.users import create_user
from service.web.session import SEEN_KEY
from service.web.session import safe_next
from tests.service.api.world import PASSWORD
from tests.service.api.world import World
from tests.service.web.conftest import csrf_token
from tests.service.web.conftest import post_form
from tests.service.web.conftest import sign_in

HOMES = {
    "supervisor": "/team",
    "employee": "/employees/{E1}",
    "hr": "/units/{A}/training-needs",
    "data": "/models",
    "admin": None,
}


def _home(world: World, role: str) -> str | None:
    target = HOMES[role]
    return None if target is None else target.format(**world.employees, **world.units)


@pytest.mark.parametrize("role", sorted(HOMES))
def test_sign_in_sends_each_role_to_its_home(client: FlaskClient, world: World, role: str) -> None:
    answer = sign_in(client, role)
    assert answer.status_code == 302
    assert answer.headers["Location"] == "/"
    home = client.get("/")
    expected = _home(world, role)
    if expected is None:
        assert home.status_code == 200
        assert "<h1>" in home.get_data(as_text=True)
    else:
        assert (home.status_code, home.headers["Location"]) == (302, expected)


@pytest.mark.parametrize("role", ["supervisor", "employee", "hr"])
def test_a_login_without_an_employee_gets_a_home_page_that_opens(
    client: FlaskClient, world: World, session: Session, role: str
) -> None:
    """A supervisor's home is the team page, which refuses a login without an employee."""
    create_user(session, f"lone-{role}", PASSWORD, Role(role))
    session.commit()
    token = csrf_token(client)
    data = {"username": f"lone-{role}", "password": PASSWORD, "csrf_token": token}
    client.post("/login", data=data)
    assert client.get("/", follow_redirects=True).status_code == 200


def test_session_cookie_is_http_only_and_same_site(client: FlaskClient, world: World) -> None:
    cookie = sign_in(client, "employee").headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert "Secure" not in cookie  # test mode runs over plain http


def test_session_cookie_is_secure_in_production(app_config: dict[str, Any], world: World) -> None:
    production = create_app({**app_config, "KINERJA_ENV": "production"}, use_env=False)
    try:
        cookie = production.test_client().get("/login").headers["Set-Cookie"]
    finally:
        production.extensions["db"].engine.dispose()
    assert "Secure" in cookie


def test_login_over_plain_http_in_production_says_why_it_cannot_work(
    app_config: dict[str, Any], world: World
) -> None:
    production = create_app({**app_config, "KINERJA_ENV": "production"}, use_env=False)
    try:
        plain = production.test_client().get("/login").get_data(as_text=True)
        secure = production.test_client().get("/login", base_url="https://localhost")
    finally:
        production.extensions["db"].engine.dispose()
    assert "HTTPS" in plain
    assert "HTTPS" not in secure.get_data(as_text=True)


@pytest.mark.parametrize(
    ("username", "password", "status"),
    [
        ("user-employee", "wrong password 123", 401),
        ("nobody-at-all", "correct horse battery staple", 401),
        ("", "", 422),
    ],
)
def test_sign_in_refuses_bad_credentials(
    client: FlaskClient, world: World, username: str, password: str, status: int
) -> None:
    answer = client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": csrf_token(client)},
    )
    assert answer.status_code == status
    assert 'role="alert"' in answer.get_data(as_text=True)
    assert client.get("/").status_code == 302
    assert client.get("/").headers["Location"].startswith("/login")


def test_repeated_failures_lock_the_account(client: FlaskClient, world: World) -> None:
    for _attempt in range(5):
        assert sign_in(client, "employee", password="not the password").status_code == 401
    locked = sign_in(client, "employee")
    assert locked.status_code == 429
    assert int(locked.headers["Retry-After"]) > 0


def test_form_without_csrf_token_is_refused(client: FlaskClient, world: World) -> None:
    answer = client.post(
        "/login", data={"username": "user-employee", "password": "correct horse battery staple"}
    )
    assert answer.status_code == 400
    assert client.get("/").headers["Location"].startswith("/login")


def test_form_with_a_forged_csrf_token_is_refused(client: FlaskClient, world: World) -> None:
    sign_in(client, "employee")
    answer = client.post("/logout", data={"csrf_token": "forged"})
    assert answer.status_code == 400
    assert client.get("/").status_code == 302
    assert not client.get("/").headers["Location"].startswith("/login")


def test_sign_out_revokes_the_session_on_the_server(
    client: FlaskClient, world: World, session: Session
) -> None:
    sign_in(client, "employee")
    stolen = client.get_cookie("kinerja_session").value
    assert post_form(client, "/logout", {}).headers["Location"] == "/login"
    thief = client.application.test_client()
    thief.set_cookie("kinerja_session", stolen)
    answer = thief.get(f"/employees/{world.employees['E1']}")
    assert answer.status_code == 302
    assert answer.headers["Location"].startswith("/login")
    tokens = session.scalars(select(ApiToken).where(ApiToken.user_id == world.users["employee"]))
    assert [t.revoked_at is not None for t in tokens][-1]


def test_idle_session_ends_and_its_token_is_revoked(
    client: FlaskClient, app: Flask, world: World, session: Session
) -> None:
    sign_in(client, "employee")
    idle = app.config["WEB_IDLE_TIMEOUT_SECONDS"]
    assert idle == 30 * 60
    with client.session_transaction() as cookie_session:
        cookie_session[SEEN_KEY] = int(time.time()) - idle - 5
    answer = client.get(f"/employees/{world.employees['E1']}")
    assert answer.status_code == 302
    assert "/login" in answer.headers["Location"]
    assert "expired=1" in answer.headers["Location"]
    login_page = client.get(answer.headers["Location"]).get_data(as_text=True)
    assert 'role="status"' in login_page
    revoked = session.scalars(select(ApiToken.revoked_at)).all()
    assert revoked and all(at is not None for at in revoked[-1:])


def test_a_form_sent_after_the_session_ended_signs_in_again_to_a_page_that_opens(
    client: FlaskClient, app: Flask, world: World
) -> None:
    """The form's address takes only POST: signing in again must not lead back to it."""
    sign_in(client, "supervisor")
    token = csrf_token(client, "/team")
    with client.session_transaction() as cookie_session:
        cookie_session[SEEN_KEY] = int(time.time()) - app.config["WEB_IDLE_TIMEOUT_SECONDS"] - 5
    answer = client.post("/team/feedback", data={"csrf_token": token, "body": "Bagus"})
    assert answer.status_code == 302
    login_page = client.get(answer.headers["Location"]).get_data(as_text=True)
    login_form = login_page.split('action="/login"', 1)[1].split("</form>", 1)[0]
    back_to = re.search(r'name="next" value="([^"]*)"', login_form)
    data = {"username": "user-supervisor", "password": PASSWORD, "csrf_token": csrf_token(client)}
    data.update({"next": html.unescape(back_to.group(1))} if back_to else {})
    assert client.post("/login", data=data, follow_redirects=True).status_code == 200


def test_active_session_stays_signed_in(client: FlaskClient, app: Flask, world: World) -> None:
    sign_in(client, "employee")
    with client.session_transaction() as cookie_session:
        cookie_session[SEEN_KEY] = int(time.time()) - app.config["WEB_IDLE_TIMEOUT_SECONDS"] + 60
    assert client.get(f"/employees/{world.employees['E1']}").status_code == 200


def test_pages_send_strangers_to_the_login_form(client: FlaskClient, world: World) -> None:
    answer = client.get(f"/employees/{world.employees['E1']}")
    assert answer.status_code == 302
    assert answer.headers["Location"].startswith("/login?next=/employees/")


def test_sign_in_returns_to_the_page_asked_for(client: FlaskClient, world: World) -> None:
    target = f"/employees/{world.employees['E1']}"
    answer = client.post(
        "/login",
        data={
            "username": "user-employee",
            "password": "correct horse battery staple",
            "next": target,
            "csrf_token": csrf_token(client),
        },
    )
    assert answer.headers["Location"] == target


@pytest.mark.parametrize(
    ("target", "safe"),
    [
        ("/team", "/team"),
        ("/employees/4?x=1", "/employees/4?x=1"),
        ("//evil.example/", None),
        ("https://evil.example/", None),
        ("/\\evil.example", None),
        ("team", None),
        ("", None),
        (None, None),
    ],
)
def test_safe_next_keeps_only_local_paths(target: str | None, safe: str | None) -> None:
    assert safe_next(target) == safe


def test_pages_forbid_framing_and_foreign_scripts(client: FlaskClient, world: World) -> None:
    headers = client.get("/login").headers
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    assert "script-src 'self'" in headers["Content-Security-Policy"]
    assert headers["Cache-Control"] == "no-store"
    assert headers["X-Content-Type-Options"] == "nosniff"


def test_the_api_neither_reads_nor_renews_the_pages_cookie_session(
    client: FlaskClient, world: World
) -> None:
    """A signed-in browser's cookie is no credential for the API, and the API never sets one."""
    sign_in(client, "employee")
    assert client.get_cookie("kinerja_session") is not None
    answer = client.get(f"/api/v1/employees/{world.employees['E1']}")
    assert answer.status_code == 401
    assert answer.content_type == "application/problem+json"
    assert "Set-Cookie" not in answer.headers
    page = client.get(f"/employees/{world.employees['E1']}")
    assert page.status_code == 200  # the pages still read the same cookie
    cookie = {"Cookie": f"kinerja_session={client.get_cookie('kinerja_session').value}"}
    app = client.application
    for path, opened in (("/api/v1/units", False), ("/team", True)):
        with app.test_request_context(path, headers=cookie):
            assert app.session_interface.is_null_session(flask.session) is not opened
            assert (SEEN_KEY in flask.session) is opened
