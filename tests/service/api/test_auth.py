"""POST /auth/token, bearer tokens (expiring, revocable, stored hashed), failed-login limits."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.db.models import ApiToken
from tests.service.api.world import PASSWORD
from tests.service.api.world import World


def _login(client: FlaskClient, username: str = "user-hr", password: str = PASSWORD):  # type: ignore[no-untyped-def]
    return client.post("/api/v1/auth/token", json={"username": username, "password": password})


def test_token_answers_the_contract_and_works(client: FlaskClient, world: World) -> None:
    response = _login(client)
    assert response.status_code == 200
    body = response.json
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 3600
    me = client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.json["role"] == "hr"
    assert me.json["unit_id"] == world.units["A"]


def test_only_a_hash_of_the_token_is_stored(
    client: FlaskClient, world: World, session: Session
) -> None:
    token = _login(client).json["access_token"]
    stored = session.scalars(select(ApiToken.token_hash)).all()
    assert token not in stored
    assert all(len(value) == 64 for value in stored)


def test_wrong_password_and_unknown_user_get_the_same_401(
    client: FlaskClient, world: World
) -> None:
    wrong = _login(client, password="not the password")
    unknown = _login(client, username="nobody")
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json["detail"] == unknown.json["detail"]


def test_revoked_token_is_refused(client: FlaskClient, world: World) -> None:
    headers = {"Authorization": f"Bearer {_login(client).json['access_token']}"}
    assert client.post("/api/v1/auth/revoke", headers=headers).status_code == 204
    assert client.get("/api/v1/auth/me", headers=headers).status_code == 401


def test_expired_token_is_refused(app: Flask, client: FlaskClient, world: World) -> None:
    app.config["API_TOKEN_TTL_SECONDS"] = -1
    headers = {"Authorization": f"Bearer {_login(client).json['access_token']}"}
    assert client.get("/api/v1/auth/me", headers=headers).status_code == 401


def test_account_is_locked_after_repeated_failures(
    app: Flask, client: FlaskClient, world: World
) -> None:
    limit = app.config["LOGIN_MAX_FAILURES_PER_ACCOUNT"]
    for _ in range(limit):
        assert _login(client, password="wrong password").status_code == 401
    locked = _login(client)
    assert locked.status_code == 429
    assert int(locked.headers["Retry-After"]) > 0
    assert _login(client, username="user-admin").status_code == 200


def test_a_success_resets_the_account_count(app: Flask, client: FlaskClient, world: World) -> None:
    limit = app.config["LOGIN_MAX_FAILURES_PER_ACCOUNT"]
    for _ in range(limit - 1):
        _login(client, password="wrong password")
    assert _login(client).status_code == 200
    assert _login(client, password="wrong password").status_code == 401
    assert _login(client).status_code == 200


def test_address_is_limited_across_accounts(app: Flask, client: FlaskClient, world: World) -> None:
    app.config["LOGIN_MAX_FAILURES_PER_ADDRESS"] = 3
    for name in ("a-1", "a-2", "a-3"):
        assert _login(client, username=name, password="wrong password").status_code == 401
    assert _login(client, username="user-data").status_code == 429
