"""Which stored risk scores a write outdates: those it changes, and no others.

Over HTTP in the API tests' world (SQLite and PostgreSQL): S rates E1 and the peer P1 in the
scored quarter, T is in another team. Every one of them has a stored score; a write about E1
that reaches no rater's statistics (a 360 answer, a competency assessment) must outdate E1's
score only. Outdating more is not wrong but sends those reads to the live path until the next
`kinerja score` (a 360 answer outdated every score in the database).
"""

from __future__ import annotations

from datetime import UTC
from datetime import datetime

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.db.models import RiskScore
from tests.factories import make_evaluation
from tests.service.api.world import build_world
from tests.service.feedback360.f360_people import FULL_RATERS
from tests.service.feedback360.f360_people import Team
from tests.service.feedback360.f360_people import answer
from tests.service.feedback360.f360_people import build_team
from tests.service.feedback360.f360_people import ratings
from tests.service.feedback360.f360_people import start

QUARTER = "2025-Q4"
PEOPLE = ("E1", "P1", "T")


@pytest.fixture
def team(app: object, session: Session) -> Team:
    team = build_team(session, build_world(session))
    rater = team.id("S")
    for name in ("E1", "P1"):
        make_evaluation(session, employee_id=team.id(name), rater_id=rater, period=QUARTER)
    session.commit()
    return team


def _store_scores(session: Session, team: Team) -> None:
    for name in PEOPLE:
        session.add(
            RiskScore(
                employee_id=team.id(name), period=QUARTER, status="ok", probability=0.5,
                flagged=True, threshold=0.3, drivers=[], model_name="kinerja-risk",
                model_version="1", fallback=False, scored_at=datetime.now(UTC),
            )
        )  # fmt: skip
    session.commit()


def _outdated(session: Session, team: Team) -> set[str]:
    session.expire_all()
    rows = session.execute(select(RiskScore.employee_id, RiskScore.outdated)).all()
    names = {team.id(name): name for name in PEOPLE}
    return {names[employee] for employee, outdated in rows if outdated}


def test_a_360_answer_outdates_the_rated_employee_only(
    client: FlaskClient, session: Session, team: Team
) -> None:
    started = start(client, team, FULL_RATERS, period="2025")
    assert started.status_code == 201, started.json
    _store_scores(session, team)
    answered = answer(client, team, started.json["id"], "P1", ratings())
    assert answered.status_code in (200, 201), answered.json
    assert _outdated(session, team) == {"E1"}


def test_a_competency_assessment_outdates_the_assessed_employee_only(
    client: FlaskClient, session: Session, team: Team
) -> None:
    _store_scores(session, team)
    response = client.post(
        f"/api/v1/employees/{team.id('E1')}/competency-assessments",
        json={"assessed_on": "2025-11-03", "method": "cat", "levels": {"M.01": 3}},
        headers=team.headers("hr"),
    )
    assert response.status_code == 201, response.json
    assert _outdated(session, team) == {"E1"}


def test_a_plan_edit_outdates_its_employee_and_the_raters_team_only(
    client: FlaskClient, session: Session, team: Team
) -> None:
    """Rewriting a draft SKP's RHK list deletes its indicators and dropped RHKs: the plan's
    employee (and, conservatively, whoever their raters rate) is outdated, not everyone."""
    indicator = {"aspect": "kuantitas", "description": "Berkas", "target_value": 12}
    rhks = [
        {"kind": "utama", "description": f"Layanan {n}", "indicators": [indicator]}
        for n in ("mutasi", "pensiun")
    ]
    created = client.post(
        f"/api/v1/employees/{team.id('E1')}/skps",
        json={"year": 2026, "rhks": rhks},
        headers=team.headers("E1"),
    )
    assert created.status_code == 201, created.json
    _store_scores(session, team)
    kept = {**rhks[0], "id": created.json["rhks"][0]["id"]}
    edited = client.patch(
        f"/api/v1/skps/{created.json['id']}",
        json={"rhks": [kept]},
        headers=team.headers("E1") | {"If-Match": created.headers["ETag"]},
    )
    assert edited.status_code == 200, edited.json
    assert _outdated(session, team) == {"E1", "P1"}
