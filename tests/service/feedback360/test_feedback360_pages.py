"""The 360 feedback pages: a rater's list and answer form, the results, the evaluation form's
summary. Pages hold no SQL of their own, so they run on SQLite only (the use cases are
tested on both databases by the API tests of this folder)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from service.domain.entities import BerakhlakValue
from tests.service.feedback360.f360_people import ABOVE
from tests.service.feedback360.f360_people import BELOW
from tests.service.feedback360.f360_people import MEETS
from tests.service.feedback360.f360_people import Team
from tests.service.feedback360.f360_people import answer
from tests.service.feedback360.f360_people import close
from tests.service.feedback360.f360_people import ratings
from tests.service.feedback360.f360_people import start
from tests.service.web.conftest import post_form
from tests.service.web.conftest import sign_in


@pytest.fixture
def database_url(tmp_path: Path, sqlite_template: Path) -> Iterator[str]:
    path = tmp_path / "kinerja.db"
    shutil.copyfile(sqlite_template, path)
    yield f"sqlite:///{path}"


def _round(client: FlaskClient, team: Team, peers: tuple[str, ...]) -> int:
    raters = {"E1": "self", "S": "supervisor"} | dict.fromkeys(peers, "peer")
    response = start(client, team, raters)
    assert response.status_code == 201, response.json
    return int(response.json["id"])


def _form(rating: str) -> dict[str, str]:
    return {f"value_{v.value}": rating for v in BerakhlakValue}


def test_a_rater_answers_through_the_form_once(client: FlaskClient, team: Team) -> None:
    round_id = _round(client, team, ("P1", "P2", "P3"))
    browser = client.application.test_client()
    sign_in(browser, "P1")
    listing = browser.get("/feedback360").get_data(as_text=True)
    assert f"/feedback360/rounds/{round_id}/answer" in listing and "Pegawai E1" in listing
    form = browser.get(f"/feedback360/rounds/{round_id}/answer").get_data(as_text=True)
    assert "anonim" in form  # the anonymous group is told so, in Indonesian by default
    path = f"/feedback360/rounds/{round_id}/answer"
    partial = _form(MEETS) | {"value_loyal": ""}
    refused = post_form(browser, path, partial, page=path)
    assert refused.status_code == 422
    assert 'id="a-loyal-error"' in refused.get_data(as_text=True)
    sent = post_form(browser, path, _form(ABOVE) | {"comment": "Teliti"}, page=path)
    assert sent.status_code == 303 and sent.headers["Location"].endswith("/feedback360")
    assert browser.get(path).status_code == 404  # nothing waits any more


def test_results_page_shows_aggregates_and_hides_small_groups(
    client: FlaskClient, team: Team
) -> None:
    round_id = _round(client, team, ("P1", "P2", "P3"))
    answer(client, team, round_id, "P1", ratings(BELOW), comment="secret-small")
    answer(client, team, round_id, "P2", ratings(ABOVE))
    answer(client, team, round_id, "S", ratings(MEETS), comment="Supervisor says")
    close(client, team, round_id)
    browser = client.application.test_client()
    sign_in(browser, "employee")
    page = browser.get(f"/feedback360/rounds/{round_id}").get_data(as_text=True)
    assert "Supervisor says" in page
    assert "secret-small" not in page and "Tidak ditampilkan" in page
    assert f"/feedback360/rounds/{round_id}" in browser.get("/feedback360").get_data(as_text=True)
    sign_in(browser, "P1")
    assert browser.get(f"/feedback360/rounds/{round_id}").status_code == 404


def test_the_evaluation_form_shows_the_latest_closed_round(
    client: FlaskClient, team: Team
) -> None:
    round_id = _round(client, team, ("P1", "P2", "P3"))
    for who, comment in (("P1", "c360-zeta"), ("P2", "c360-alpha"), ("P3", "c360-mid")):
        answer(client, team, round_id, who, ratings(MEETS), comment=comment)
    browser = client.application.test_client()
    sign_in(browser, "supervisor")
    member = team.id("E1")
    assert "feedback360-summary" not in browser.get(f"/team?member={member}").get_data(
        as_text=True
    )  # still open: nothing to show
    close(client, team, round_id)
    page = browser.get(f"/team?member={member}").get_data(as_text=True)
    assert "feedback360-summary" in page
    assert page.index("c360-alpha") < page.index("c360-mid") < page.index("c360-zeta")
    assert browser.get("/team?member=999999").status_code == 200  # nobody visible: no summary
