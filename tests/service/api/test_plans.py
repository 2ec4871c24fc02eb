"""The SKP cycle over HTTP: draft by the employee, submit, approve by the rater, realise."""

from __future__ import annotations

from datetime import datetime
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient

from service.domain.entry_windows import WindowSettings
from tests.service.api.world import World

SKP = {
    "year": 2025,
    "rhks": [
        {
            "kind": "utama",
            "description": "Layanan administrasi kepegawaian",
            "indicators": [
                {
                    "aspect": "kuantitas",
                    "description": "Dokumen",
                    "target_value": 12,
                    "target_unit": "dokumen",
                },
                {"aspect": "waktu", "description": "Tepat waktu", "target_text": "Desember"},
            ],
        }
    ],
}


@pytest.fixture
def without_window(app: Flask) -> None:
    """No realisation window: these tests are about the plan's flow and the freeze, and write
    realisations of 2025, whose window (`entry_windows`) has closed since; the window and its
    interplay with the freeze are tested in test_entry_windows.py."""
    app.extensions["window_settings"] = WindowSettings(grace_days=None)


@pytest.mark.usefixtures("without_window")
def test_plan_is_drafted_submitted_approved_and_realised(
    client: FlaskClient, world: World
) -> None:
    employee, supervisor = world.headers("employee"), world.headers("supervisor")
    created = client.post(
        f"/api/v1/employees/{world.employees['E1']}/skps", json=SKP, headers=employee
    )
    assert created.status_code == 201
    skp = created.json
    assert (skp["status"], skp["rater_id"]) == ("draft", world.employees["S"])
    indicator = skp["rhks"][0]["indicators"][0]["id"]
    base = f"/api/v1/skps/{skp['id']}"
    realisation = {
        "indicator_id": indicator,
        "period": "2025-03",
        "value": 3,
        "evidence": [{"uri": "https://arsip.example.go.id/laporan-maret.pdf", "kind": "pdf"}],
    }
    early = client.post(f"{base}/realisations", json=realisation, headers=employee)
    assert early.status_code == 409
    assert client.post(f"{base}/approve", headers=supervisor).status_code == 409
    assert client.post(f"{base}/submit", headers=employee).json["status"] == "diajukan"
    assert client.post(f"{base}/approve", headers=employee).status_code == 403
    approved = client.post(f"{base}/approve", headers=supervisor | {"If-Match": '"2"'})
    assert approved.json["status"] == "ditetapkan"
    # The moment of approval says it is UTC in the answer and in a later GET (SQLite hands
    # stored times back without an offset).
    read_back = client.get(base, headers=employee).json["approved_at"]
    assert read_back == approved.json["approved_at"].replace("+00:00", "Z")
    assert datetime.fromisoformat(read_back).utcoffset() == timedelta(0)
    assert approved.headers["ETag"] == '"3"'
    for outside in ("2026-01", "2024-Q4", "2030"):  # not of the plan's year, 2025
        wrong = client.post(
            f"{base}/realisations", json=realisation | {"period": outside}, headers=employee
        )
        assert wrong.status_code == 422, outside
        assert wrong.json["errors"][0]["field"] == "period"
    recorded = client.post(f"{base}/realisations", json=realisation, headers=employee)
    assert recorded.status_code == 201
    assert recorded.json["evidence"][0]["uri"].endswith("laporan-maret.pdf")
    listed = client.get(f"{base}/realisations", headers=world.headers("hr")).json
    assert listed["total"] == 1


def test_indicator_without_target_is_422(client: FlaskClient, world: World) -> None:
    body = {
        "year": 2025,
        "rhks": [
            {
                "kind": "utama",
                "description": "x",
                "indicators": [{"aspect": "kualitas", "description": "y"}],
            }
        ],
    }
    response = client.post(
        f"/api/v1/employees/{world.employees['E1']}/skps",
        json=body,
        headers=world.headers("employee"),
    )
    assert response.status_code == 422
    assert response.json["errors"][0]["field"] == "rhks[0].indicators[0]"


def test_feedback_and_self_assessment(client: FlaskClient, world: World) -> None:
    target = world.employees["E1"]
    note = {"period": "2025-Q1", "target": "perilaku", "body": "Kolaborasi tim meningkat"}
    given = client.post(
        f"/api/v1/employees/{target}/feedback", json=note, headers=world.headers("supervisor")
    )
    assert (given.status_code, given.json["author_id"]) == (201, world.employees["S"])
    own = {
        "period": "2025-Q1",
        "work_result_rating": "sesuai_ekspektasi",
        "behavior_rating": "di_atas_ekspektasi",
    }
    path = f"/api/v1/employees/{target}/self-assessments"
    assert client.post(path, json=own, headers=world.headers("employee")).status_code == 201
    assert client.post(path, json=own, headers=world.headers("employee")).status_code == 409
    assert client.get(path, headers=world.headers("supervisor")).json["total"] == 1


def test_the_rater_is_a_superior_not_anyone_the_employee_picks(
    client: FlaskClient, world: World
) -> None:
    """An appointed rater sees and rates the employee, so the employee cannot appoint a peer
    or someone in another unit (422); the direct or a higher superior is fine (E1 -> S -> H).
    """
    path = f"/api/v1/employees/{world.employees['E1']}/skps"
    employee = world.headers("employee")
    for outsider in ("T", "O", "E2"):
        body = SKP | {"rater_id": world.employees[outsider]}
        refused = client.post(path, json=body, headers=employee)
        assert refused.status_code == 422, (outsider, refused.get_data(as_text=True))
        assert refused.json["errors"][0]["field"] == "rater_id"
    created = client.post(path, json=SKP | {"rater_id": world.employees["H"]}, headers=employee)
    assert created.status_code == 201
    plan = f"/api/v1/skps/{created.json['id']}"
    moved = client.patch(
        plan, json={"rater_id": world.employees["T"]}, headers=employee | {"If-Match": "*"}
    )
    assert moved.status_code == 422
    assert client.get(plan, headers=employee).json["rater_id"] == world.employees["H"]
    direct = {"rater_id": world.employees["S"]}
    assert client.patch(plan, json=direct, headers=employee | {"If-Match": "*"}).status_code == 200


