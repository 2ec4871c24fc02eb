"""Fixtures of the resilience tests: a fresh PostgreSQL database, the trained sample."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy.orm import Session

from tests.conftest import _pg_execute
from tests.conftest import _pg_reachable
from tests.conftest import _pg_url
from tests.service.api.world import World
from tests.service.api.world import build_world
from tests.service.serving.samples import one_openmp_thread  # noqa: F401 (fixture)
from tests.service.serving.samples import risk_sample  # noqa: F401 (fixture)
from tests.service.serving.samples import sample_copy  # noqa: F401 (fixture)


@pytest.fixture
def fresh_pg_url() -> Iterator[str]:
    """An empty PostgreSQL database of its own (no schema), dropped afterwards."""
    if not _pg_reachable():
        pytest.skip("PostgreSQL is not reachable")
    name = f"kinerja_r_{uuid.uuid4().hex[:12]}"
    _pg_execute(f'CREATE DATABASE "{name}"')
    yield _pg_url(name)
    _pg_execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def world(app: object, session: Session) -> World:
    """The API tests' organisation (one user per role) in this test's database."""
    return build_world(session)
