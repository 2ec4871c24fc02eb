"""Fixtures of the page tests: the API tests' world (one user per role) and signed-in clients."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from service.db.models import AssessmentLevel
from service.db.models import CompetencyAssessment
from service.db.models import CompetencyStandard
from tests.service.api.world import PASSWORD
from tests.service.api.world import World
from tests.service.api.world import build_world

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture
def database_url(tmp_path: Path, sqlite_template: Path) -> Iterator[str]:
    """Pages run on SQLite only: they hold no SQL of their own, and every use case they call
    is tested on SQLite and PostgreSQL by its own tests."""
    path = tmp_path / "kinerja.db"
    shutil.copyfile(sqlite_template, path)
    yield f"sqlite:///{path}"


@pytest.fixture
def world(app: object, session: Session) -> World:
    """Build the organisation of `tests/service/api/world.py` in this test's database."""
    return build_world(session)


def csrf_token(client: FlaskClient, path: str = "/login") -> str:
    """Open `path` and return the CSRF token of its first form."""
    page = client.get(path, follow_redirects=True)
    match = _CSRF.search(page.get_data(as_text=True))
    assert match, f"no form with a CSRF token on {path} ({page.status_code})"
    return match.group(1)


def sign_in(client: FlaskClient, role: str, password: str = PASSWORD) -> object:
    """Sign in through the login form as the world's user of `role`."""
    token = csrf_token(client)
    return client.post(
        "/login",
        data={"username": f"user-{role}", "password": password, "csrf_token": token},
    )


def post_form(client: FlaskClient, path: str, data: dict, page: str = "/") -> object:
    """Post a form with a CSRF token taken from `page` (any page of the signed-in user)."""
    return client.post(path, data={**data, "csrf_token": csrf_token(client, page)})


def add_gaps(
    session: Session, world: World, people: tuple[str, ...] = ("S", "E1", "E2", "T")
) -> None:
    """Hold the world's position to M.02 level 3 and assess `people` at level 1; commit."""
    standard = CompetencyStandard(
        position_id=world.position_id, competency_code="M.02", required_level=3
    )
    session.add(standard)
    for person in people:
        assessment = CompetencyAssessment(
            employee_id=world.employees[person], assessed_on=date(2025, 3, 1), method="cat"
        )
        session.add(assessment)
        session.flush()
        session.add(
            AssessmentLevel(assessment_id=assessment.id, competency_code="M.02", level=1.0)
        )
    session.commit()
