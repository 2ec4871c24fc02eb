"""360 feedback rounds over HTTP: who starts them, whom they may nominate, answering once."""

from __future__ import annotations

from datetime import date
from datetime import timedelta

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.db.models import FeedbackAnswer
from service.db.models import FeedbackRound
from tests.service.feedback360.f360_people import ABOVE
from tests.service.feedback360.f360_people import FULL_RATERS
from tests.service.feedback360.f360_people import Team
from tests.service.feedback360.f360_people import answer
from tests.service.feedback360.f360_people import close
from tests.service.feedback360.f360_people import group
from tests.service.feedback360.f360_people import ratings
from tests.service.feedback360.f360_people import start


def _answers(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(FeedbackAnswer)) or 0


def test_supervisor_starts_a_round_and_sees_counts_only(client: FlaskClient, team: Team) -> None:
    response = start(client, team, FULL_RATERS, **{"closes_on": str(date.today())})
    assert response.status_code == 201, response.json
    body = response.json
    assert body["employee_id"] == team.id("E1") and body["status"] == "open"
    assert {g["group"]: (g["nominated"], g["answered"]) for g in body["groups"]} == {
        "supervisor": (1, 0),
        "peer": (3, 0),
        "subordinate": (3, 0),
        "self": (1, 0),
    }
    assert set(group(body, "peer")) == {"group", "anonymous", "nominated", "answered"}
    again = start(client, team, {"E1": "self"})
    assert again.status_code == 409


@pytest.mark.parametrize(
    ("by", "target", "status"),
    [
        ("employee", "E1", 403),  # never for oneself
        ("employee", "E2", 404),  # an employee sees no one else
        ("supervisor", "T", 404),  # another team
        ("hr", "T", 201),  # hr over its units
        ("admin", "O", 201),
        ("data", "E1", 403),
    ],
)
def test_who_may_start_a_round(
    shared_client: FlaskClient, shared_team: Team, by: str, target: str, status: int
) -> None:
    response = start(shared_client, shared_team, {target: "self"}, by=by, target=target)
    assert response.status_code == status, response.json


@pytest.mark.parametrize(
    ("raters", "field", "message"),
    [
        ({"T": "peer", "P1": "peer", "P2": "peer"}, "raters.0.employee_id", "visible to you"),
        ({"P1": "peer", "P2": "peer"}, "raters", "at least 3"),
        ({"P1": "self"}, "raters.0.employee_id", "self group is the employee"),
        ({"P1": "supervisor"}, "raters.0.employee_id", "direct supervisor"),
        ({"E2": "peer", "P1": "peer", "P2": "peer"}, "raters.0.employee_id", "share the"),
        ({"P1": "subordinate", "D1": "subordinate", "D2": "subordinate"}, "raters.0.", "report"),
        ({"E1": "peer", "P1": "peer", "P2": "peer"}, "raters.0.employee_id", "self group only"),
        ({"S": "peer", "P1": "peer", "P2": "peer"}, "raters.0.employee_id", "above the employee"),
    ],
)
def test_nominations_follow_the_organisation(
    shared_client: FlaskClient, shared_team: Team, raters: dict, field: str, message: str
) -> None:
    response = start(shared_client, shared_team, raters, period="2031")
    assert response.status_code == 422, response.json
    errors = response.json["errors"]
    assert any(e["field"].startswith(field) and message in e["message"] for e in errors), errors
    listed = shared_client.get(
        f"/api/v1/employees/{shared_team.id('E1')}/feedback-rounds",
        headers=shared_team.headers("admin"),
    ).json
    assert all(item["period"] != "2031" for item in listed["items"])


def test_a_person_is_nominated_once(client: FlaskClient, team: Team) -> None:
    response = client.post(
        f"/api/v1/employees/{team.id('E1')}/feedback-rounds",
        json={
            "period": "2025",
            "raters": [
                {"employee_id": team.id("E1"), "group": "self"},
                {"employee_id": team.id("E1"), "group": "self"},
            ],
        },
        headers=team.headers("supervisor"),
    )
    assert response.status_code == 422
    assert "twice" in response.json["errors"][0]["message"]


def test_hr_nominates_across_teams_but_no_superior_as_a_peer(
    client: FlaskClient, team: Team
) -> None:
    cross_team = start(client, team, {"T": "peer", "P1": "peer", "P2": "peer"}, by="hr")
    assert cross_team.status_code == 201, cross_team.json
    superior = start(client, team, {"H": "peer", "P1": "peer", "P2": "peer"}, by="admin")
    assert superior.status_code == 422
    # hr may name a supervisor higher in the chain in the supervisor group
    higher = start(client, team, {"H": "supervisor"}, by="hr", period="2025-Q1")
    assert higher.status_code == 201, higher.json


