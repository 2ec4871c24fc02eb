"""The login form with text no database column holds: refused as a wrong login, on SQLite and
PostgreSQL (which cannot store or compare a NUL character)."""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from tests.conftest import _pg_execute
from tests.conftest import _pg_url
from tests.service.api.world import PASSWORD
from tests.service.api.world import World
from tests.service.web.conftest import csrf_token


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(
    request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path, pg_template: str | None
) -> Iterator[str]:
    """Both databases here (the other page tests run on SQLite only)."""
    if request.param == "sqlite":
        path = tmp_path / "kinerja.db"
        shutil.copyfile(sqlite_template, path)
        yield f"sqlite:///{path}"
        return
    if pg_template is None:
        pytest.skip("PostgreSQL is not reachable")
    name = f"kinerja_t_{uuid.uuid4().hex[:12]}"
    _pg_execute(f'CREATE DATABASE "{name}" TEMPLATE "{pg_template}"')
    yield _pg_url(name)
    _pg_execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.mark.parametrize("username", ["user-admin\x00", "\x00", "user-\x00admin"])
def test_a_nul_in_the_username_is_a_wrong_login(
    client: FlaskClient, world: World, username: str
) -> None:
    data = {"username": username, "password": PASSWORD, "csrf_token": csrf_token(client)}
    answer = client.post("/login", data=data)
    assert answer.status_code == 401
    assert 'role="alert"' in answer.get_data(as_text=True)