def test_a_realisation_needs_a_started_period_and_something_achieved(
    client: FlaskClient, world: World
) -> None:
    """What was achieved is recorded once a period has started, as a value or a text: a
    realisation of a period still to come, or one that records nothing, is 422 and not stored.
    """
    employee, supervisor = world.headers("employee"), world.headers("supervisor")
    path = f"/api/v1/employees/{world.employees['E1']}/skps"
    skp = client.post(path, json=SKP | {"year": 2100}, headers=employee).json
    base = f"/api/v1/skps/{skp['id']}"
    assert client.post(f"{base}/submit", headers=employee).status_code == 200
    assert client.post(f"{base}/approve", headers=supervisor).status_code == 200
    indicator = skp["rhks"][0]["indicators"][0]["id"]
    for body, field in [
        ({"period": "2100-03", "value": 3}, "period"),
        ({"period": "2100", "text": "selesai"}, "period"),
        ({"period": "2100-03"}, "value"),
    ]:
        refused = client.post(
            f"{base}/realisations", json=body | {"indicator_id": indicator}, headers=employee
        )
        assert refused.status_code == 422, body
        assert field in [error["field"] for error in refused.json["errors"]], body
    assert client.get(f"{base}/realisations", headers=employee).json["total"] == 0


def test_a_plan_needs_a_main_result(client: FlaskClient, world: World) -> None:
    """An SKP's hasil kerja are main (utama) and, optionally, additional (tambahan): a plan of
    additional results only is 422, on creation and on an edit that drops the last main one."""
    employee = world.headers("employee")
    path = f"/api/v1/employees/{world.employees['E1']}/skps"
    extra_only = {"rhks": [SKP["rhks"][0] | {"kind": "tambahan"}]}
    refused = client.post(path, json=SKP | extra_only, headers=employee)
    assert refused.status_code == 422
    assert refused.json["errors"][0]["field"] == "rhks"
    created = client.post(path, json=SKP, headers=employee)
    assert created.status_code == 201
    plan = f"/api/v1/skps/{created.json['id']}"
    edit = client.patch(plan, json=extra_only, headers=employee | {"If-Match": "*"})
    assert edit.status_code == 422
    assert client.get(plan, headers=employee).json["rhks"][0]["kind"] == "utama"


@pytest.mark.usefixtures("without_window")
def test_the_evidence_behind_a_given_evaluation_is_frozen(
    client: FlaskClient, world: World
) -> None:
    """Once a period's evaluation is given, no realisation of that period (or of a month
    inside it) is added behind it: 409, nothing stored. A month evaluation leaves the
    quarter around it open, and an evaluation of another period leaves this one open."""
    employee, supervisor = world.headers("employee"), world.headers("supervisor")
    skp = client.post(
        f"/api/v1/employees/{world.employees['E1']}/skps", json=SKP, headers=employee
    ).json
    base = f"/api/v1/skps/{skp['id']}"
    assert client.post(f"{base}/submit", headers=employee).status_code == 200
    assert client.post(f"{base}/approve", headers=supervisor).status_code == 200
    indicator = skp["rhks"][0]["indicators"][0]["id"]
    rating = {"work_result_rating": "sesuai_ekspektasi", "behavior_rating": "sesuai_ekspektasi"}
    evaluations = f"/api/v1/employees/{world.employees['E1']}/evaluations"
    for period in ("2025-Q1", "2025-05"):
        given = client.post(evaluations, json=rating | {"period": period}, headers=supervisor)
        assert given.status_code == 201, given.json
    for period in ("2025-Q1", "2025-02", "2025-05"):
        refused = client.post(
            f"{base}/realisations",
            json={"indicator_id": indicator, "period": period, "value": 3, "evidence": []},
            headers=employee,
        )
        assert refused.status_code == 409, period
        assert "objection" in refused.json["detail"], period
    for period in ("2025-Q2", "2025-04"):
        open_ = client.post(
            f"{base}/realisations",
            json={"indicator_id": indicator, "period": period, "value": 3, "evidence": []},
            headers=employee,
        )
        assert open_.status_code == 201, (period, open_.json)
    assert client.get(f"{base}/realisations", headers=employee).json["total"] == 2


def test_feedback_and_self_assessment_wait_for_their_period(
    client: FlaskClient, world: World
) -> None:
    """A note on, or an own rating of, a period that has not started is 422 naming the
    period, and nothing is stored."""
    target = world.employees["E1"]
    note = {"period": "2100-Q1", "target": "perilaku", "body": "Kolaborasi tim meningkat"}
    feedback = f"/api/v1/employees/{target}/feedback"
    early = client.post(feedback, json=note, headers=world.headers("supervisor"))
    assert early.status_code == 422
    assert [e["field"] for e in early.json["errors"]] == ["period"]
    own = {
        "period": "2100",
        "work_result_rating": "sesuai_ekspektasi",
        "behavior_rating": "sesuai_ekspektasi",
    }
    path = f"/api/v1/employees/{target}/self-assessments"
    early = client.post(path, json=own, headers=world.headers("employee"))
    assert early.status_code == 422
    assert [e["field"] for e in early.json["errors"]] == ["period"]
    assert client.get(feedback, headers=world.headers("supervisor")).json["total"] == 0
    assert client.get(path, headers=world.headers("supervisor")).json["total"] == 0
