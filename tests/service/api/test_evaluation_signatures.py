"""Signatures on an evaluation sheet: the rater and the evaluated employee sign a version,
each signature keeps the sheet's SHA-256 digest, and reading them says whether the sheet
still holds what was signed (a revision or a change behind the application's back breaks
it). S rates E1 and reports to H (hr)."""

from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy import update
from sqlalchemy.orm import Session

from service.db.models import AuditEntry
from service.db.models import EvaluationSignature
from service.db.models import Realisation
from service.domain.entities import Rating
from service.domain.evaluation_input import ensure_period
from service.domain.periods import parse_period
from tests.factories import make_evaluation
from tests.service.api.world import World
from tests.service.api.world import add_indicator
from tests.service.api.world import add_skp


def _evaluated(session: Session, world: World) -> int:
    """E1's 2025 evaluation by S, resting on one realisation of 2025-Q2."""
    indicator = add_indicator(session, add_skp(session, world, "E1", 2025, "S"))
    ensure_period(session, parse_period("2025-Q2"))
    session.add(Realisation(indicator_id=indicator.id, period="2025-Q2", value=3.0))
    evaluation = make_evaluation(
        session, employee_id=world.employees["E1"], rater_id=world.employees["S"], period="2025"
    )
    session.commit()
    return evaluation.id


def _path(evaluation_id: int) -> str:
    return f"/api/v1/evaluations/{evaluation_id}/signatures"


def _sign(client: FlaskClient, world: World, evaluation_id: int, role: str) -> Any:
    return client.post(_path(evaluation_id), headers=world.headers(role))


def _read(client: FlaskClient, world: World, evaluation_id: int, role: str) -> dict:
    answer = client.get(_path(evaluation_id), headers=world.headers(role))
    assert answer.status_code == 200, answer.json
    return answer.json


def test_the_rater_and_the_employee_sign_once_each(
    client: FlaskClient, world: World, session: Session
) -> None:
    evaluation_id = _evaluated(session, world)
    assert _read(client, world, evaluation_id, "supervisor")["can_sign"] == "rater"
    signed = _sign(client, world, evaluation_id, "supervisor")
    assert signed.status_code == 201, signed.json
    signature = signed.json
    assert (signature["role"], signature["signer_id"]) == ("rater", world.employees["S"])
    assert signature["intact"] and isinstance(signature["id"], int)
    body = _read(client, world, evaluation_id, "supervisor")
    assert [(s["id"], s["intact"]) for s in body["items"]] == [(signature["id"], True)]
    assert signature["digest"] == body["digest"] and len(body["digest"]) == 64
    assert body["can_sign"] is None
    assert _sign(client, world, evaluation_id, "supervisor").status_code == 409
    assert _read(client, world, evaluation_id, "employee")["can_sign"] == "employee"
    assert _sign(client, world, evaluation_id, "employee").status_code == 201
    both = _read(client, world, evaluation_id, "employee")
    assert [s["role"] for s in both["items"]] == ["rater", "employee"]
    assert all(s["intact"] for s in both["items"]) and both["can_sign"] is None
    created = select(func.count()).where(
        AuditEntry.resource == "evaluation_signature", AuditEntry.action == "create"
    )
    assert session.scalar(created) == 2


def test_only_the_rater_and_the_employee_sign(
    client: FlaskClient, world: World, session: Session
) -> None:
    evaluation_id = _evaluated(session, world)
    assert _sign(client, world, evaluation_id, "hr").status_code == 403  # reads, may not sign
    assert _sign(client, world, evaluation_id, "admin").status_code == 403  # sees all
    assert _sign(client, world, evaluation_id, "data").status_code == 403
    other = make_evaluation(session, employee_id=world.employees["O"], period="2025")
    session.commit()
    assert _sign(client, world, other.id, "supervisor").status_code == 404
    assert _sign(client, world, 999_999, "employee").status_code == 404
    assert session.scalar(select(func.count()).select_from(EvaluationSignature)) == 0


def test_a_revision_breaks_the_signatures_and_is_signed_again(
    client: FlaskClient, world: World, session: Session
) -> None:
    evaluation_id = _evaluated(session, world)
    for role in ("supervisor", "employee"):
        assert _sign(client, world, evaluation_id, role).status_code == 201
    corrected = client.patch(
        f"/api/v1/evaluations/{evaluation_id}",
        json={"work_result_rating": Rating.DI_ATAS_EKSPEKTASI.value},
        headers=world.headers("supervisor") | {"If-Match": '"1"'},
    )
    assert corrected.status_code == 200, corrected.json
    after = _read(client, world, evaluation_id, "supervisor")
    assert after["evaluation_version"] == 2 and after["can_sign"] == "rater"
    assert [s["intact"] for s in after["items"]] == [False, False]
    assert _sign(client, world, evaluation_id, "supervisor").status_code == 201
    again = _read(client, world, evaluation_id, "employee")
    assert [(s["evaluation_version"], s["intact"]) for s in again["items"]] == [
        (1, False), (1, False), (2, True)
    ]  # fmt: skip


def test_evidence_changed_behind_the_application_shows(
    client: FlaskClient, world: World, session: Session
) -> None:
    evaluation_id = _evaluated(session, world)
    signed = _sign(client, world, evaluation_id, "employee").json
    session.execute(update(Realisation).values(value=4.0))  # not through the API: refused there
    session.commit()
    now = _read(client, world, evaluation_id, "employee")
    assert now["digest"] != signed["digest"]
    assert [s["intact"] for s in now["items"]] == [False]
