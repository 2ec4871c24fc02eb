"""Attempts to recover one peer's or subordinate's answer through the API, which must fail.

Each test plays a reader who wants one person's answer and tries a route to it: reading
results early, differencing before and after one more answer, reading a group below the
threshold, taking their own answer out of a small group, reading comments, lists, requests
and the audit log. Every rating below is chosen so that a leak would be visible.
"""

from __future__ import annotations

import json
import threading
from datetime import UTC
from datetime import datetime
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy import update
from sqlalchemy.orm import Session

from service.db.models import AuditEntry
from service.db.models import FeedbackRound
from service.domain.feedback360_terms import RoundStatus
from tests.service.feedback360.f360_people import ABOVE
from tests.service.feedback360.f360_people import BELOW
from tests.service.feedback360.f360_people import FULL_RATERS
from tests.service.feedback360.f360_people import MEETS
from tests.service.feedback360.f360_people import Team
from tests.service.feedback360.f360_people import answer
from tests.service.feedback360.f360_people import close
from tests.service.feedback360.f360_people import group
from tests.service.feedback360.f360_people import ratings
from tests.service.feedback360.f360_people import results
from tests.service.feedback360.f360_people import start

READERS = ("employee", "supervisor", "hr", "admin")  # E1 itself, S, H, AD


def _round(client: FlaskClient, team: Team, raters: dict[str, str] = FULL_RATERS) -> int:
    response = start(client, team, raters)
    assert response.status_code == 201, response.json
    return int(response.json["id"])


def _answer(client: FlaskClient, team: Team, round_id: int, who: str, **kwargs: Any) -> None:
    values = kwargs.pop("values", ratings())
    response = answer(client, team, round_id, who, values, **kwargs)
    assert response.status_code == 201, response.json


def _text(response: Any) -> str:
    return response.get_data(as_text=True)


def test_nothing_but_counts_while_the_round_is_open(client: FlaskClient, team: Team) -> None:
    round_id = _round(client, team)
    for who in ("P1", "P2", "P3"):
        _answer(client, team, round_id, who, values=ratings(BELOW), comment=f"secret-{who}")
    _answer(client, team, round_id, "S", values=ratings(ABOVE))
    for reader in READERS:
        response = results(client, team, round_id, reader)
        assert response.status_code == 200, response.json
        body = response.json
        assert body["status"] == "open"
        for entry in body["groups"]:
            assert (entry["shown"], entry["reason"]) == (False, "round_open")
            assert entry["values"] == [] and entry["comments"] == []
        assert BELOW not in _text(response) and "secret-" not in _text(response)
        assert group(body, "peer")["answered"] == 3


def test_no_difference_to_take_after_closing(client: FlaskClient, team: Team) -> None:
    """Results exist only once closed, and a closed round never changes: the fourth peer's
    answer cannot be isolated as "after minus before"."""
    raters = FULL_RATERS | {"P4": "peer"}
    round_id = _round(client, team, raters)
    for who in ("P1", "P2", "P3"):
        _answer(client, team, round_id, who, values=ratings(MEETS))
    assert close(client, team, round_id).status_code == 200
    before = results(client, team, round_id, "supervisor").json
    late = answer(client, team, round_id, "P4", ratings(BELOW))
    assert late.status_code == 409
    after = results(client, team, round_id, "supervisor").json
    assert after == before
    peer = group(after, "peer")
    assert peer["shown"] and (peer["nominated"], peer["answered"]) == (4, 3)
    counts = [v["counts"] for v in peer["values"]]
    assert all(c == {ABOVE: 0, MEETS: 3, BELOW: 0} for c in counts)


