"""Fixtures of the attendance import and allowance tests: the API tests' world, in the test's
own database (`world`) or in the module's shared one (`shared_world`, for refused requests)."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from tests.service.api.world import World
from tests.service.api.world import build_world
from tests.service.api.world import shared_app  # noqa: F401 (fixture)
from tests.service.api.world import shared_world  # noqa: F401 (fixture)


@pytest.fixture
def world(app: object, session: Session) -> World:
    """The organisation of `tests/service/api/world.py` in this test's database."""
    return build_world(session)


@pytest.fixture
def shared_client(shared_app: Flask) -> FlaskClient:  # noqa: F811 (the fixture)
    return shared_app.test_client()
