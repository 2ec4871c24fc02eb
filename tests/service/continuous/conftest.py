"""Fixtures of the continuous-performance tests (issue 8): the API tests' standard world."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from tests.service.api.world import World
from tests.service.api.world import build_world


@pytest.fixture
def world(app: object, session: Session) -> World:
    """Build the organisation of `tests/service/api/world.py` in this test's database."""
    return build_world(session)