def test_an_answer_racing_the_close_does_not_land_after_it(
    app: Flask, client: FlaskClient, team: Team
) -> None:
    """An answer whose round is being closed by another transaction waits for that close and
    is then refused: admitted, it would commit after the close, and a reader of the results
    in between could take "after minus before" (P4's answer)."""
    raters = FULL_RATERS | {"P4": "peer"}
    round_id = _round(client, team, raters)
    for who in ("P1", "P2", "P3"):
        _answer(client, team, round_id, who, values=ratings(MEETS))
    late: dict[str, Any] = {}
    racer = threading.Thread(
        target=lambda: late.update(r=answer(client, team, round_id, "P4", ratings(BELOW)))
    )
    with app.extensions["db"].engine.connect() as closer:
        closing = closer.begin()  # what close_round writes, not committed yet
        closer.execute(
            update(FeedbackRound)
            .where(FeedbackRound.id == round_id)
            .values(status=RoundStatus.CLOSED, closed_at=datetime.now(UTC))
        )
        racer.start()
        racer.join(timeout=1.0)  # the old code answered here, before the close committed
        closing.commit()
    racer.join(timeout=30)
    assert not racer.is_alive()
    assert late["r"].status_code == 409, late["r"].json
    peer = group(results(client, team, round_id, "supervisor").json, "peer")
    assert (peer["nominated"], peer["answered"]) == (4, 3)


def test_the_risk_features_read_no_answer_of_an_open_round(
    client: FlaskClient, team: Team, session: Session
) -> None:
    """The risk model's 360 feature (shown as a driver's value to the employee and the
    supervisors) reads closed rounds only: from an open round it would move with each new
    answer, and the difference would give that answer away."""
    from datetime import date
    from datetime import timedelta

    from service.db.repositories.risk_history import employee_history

    round_id = _round(client, team)
    for who in ("P1", "P2", "P3"):
        _answer(client, team, round_id, who, values=ratings(MEETS))
    session.expire_all()

    def peer_answers() -> int:
        rows = employee_history(session, team.id("E1"), ["2025"], date(2024, 1, 1))
        return len(rows["feedback360"])

    assert peer_answers() == 0
    by_date = session.get(FeedbackRound, round_id)
    assert by_date is not None
    by_date.closes_on = date.today() - timedelta(days=2)  # its closing day has passed
    session.commit()
    assert peer_answers() == 3
    by_date.closes_on = None
    session.commit()
    assert peer_answers() == 0
    assert close(client, team, round_id).status_code == 200
    session.expire_all()
    assert peer_answers() == 3


def test_a_group_below_the_threshold_shows_nothing(client: FlaskClient, team: Team) -> None:
    round_id = _round(client, team)
    _answer(client, team, round_id, "P1", values=ratings(BELOW), comment="secret-P1")
    _answer(client, team, round_id, "P2", values=ratings(ABOVE), comment="secret-P2")
    for who in ("E2", "D1", "D2"):
        _answer(client, team, round_id, who, values=ratings(MEETS))
    close(client, team, round_id)
    for reader in READERS:
        response = results(client, team, round_id, reader)
        body = response.json
        peer = group(body, "peer")
        assert (peer["shown"], peer["reason"], peer["answered"]) == (False, "too_few_answers", 2)
        assert peer["values"] == [] and peer["comments"] == []
        assert "secret-" not in _text(response)
        assert group(body, "subordinate")["shown"]
        assert "total" not in body and set(body) == {
            "round_id",
            "employee_id",
            "period",
            "status",
            "min_group_answers",
            "groups",
        }


def test_a_reader_in_the_group_cannot_subtract_their_own_answer(
    client: FlaskClient, team: Team
) -> None:
    """HP (hr role) rates E1 as a peer and may read E1's results. With three peer answers,
    HP minus its own answer would hold the other two, so for HP the group stays hidden while
    readers outside the group see it."""
    raters = {"HP": "peer", "P1": "peer", "P2": "peer"}
    round_id = _round(client, team, raters)
    _answer(client, team, round_id, "HP", values=ratings(MEETS))
    _answer(client, team, round_id, "P1", values=ratings(ABOVE), comment="secret-P1")
    _answer(client, team, round_id, "P2", values=ratings(BELOW), comment="secret-P2")
    close(client, team, round_id)
    for_hp = results(client, team, round_id, "HP")
    assert for_hp.status_code == 200
    peer = group(for_hp.json, "peer")
    assert (peer["shown"], peer["reason"]) == (False, "too_few_answers")
    assert "secret-" not in _text(for_hp)
    outsider = group(results(client, team, round_id, "supervisor").json, "peer")
    assert outsider["shown"]
    assert outsider["values"][0]["counts"] == {ABOVE: 1, MEETS: 1, BELOW: 1}


