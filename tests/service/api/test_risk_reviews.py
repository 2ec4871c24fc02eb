"""Supervisors' reviews of risk answers, and the track record of how past flags turned out."""

from __future__ import annotations

from datetime import UTC
from datetime import datetime

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.db.models import AuditEntry
from service.db.models import RiskReview
from service.db.models import RiskScore
from service.domain.entities import Rating
from tests.factories import make_employee
from tests.factories import make_evaluation
from tests.service.api.world import World

QUARTERS = ("2024-Q3", "2024-Q4", "2025-Q1", "2025-Q2")
S, B = Rating.SESUAI_EKSPEKTASI, Rating.DI_BAWAH_EKSPEKTASI


def _history(session: Session, world: World) -> None:
    """E1: four quarters, the last two below expectation; E2: one quarter only."""
    for i, period in enumerate(QUARTERS):
        make_evaluation(
            session,
            employee_id=world.employees["E1"],
            period=period,
            work_result_rating=B if i >= 2 else S,
        )
    make_evaluation(session, employee_id=world.employees["E2"], period=QUARTERS[-1])
    session.commit()


def _reviews(world: World, person: str = "E1") -> str:
    return f"/api/v1/employees/{world.employees[person]}/risk/reviews"


def _count(session: Session) -> int:
    session.expire_all()
    return session.scalar(select(func.count()).select_from(RiskReview)) or 0


def test_a_supervisor_above_reviews_the_current_answer_once(
    client: FlaskClient, world: World, session: Session
) -> None:
    _history(session, world)
    supervisor = world.headers("supervisor")
    answer = client.get(f"/api/v1/employees/{world.employees['E1']}/risk", headers=supervisor)
    assert answer.json["status"] == "ok"
    disagree = {"decision": "disagree"}
    refused = client.post(_reviews(world), json=disagree, headers=supervisor)
    assert refused.status_code == 422
    assert [e["field"] for e in refused.json["errors"]] == ["reason"]
    own = client.post(
        _reviews(world), json={"decision": "agree"}, headers=world.headers("employee")
    )
    assert own.status_code == 403
    assert _count(session) == 0
    reason = "Cuti melahirkan dua bulan di 2025-Q2; target RHK sudah disesuaikan."
    made = client.post(_reviews(world), json=disagree | {"reason": reason}, headers=supervisor)
    assert made.status_code == 201, made.json
    body = made.json
    assert (body["period"], body["decision"], body["reason"]) == ("2025-Q2", "disagree", reason)
    kept = {key: answer.json[key] for key in ("probability", "flagged")}
    assert {key: body[key] for key in kept} == kept
    assert (body["model_version"], body["fallback"]) == (
        answer.json["model"]["version"],
        answer.json["model"]["fallback"],
    )
    assert body["reviewer_id"] == world.employees["S"]
    again = client.post(_reviews(world), json={"decision": "agree"}, headers=supervisor)
    assert again.status_code == 409
    thin = client.post(_reviews(world, "E2"), json={"decision": "agree"}, headers=supervisor)
    assert thin.status_code == 409  # E2's single quarter gives no answer to review
    assert _count(session) == 1
    listed = client.get(_reviews(world), headers=world.headers("employee"))
    assert (listed.status_code, listed.json["total"]) == (200, 1)
    assert listed.json["items"][0]["id"] == body["id"]
    assert client.get(_reviews(world), headers=world.headers("data")).status_code == 403
    audited = select(AuditEntry.action).where(AuditEntry.resource == "risk_review")
    assert sorted(session.scalars(audited)) == ["create"]  # the employee's own read: none


def _scored(session: Session, employee_id: int, flagged: bool) -> None:
    session.add(
        RiskScore(
            employee_id=employee_id, period="2025-Q1", status="ok",
            probability=0.6 if flagged else 0.1, flagged=flagged, threshold=0.5, drivers=[],
            model_name="kinerja-risk", model_version="3", scored_at=datetime.now(UTC),
        )
    )  # fmt: skip


@pytest.fixture
def scored_quarter(session: Session, world: World) -> None:
    """2025-Q1 scores of 12 people and their 2025-Q2 predikat: of six flagged, four poor,
    one not and one not yet evaluated; of six unflagged, one poor, four not, one not yet.
    Two flagged (one poor, one not) were reviewed `disagree`."""
    outcomes = [B, B, B, B, S, None, B, S, S, S, S, None]
    for i, outcome in enumerate(outcomes):
        person = make_employee(session, unit_id=world.units["A1"], position_id=world.position_id)
        _scored(session, person.id, flagged=i < 6)
        if outcome is not None:
            make_evaluation(
                session,
                employee_id=person.id,
                period="2025-Q2",
                work_result_rating=outcome,
            )
        if i in (3, 4):
            session.add(
                RiskReview(
                    employee_id=person.id, period="2025-Q1", decision="disagree",
                    reason="kenal orangnya", probability=0.6, flagged=True,
                    model_version="3", fallback=False, reviewer_id=world.employees["S"],
                )
            )  # fmt: skip
    session.commit()


def test_the_track_record_sets_flags_against_the_next_predikat(
    client: FlaskClient, world: World, scored_quarter: None
) -> None:
    answer = client.get("/api/v1/models/risk/track-record", headers=world.headers("admin"))
    assert answer.status_code == 200, answer.json
    assert answer.json["total"] == 1
    record = answer.json["items"][0]
    assert (record["period"], record["outcome_period"]) == ("2025-Q1", "2025-Q2")
    assert record["flagged"] == {"count": 6, "evaluated": 5, "poor": 4, "poor_rate": 0.8}
    assert record["not_flagged"] == {"count": 6, "evaluated": 5, "poor": 1, "poor_rate": 0.2}
    assert record["precision"] == pytest.approx(0.8)
    assert record["recall"] == pytest.approx(0.8)
    assert record["mean_probability"] == pytest.approx(0.35)
    assert record["observed_poor_rate"] == pytest.approx(0.5)
    assert record["reviews"] == {
        "disagree_flagged": {"count": 2, "evaluated": 2, "poor": 1, "poor_rate": 0.5}
    }


def test_the_data_team_sees_no_cell_of_a_few_people(
    client: FlaskClient, world: World, scored_quarter: None
) -> None:
    answer = client.get("/api/v1/models/risk/track-record", headers=world.headers("data"))
    assert answer.status_code == 200, answer.json
    record = answer.json["items"][0]
    assert record["flagged"]["count"] == 6  # five or more: shown
    hidden = {"count": None, "evaluated": None, "poor": None, "poor_rate": None}
    assert record["reviews"] == {"disagree_flagged": hidden}
    refused = client.get("/api/v1/models/risk/track-record", headers=world.headers("supervisor"))
    assert refused.status_code == 403
