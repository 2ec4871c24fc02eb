"""Fixtures of the API tests: the standard world (one user per role) on the test database."""

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
    """Build the organisation of `world.py` in this test's database."""
    return build_world(session)


@pytest.fixture
def shared_client(shared_app: Flask) -> FlaskClient:  # noqa: F811 (the fixture)
    """A client of the module's shared app (see `world.shared_app`)."""
    return shared_app.test_client()
