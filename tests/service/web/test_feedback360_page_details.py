"""Details of the 360 pages a new user met in the demo: the results page's heading outline
and the closing day of a request, written for the reader's language."""

from __future__ import annotations

import re
from datetime import date
from datetime import timedelta

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from tests.service.api.world import World
from tests.service.feedback360.f360_people import Team
from tests.service.feedback360.f360_people import answer
from tests.service.feedback360.f360_people import build_team
from tests.service.feedback360.f360_people import close
from tests.service.feedback360.f360_people import ratings
from tests.service.feedback360.f360_people import start
from tests.service.web.conftest import csrf_token
from tests.service.web.conftest import sign_in

_HEADING = re.compile(r"<h([1-6])\b")


@pytest.fixture
def team(world: World, session: Session) -> Team:
    return build_team(session, world)


def _round(client: FlaskClient, team: Team, **extra: object) -> int:
    response = start(client, team, {"E1": "self", "S": "supervisor"}, **extra)
    assert response.status_code == 201, response.json
    return int(response.json["id"])


def test_results_page_headings_go_down_one_level_at_a_time(
    client: FlaskClient, team: Team
) -> None:
    """The groups' h3 came right after the page's h1: no h2 named the results section."""
    round_id = _round(client, team)
    answer(client, team, round_id, "S", ratings())
    close(client, team, round_id)
    browser = client.application.test_client()
    sign_in(browser, "employee")
    page = browser.get(f"/feedback360/rounds/{round_id}")
    assert page.status_code == 200
    levels = [int(level) for level in _HEADING.findall(page.get_data(as_text=True))]
    assert levels[0] == 1 and levels.count(1) == 1
    assert all(b <= a + 1 for a, b in zip(levels, levels[1:], strict=False)), levels


def test_a_requests_closing_day_is_written_in_the_readers_language(
    client: FlaskClient, team: Team
) -> None:
    """The rater's list showed the ISO date (`until 2026-12-21`) in both languages."""
    closes_on = date.today() + timedelta(days=14)
    _round(client, team, closes_on=closes_on.isoformat())
    browser = client.application.test_client()
    sign_in(browser, "supervisor")
    indonesian = browser.get("/feedback360").get_data(as_text=True)
    assert closes_on.isoformat() not in indonesian
    assert f"sampai {closes_on.day} " in indonesian
    browser.post(
        "/language",
        data={
            "lang": "en",
            "csrf_token": csrf_token(browser, "/feedback360"),
            "next": "/feedback360",
        },
    )
    english = browser.get("/feedback360").get_data(as_text=True)
    assert closes_on.isoformat() not in english and f"{closes_on.year}" in english