def test_raters_cannot_read_the_results(client: FlaskClient, team: Team) -> None:
    round_id = _round(client, team)
    for who in ("P1", "P2", "P3"):
        _answer(client, team, round_id, who)
    close(client, team, round_id)
    for who in ("P1", "D1"):
        assert results(client, team, round_id, who).status_code == 404
        detail = client.get(f"/api/v1/feedback-rounds/{round_id}", headers=team.headers(who))
        assert detail.status_code == 404


def test_comments_are_unattributed_and_not_in_answer_order(
    client: FlaskClient, team: Team
) -> None:
    round_id = _round(client, team)
    for who, comment in (("P1", "zeal"), ("P2", "Accurate"), ("P3", "memuaskan")):
        _answer(client, team, round_id, who, comment=comment)
    _answer(client, team, round_id, "S", comment="Supervisor note")
    close(client, team, round_id)
    body = results(client, team, round_id, "employee").json
    assert group(body, "peer")["comments"] == ["Accurate", "memuaskan", "zeal"]
    assert group(body, "supervisor")["comments"] == ["Supervisor note"]
    keys = {"group", "anonymous", "nominated", "answered", "shown", "reason", "values"}
    assert all(set(entry) == keys | {"comments"} for entry in body["groups"])


def test_self_and_supervisor_are_shown_without_a_threshold(
    client: FlaskClient, team: Team
) -> None:
    round_id = _round(client, team)
    _answer(client, team, round_id, "employee", values=ratings(ABOVE))
    _answer(client, team, round_id, "S", values=ratings(BELOW, loyal=ABOVE))
    close(client, team, round_id)
    body = results(client, team, round_id, "hr").json
    own = group(body, "self")
    assert (own["shown"], own["anonymous"]) == (True, False)
    supervisor = {v["value"]: v for v in group(body, "supervisor")["values"]}
    assert supervisor["loyal"]["counts"][ABOVE] == 1 and supervisor["loyal"]["mean"] == 3.0
    assert supervisor["akuntabel"]["counts"][BELOW] == 1 and supervisor["akuntabel"]["mean"] == 1.0
    assert (group(body, "peer")["shown"], group(body, "peer")["reason"]) == (False, "no_answers")


def test_lists_requests_and_audit_never_name_who_answered(
    client: FlaskClient, team: Team, session: Session
) -> None:
    round_id = _round(client, team)
    _answer(client, team, round_id, "P1")
    rated = team.headers("employee")
    detail = client.get(f"/api/v1/feedback-rounds/{round_id}", headers=rated).json
    listed = client.get(f"/api/v1/employees/{team.id('E1')}/feedback-rounds", headers=rated).json
    for body in (detail, listed["items"][0]):
        assert group(body, "peer") == {
            "group": "peer",
            "anonymous": True,
            "nominated": 3,
            "answered": 1,
        }
        assert "raters" not in body and "answered_at" not in json.dumps(body)
    entries = session.scalars(select(AuditEntry).where(AuditEntry.actor_username == "user-P1"))
    written = [(e.action, e.resource, e.employee_id, e.resource_id) for e in entries]
    assert ("create", "feedback_answer", team.id("P1"), None) in written
    assert all(employee != team.id("E1") for _, _, employee, _ in written)
    audit = client.get(
        f"/api/v1/audit?employee_id={team.id('E1')}&limit=1000", headers=team.headers("admin")
    ).json
    assert all(item["actor_username"] != "user-P1" for item in audit["items"])
