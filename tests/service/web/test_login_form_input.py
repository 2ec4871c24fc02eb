"""The login form with text no database column holds: refused as a wrong login, on SQLite and
PostgreSQL (which cannot store or compare a NUL character)."""

from __future__ import annotations

import pytest
from flask import Flask

from tests.service.api.world import PASSWORD
from tests.service.api.world import World
from tests.service.api.world import shared_app  # noqa: F401 (fixture: both databases)
from tests.service.api.world import shared_world  # noqa: F401 (fixture)
from tests.service.web.conftest import csrf_token


@pytest.mark.parametrize("username", ["user-admin\x00", "\x00", "user-\x00admin"])
def test_a_nul_in_the_username_is_a_wrong_login(
    shared_app: Flask,  # noqa: F811 (the fixture)
    shared_world: World,  # noqa: F811 (the fixture)
    username: str,
) -> None:
    client = shared_app.test_client()
    data = {"username": username, "password": PASSWORD, "csrf_token": csrf_token(client)}
    answer = client.post("/login", data=data)
    assert answer.status_code == 401
    assert 'role="alert"' in answer.get_data(as_text=True)
