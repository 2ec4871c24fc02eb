"""Stored moments in answers say they are UTC, on every backend: SQLite hands stored times
back without an offset, which a client would read as its own local time."""

from __future__ import annotations

from datetime import datetime
from datetime import timedelta

from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from tests.service.api.world import World
from tests.service.feedback360.f360_people import FULL_RATERS
from tests.service.feedback360.f360_people import answer
from tests.service.feedback360.f360_people import build_team
from tests.service.feedback360.f360_people import close
from tests.service.feedback360.f360_people import ratings
from tests.service.feedback360.f360_people import start


def _utc(moment: str | None) -> bool:
    return moment is not None and datetime.fromisoformat(moment).utcoffset() == timedelta(0)


def test_feedback_round_moments_carry_their_offset(
    client: FlaskClient, world: World, session: Session
) -> None:
    team = build_team(session, world)
    started = start(client, team, FULL_RATERS)
    assert started.status_code == 201, started.get_data(as_text=True)
    round_id = started.json["id"]
    answered = answer(client, team, round_id, "P1", ratings())
    assert answered.status_code == 201
    assert _utc(answered.json["answered_at"]), answered.json
    closed = close(client, team, round_id)
    assert closed.status_code == 200
    read = client.get(f"/api/v1/feedback-rounds/{round_id}", headers=team.headers("supervisor"))
    for body in (started.json, closed.json, read.json):
        assert _utc(body["created_at"]), body
    for body in (closed.json, read.json):
        assert _utc(body["closed_at"]), body
