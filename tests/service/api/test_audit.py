"""GET /audit: admins see who touched whose data, filtered by employee, actor and time."""

from __future__ import annotations

from flask.testing import FlaskClient

from tests.service.api.world import World


def test_writes_and_reads_leave_rows_that_filter(client: FlaskClient, world: World) -> None:
    target = world.employees["E1"]
    body = {"month": "2025-01", "work_days": 20, "present_days": 20, "late_days": 0}
    assert (
        client.post(
            f"/api/v1/employees/{target}/attendance", json=body, headers=world.headers("hr")
        ).status_code
        == 201
    )
    assert (
        client.get(
            f"/api/v1/employees/{target}/attendance", headers=world.headers("supervisor")
        ).status_code
        == 200
    )
    admin = world.headers("admin")
    rows = client.get(f"/api/v1/audit?employee_id={target}", headers=admin).json["items"]
    assert [(r["actor_username"], r["action"], r["resource"]) for r in rows] == [
        ("user-supervisor", "read", "attendance"),
        ("user-hr", "create", "attendance"),
    ]
    by_actor = client.get(f"/api/v1/audit?actor_user_id={world.users['hr']}", headers=admin).json
    assert {r["actor_username"] for r in by_actor["items"]} == {"user-hr"}
    future = client.get("/api/v1/audit?since=2999-01-01T00:00:00", headers=admin).json
    assert future["total"] == 0
    assert client.get("/api/v1/audit", headers=world.headers("hr")).status_code == 403