def test_a_past_closing_day_is_refused(client: FlaskClient, team: Team) -> None:
    yesterday = str(date.today() - timedelta(days=1))
    response = start(client, team, {"E1": "self"}, closes_on=yesterday)
    assert response.status_code == 422
    assert response.json["errors"][0]["field"] == "closes_on"


def test_each_rater_answers_once(client: FlaskClient, team: Team, session: Session) -> None:
    round_id = start(client, team, FULL_RATERS).json["id"]
    first = answer(client, team, round_id, "P1", ratings(), **{"comment": "Rajin"})
    assert first.status_code == 201, first.json
    assert first.json["round_id"] == round_id and first.json["group"] == "peer"
    second = answer(client, team, round_id, "P1", ratings(ABOVE))
    assert second.status_code == 409
    assert _answers(session) == 1


def test_an_idempotent_retry_replays_the_answer(
    client: FlaskClient, team: Team, session: Session
) -> None:
    round_id = start(client, team, FULL_RATERS).json["id"]
    key = {"Idempotency-Key": "answer-1"}
    url = f"/api/v1/feedback-rounds/{round_id}/answers"
    body = {"ratings": ratings()}
    first = client.post(url, json=body, headers=team.headers("P2") | key)
    retry = client.post(url, json=body, headers=team.headers("P2") | key)
    assert (first.status_code, retry.status_code) == (201, 201)
    assert retry.json == first.json and retry.headers["Idempotent-Replayed"] == "true"
    assert _answers(session) == 1


@pytest.mark.parametrize(
    ("who", "status"),
    [("supervisor", 201), ("hr", 403), ("admin", 403), ("P4", 404), ("data", 403)],
)
def test_only_nominated_raters_answer(
    client: FlaskClient, team: Team, who: str, status: int
) -> None:
    """S is nominated; hr and admin see the round but are not nominated (403); P4 sees
    nothing of E1 (404); the data team may never answer (403)."""
    round_id = start(client, team, FULL_RATERS).json["id"]
    response = answer(client, team, round_id, who, ratings())
    assert response.status_code == status, response.json


def test_an_answer_rates_every_value(client: FlaskClient, team: Team) -> None:
    round_id = start(client, team, FULL_RATERS).json["id"]
    partial = ratings()
    partial.pop("loyal")
    response = answer(client, team, round_id, "P1", partial)
    assert response.status_code == 422
    unknown = answer(client, team, round_id, "P1", ratings() | {"jujur": ABOVE})
    assert unknown.status_code == 422


def test_a_closed_round_takes_no_answers(
    client: FlaskClient, team: Team, session: Session
) -> None:
    round_id = start(client, team, FULL_RATERS).json["id"]
    assert close(client, team, round_id).status_code == 200
    assert close(client, team, round_id).status_code == 409
    assert answer(client, team, round_id, "P1", ratings()).status_code == 409
    today = str(date.today())
    by_date = start(client, team, FULL_RATERS, period="2025-Q2", closes_on=today).json["id"]
    stored = session.get(FeedbackRound, by_date)
    assert stored is not None
    stored.closes_on = date.today() - timedelta(days=1)  # the closing day has passed
    session.commit()
    assert answer(client, team, by_date, "P1", ratings()).status_code == 409
    listed = client.get(
        f"/api/v1/employees/{team.id('E1')}/feedback-rounds", headers=team.headers("employee")
    )
    assert [r["status"] for r in listed.json["items"]] == ["closed", "closed"]
    assert _answers(session) == 0


def test_requests_list_what_waits_for_the_caller(client: FlaskClient, team: Team) -> None:
    round_id = start(client, team, FULL_RATERS, closes_on=str(date.today())).json["id"]
    waiting = client.get("/api/v1/feedback-requests/me", headers=team.headers("P1")).json
    assert waiting["total"] == 1
    item = waiting["items"][0]
    assert item["round_id"] == round_id and item["group"] == "peer" and item["anonymous"]
    assert item["employee_name"] == "Pegawai E1"
    mine = client.get("/api/v1/feedback-requests/me", headers=team.headers("employee")).json
    assert [(i["group"], i["anonymous"]) for i in mine["items"]] == [("self", False)]
    answer(client, team, round_id, "P1", ratings())
    done = client.get("/api/v1/feedback-requests/me", headers=team.headers("P1")).json
    assert done == {"items": [], "total": 0}
    nobody = client.get("/api/v1/feedback-requests/me", headers=team.headers("P4")).json
    assert nobody["total"] == 0
