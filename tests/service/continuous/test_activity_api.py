"""The activity log through the API: the employee writes, a supervisor above acknowledges,
corrections stop at acknowledgement, RHK links are checked, reads are audited."""

from __future__ import annotations

from datetime import date
from datetime import timedelta
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.db.models import AuditEntry
from tests.service.api.world import World
from tests.service.continuous.continuous_objects import approved_skp

URL = "/api/v1/employees/{}/activities"


def _post(client: FlaskClient, world: World, role: str, person: str, **body: Any) -> Any:
    body = {"activity_date": "2025-03-04", "description": "Menyusun laporan"} | body
    return client.post(URL.format(world.employees[person]), json=body, headers=world.headers(role))


def test_employee_logs_reads_and_corrects_own_activity(client: FlaskClient, world: World) -> None:
    created = _post(client, world, "employee", "E1", evidence_url="https://drive.example/x")
    assert created.status_code == 201
    entry = created.get_json()
    assert (entry["status"], entry["evidence_url"], entry["version"]) == (
        "submitted",
        "https://drive.example/x",
        1,
    )
    assert created.headers["ETag"] == '"1"'
    path, headers = f"/api/v1/activities/{entry['id']}", world.headers("employee")
    assert client.get(path, headers=headers).headers["ETag"] == '"1"'
    assert client.patch(path, json={"description": "baru"}, headers=headers).status_code == 428
    stale = client.patch(path, json={"description": "baru"}, headers=headers | {"If-Match": '"7"'})
    assert stale.status_code == 412
    fixed = client.patch(
        path,
        json={"description": "baru", "evidence_url": None},
        headers=headers | {"If-Match": '"1"'},
    )
    assert fixed.status_code == 200, fixed.get_json()
    assert (fixed.get_json()["description"], fixed.get_json()["evidence_url"]) == ("baru", None)
    assert fixed.headers["ETag"] == '"2"'
    listed = client.get(URL.format(world.employees["E1"]), headers=headers).get_json()
    assert listed["total"] == 1 and listed["items"][0]["description"] == "baru"


def test_a_retry_with_the_same_key_creates_nothing(client: FlaskClient, world: World) -> None:
    key = {"Idempotency-Key": "log-1"}
    path, body = (
        URL.format(world.employees["E1"]),
        {"activity_date": "2025-03-04", "description": "x"},
    )
    first = client.post(path, json=body, headers=world.headers("employee") | key)
    again = client.post(path, json=body, headers=world.headers("employee") | key)
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.get_json() == first.get_json()
    assert client.get(path, headers=world.headers("employee")).get_json()["total"] == 1


def test_supervisors_above_acknowledge_once_and_freeze_the_entry(
    client: FlaskClient, world: World
) -> None:
    first = _post(client, world, "employee", "E1").get_json()
    second = _post(client, world, "employee", "E1", activity_date="2025-03-05").get_json()
    ack = client.post(
        f"/api/v1/activities/{first['id']}/acknowledge",
        json={"comment": "Bagus, lanjutkan"},
        headers=world.headers("supervisor"),
    )
    assert ack.status_code == 200, ack.get_json()
    body = ack.get_json()
    assert (body["status"], body["supervisor_comment"], body["acknowledged_by"]) == (
        "acknowledged",
        "Bagus, lanjutkan",
        world.users["supervisor"],
    )
    assert body["acknowledged_at"].endswith(("+00:00", "Z"))
    again = client.post(
        f"/api/v1/activities/{first['id']}/acknowledge", json={}, headers=world.headers("hr")
    )
    assert again.status_code == 409
    frozen = client.patch(
        f"/api/v1/activities/{first['id']}",
        json={"description": "ubah"},
        headers=world.headers("employee") | {"If-Match": "*"},
    )
    assert frozen.status_code == 409
    # hr's employee H is above S, who is above E1: an indirect supervisor acknowledges too
    indirect = client.post(
        f"/api/v1/activities/{second['id']}/acknowledge", json={}, headers=world.headers("hr")
    )
    assert indirect.status_code == 200


def test_team_list_shows_what_waits_below_the_caller(client: FlaskClient, world: World) -> None:
    waiting = _post(client, world, "employee", "E1").get_json()
    done = _post(client, world, "employee", "E1", activity_date="2025-03-01").get_json()
    client.post(
        f"/api/v1/activities/{done['id']}/acknowledge",
        json={},
        headers=world.headers("supervisor"),
    )
    team = client.get("/api/v1/teams/me/activities", headers=world.headers("supervisor"))
    assert [item["id"] for item in team.get_json()["items"]] == [waiting["id"]]
    everything = client.get(
        "/api/v1/teams/me/activities?status=acknowledged", headers=world.headers("hr")
    )
    assert [item["id"] for item in everything.get_json()["items"]] == [done["id"]]


def test_rhk_must_be_of_the_employees_skp_of_that_year(
    client: FlaskClient, world: World, session: Session
) -> None:
    _, own_rhk, _ = approved_skp(session, world, "E1", 2025)
    _, other_rhk, _ = approved_skp(session, world, "E2", 2025)
    session.commit()
    assert _post(client, world, "employee", "E1", rhk_id=own_rhk).status_code == 201
    for rhk_id, day in (
        (other_rhk, "2025-03-04"),
        (own_rhk, "2024-12-31"),
        (999999, "2025-01-02"),
    ):
        answer = _post(client, world, "employee", "E1", rhk_id=rhk_id, activity_date=day)
        assert answer.status_code == 422
        assert [e["field"] for e in answer.get_json()["errors"]] == ["rhk_id"]


def test_bad_entries_are_refused_with_the_field(client: FlaskClient, world: World) -> None:
    tomorrow = (date.today() + timedelta(days=1)).isoformat()
    cases = {
        "activity_date": {"activity_date": tomorrow},
        "evidence_url": {"evidence_url": "javascript:alert(1)"},
        "description": {"description": "  "},
    }
    for field, change in cases.items():
        answer = _post(client, world, "employee", "E1", **change)
        assert answer.status_code == 422, field
        assert answer.mimetype == "application/problem+json"
        assert [e["field"] for e in answer.get_json()["errors"]] == [field]


def test_reading_someone_elses_log_is_audited(
    client: FlaskClient, world: World, session: Session
) -> None:
    _post(client, world, "employee", "E1")
    client.get(URL.format(world.employees["E1"]), headers=world.headers("employee"))
    client.get(URL.format(world.employees["E1"]), headers=world.headers("supervisor"))
    reads = session.scalars(
        select(AuditEntry.actor_username).where(
            AuditEntry.resource == "activity", AuditEntry.action == "read"
        )
    ).all()
    assert reads == ["user-supervisor"]


def test_a_correction_cannot_remove_the_day_or_the_text(client: FlaskClient, world: World) -> None:
    entry = _post(client, world, "employee", "E1").get_json()
    headers = world.headers("employee") | {"If-Match": "*"}
    for field in ("activity_date", "description"):
        answer = client.patch(
            f"/api/v1/activities/{entry['id']}", json={field: None}, headers=headers
        )
        assert answer.status_code == 422
        assert [e["field"] for e in answer.get_json()["errors"]] == [field]
