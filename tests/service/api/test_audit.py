"""GET /audit: admins see who touched whose data, filtered by employee, actor and time."""

from __future__ import annotations

from datetime import UTC
from datetime import datetime
from datetime import timedelta
from datetime import timezone

from flask.testing import FlaskClient
from sqlalchemy import func
from sqlalchemy import insert
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.db.models import AuditEntry
from service.db.models import Employee
from service.domain.evaluation_input import evaluation_values
from service.domain.evaluation_input import insert_evaluations
from service.domain.evaluation_input import parse_evaluation
from tests.factories import make_evaluation
from tests.factories import make_nip
from tests.service.api.world import World

S = "sesuai_ekspektasi"


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


def test_time_filters_compare_instants_whatever_the_offset(
    client: FlaskClient, world: World
) -> None:
    """`since`/`until` name instants: the same moment written in UTC, in WIB (+07:00), in
    another offset or without one (read as UTC) filters the same rows on every backend."""
    target = world.employees["E1"]
    read = client.get(f"/api/v1/employees/{target}/evaluations", headers=world.headers("hr"))
    assert read.status_code == 200
    admin = world.headers("admin")
    now = datetime.now(UTC)
    wib, west = timezone(timedelta(hours=7)), timezone(timedelta(hours=-7))

    def total(**query: str) -> int:
        response = client.get("/api/v1/audit", query_string=query, headers=admin)
        assert response.status_code == 200, response.get_data(as_text=True)
        return response.json["total"]

    before, after = now - timedelta(minutes=10), now + timedelta(minutes=10)
    for zone in (UTC, wib, west):
        assert total(since=before.astimezone(zone).isoformat()) == 1, zone
        assert total(since=after.astimezone(zone).isoformat()) == 0, zone
        assert total(until=before.astimezone(zone).isoformat()) == 0, zone
        assert total(until=after.astimezone(zone).isoformat()) == 1, zone
    assert total(since=before.replace(tzinfo=None).isoformat()) == 1
    assert total(until=before.replace(tzinfo=None).isoformat()) == 0
    # Bounds at the ends of the calendar are no error (their UTC instant is out of range).
    assert total(since="0001-01-01T00:00:00+05:00", until="9999-12-31T23:59:59-05:00") == 1
    row = client.get("/api/v1/audit", headers=admin).json["items"][0]
    assert datetime.fromisoformat(row["at"]).utcoffset() == timedelta(0)


def test_an_export_audits_a_read_of_each_exported_employee(
    client: FlaskClient, world: World, session: Session
) -> None:
    """An export is a read of everyone's evaluations in it: `GET /audit?employee_id=` must
    find it for each of them (not only a row naming the unit), and none for the exporter's
    own evaluation or for someone whose evaluations were not in the file."""
    for person in ("H", "E1", "T"):
        make_evaluation(session, employee_id=world.employees[person], period="2025")
    make_evaluation(session, employee_id=world.employees["E2"], period="2024")
    make_evaluation(session, employee_id=world.employees["O"], period="2025")
    session.commit()
    exported = client.get(
        f"/api/v1/units/{world.units['A']}/evaluations/export?period=2025&format=csv",
        headers=world.headers("hr"),
    )
    assert exported.status_code == 200
    admin = world.headers("admin")

    def reads(person: str) -> list[tuple[str, str, str]]:
        query = {"employee_id": world.employees[person]}
        rows = client.get("/api/v1/audit", query_string=query, headers=admin).json["items"]
        return [(r["actor_username"], r["action"], r["resource"]) for r in rows]

    for person in ("E1", "T"):
        assert reads(person) == [("user-hr", "read", "evaluation")], person
    for person in ("H", "E2", "O"):
        assert reads(person) == [], person


def test_an_export_of_a_large_unit_audits_each_employee(
    client: FlaskClient, world: World, session: Session
) -> None:
    """More exported employees than one INSERT may carry parameters for (65,535 on
    PostgreSQL: 8,192 audit rows) still give one row each, not an error."""
    size = 8_300
    people = [
        {
            "nip": make_nip(700_000 + number),
            "name": f"Pegawai {number}",
            "unit_id": world.units["A1"],
            "position_id": world.position_id,
        }
        for number in range(size)
    ]
    session.execute(insert(Employee), people)
    ids = session.scalars(select(Employee.id).where(Employee.unit_id == world.units["A1"])).all()
    inp = parse_evaluation({"period": "2025", "work_result_rating": S, "behavior_rating": S})
    insert_evaluations(session, [(i, None, *evaluation_values(inp)) for i in ids])
    session.commit()
    exported = client.get(
        f"/api/v1/units/{world.units['A']}/evaluations/export?period=2025&format=csv",
        headers=world.headers("hr"),
    )
    assert exported.status_code == 200, exported.get_data(as_text=True)[:300]
    audited = select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "read")
    assert session.scalar(audited) == len(ids)  # unit A1, below hr's unit A: not hr's own
