"""Starting and closing a 360 round through the pages (`/employees/<id>/feedback360`).

The page sends the ticked raters to the API's use case, so the round it starts is the one
`GET /api/v1/employees/{id}/feedback-rounds` lists, and a nomination the API refuses is
refused by the form too. SQLite only, as the other page tests (no SQL of their own).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from tests.factories import make_employee
from tests.service.feedback360.f360_people import Team
from tests.service.feedback360.f360_people import group
from tests.service.web.conftest import post_form
from tests.service.web.conftest import sign_in


@pytest.fixture
def database_url(tmp_path: Path, sqlite_template: Path) -> Iterator[str]:
    path = tmp_path / "kinerja.db"
    shutil.copyfile(sqlite_template, path)
    yield f"sqlite:///{path}"


def _form(team: Team, period: str, **groups: tuple[str, ...]) -> dict[str, list[str] | str]:
    form: dict[str, list[str] | str] = {"period": period}
    for name, people in groups.items():
        form[f"rater_{name}"] = [str(team.id(p)) for p in people]
    return form


def test_a_supervisor_starts_and_closes_a_round_through_the_page(
    client: FlaskClient, team: Team
) -> None:
    browser = client.application.test_client()
    sign_in(browser, "supervisor")
    path = f"/employees/{team.id('E1')}/feedback360"
    page = browser.get(path).get_data(as_text=True)
    for name in ("P1", "HP", "D1"):  # peers and subordinates are offered by name
        assert f'value="{team.id(name)}"' in page
    assert "Mulai putaran umpan balik" in page  # Indonesian by default

    too_few = _form(team, "2025", self=("E1",), peer=("P1", "P2"))
    refused = post_form(browser, path, too_few, page=path)
    assert refused.status_code == 422
    assert "jawaban mereka anonim" in refused.get_data(as_text=True)
    wrong_group = _form(team, "2025", peer=("P1", "P2", "D1"))  # D1 reports to E1
    assert post_form(browser, path, wrong_group, page=path).status_code == 422

    chosen = _form(team, "2025", self=("E1",), supervisor=("S",), peer=("P1", "P2", "P3"))
    started = post_form(browser, path, chosen, page=path)
    assert started.status_code == 303 and started.headers["Location"].endswith(path)
    listed = client.get(
        f"/api/v1/employees/{team.id('E1')}/feedback-rounds", headers=team.headers("supervisor")
    ).json["items"]
    assert len(listed) == 1 and listed[0]["period"] == "2025"
    assert group(listed[0], "peer")["nominated"] == 3
    assert group(listed[0], "self")["nominated"] == 1
    again = post_form(browser, path, chosen, page=path)
    assert again.status_code == 409  # one round per employee and period, as the API

    round_id = listed[0]["id"]
    closed = post_form(browser, f"/feedback360/rounds/{round_id}/close", {}, page=path)
    assert closed.status_code == 303
    assert closed.headers["Location"].endswith(f"/feedback360/rounds/{round_id}")
    assert (
        post_form(browser, f"/feedback360/rounds/{round_id}/close", {}, page=path).status_code
        == 409
    )


def test_the_employee_sees_the_rounds_but_no_start_form(client: FlaskClient, team: Team) -> None:
    browser = client.application.test_client()
    sign_in(browser, "employee")
    path = f"/employees/{team.id('E1')}/feedback360"
    page = browser.get(path)
    assert page.status_code == 200
    assert "rater_peer" not in page.get_data(as_text=True)
    refused = post_form(browser, path, _form(team, "2025", self=("E1",)), page=path)
    assert refused.status_code == 403


def test_the_form_offers_only_people_the_starter_may_see(
    client: FlaskClient, team: Team, session: Session
) -> None:
    """hr over unit A starts a round on Y (unit A1) whose supervisor X and one colleague sit
    in unit B: their names and NIPs are not hr's to see, so the form leaves them out (the
    API would refuse them as raters anyway)."""
    world, position = team.world, team.world.position_id
    boss = make_employee(session, unit_id=world.units["B"], position_id=position, name="Bos X")
    rated = make_employee(
        session, unit_id=world.units["A1"], position_id=position, supervisor_id=boss.id
    )
    hidden = make_employee(
        session, unit_id=world.units["B"], position_id=position, supervisor_id=boss.id
    )
    seen = make_employee(
        session, unit_id=world.units["A1"], position_id=position, supervisor_id=boss.id
    )
    session.commit()
    browser = client.application.test_client()
    sign_in(browser, "hr")
    page = browser.get(f"/employees/{rated.id}/feedback360")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert f'value="{seen.id}"' in text and seen.nip in text
    for person in (boss, hidden):
        assert f'value="{person.id}"' not in text
        assert person.nip not in text and person.name not in text
