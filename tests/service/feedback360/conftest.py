"""Fixtures of the 360 feedback tests: the API tests' world plus colleagues who rate.

`team` is built in the test's own database; `shared_team` in the module's shared database
(`world.shared_app`), for tests that only add rows of their own or are refused.
"""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from tests.service.api.world import World
from tests.service.api.world import build_world
from tests.service.api.world import shared_app  # noqa: F401 (fixture)
from tests.service.api.world import shared_world  # noqa: F401 (fixture)
from tests.service.feedback360.f360_people import Team
from tests.service.feedback360.f360_people import build_team


@pytest.fixture
def world(app: object, session: Session) -> World:
    """The organisation of `tests/service/api/world.py` in this test's database."""
    return build_world(session)


@pytest.fixture
def team(world: World, session: Session) -> Team:
    """E1's peers (P1-P4, reporting to S), its reports (E2, D1, D2) and a peer with the hr
    role (HP); each with a login."""
    return build_team(session, world)


@pytest.fixture(scope="module")
def shared_team(shared_app: Flask, shared_world: World) -> Team:  # noqa: F811 (fixtures)
    """The same team in the module's shared database."""
    with shared_app.extensions["db"].sessions() as session:
        return build_team(session, shared_world)


@pytest.fixture
def shared_client(shared_app: Flask) -> FlaskClient:  # noqa: F811 (the fixture)
    return shared_app.test_client()
