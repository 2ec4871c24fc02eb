"""GET /units/{id}/allowance and its CSV/XLSX export: percentages from predikat and
attendance, for hr and admin, without ever changing evaluation or attendance data."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.db.models import AttendanceMonth
from service.db.models import AuditEntry
from service.db.models import Evaluation
from service.db.models import Unit
from service.domain.allowance_report import COLUMNS
from tests.factories import make_evaluation
from tests.service.api.world import World


@pytest.fixture
def app_config(app_config: dict[str, str], tmp_path: Path) -> dict[str, str]:
    """The test app with an agency rule for unit A1 (a lighter lateness deduction)."""
    path = tmp_path / "allowance.json"
    rules = {"units": {"AGENCY-A1": {"late_day_deduction": 0.5}}}
    path.write_text(json.dumps(rules), encoding="utf-8")
    return app_config | {"KINERJA_ALLOWANCE_RULES": str(path)}


@pytest.fixture
def records(world: World, session: Session) -> World:
    """E1: baik for 2025-Q1, March 20 of 21 days, 2 late. E2: butuh_perbaikan for 2025,
    March complete. S: attendance, no evaluation. O (unit B): sangat_baik for 2025-03."""
    e = world.employees
    make_evaluation(session, employee_id=e["E1"], period="2025-Q1")
    make_evaluation(
        session, employee_id=e["E2"], period="2025", work_result_rating="di_bawah_ekspektasi"
    )
    make_evaluation(
        session,
        employee_id=e["O"],
        period="2025-03",
        work_result_rating="di_atas_ekspektasi",
        behavior_rating="di_atas_ekspektasi",
    )
    for person, present, late in (("E1", 20, 2), ("E2", 21, 0), ("S", 21, 1), ("O", 19, 0)):
        session.add(
            AttendanceMonth(
                employee_id=e[person],
                month="2025-03",
                work_days=21,
                present_days=present,
                late_days=late,
            )
        )
    unit = session.get(Unit, world.units["A1"])
    assert unit is not None
    unit.code = "AGENCY-A1"
    session.commit()
    return world


def _snapshot(session: Session) -> list[Any]:
    session.expire_all()
    evaluations = [
        {c.name: getattr(row, c.key) for c in Evaluation.__mapper__.columns}
        for row in session.scalars(select(Evaluation).order_by(Evaluation.id))
    ]
    months = [
        (r.employee_id, r.month, r.work_days, r.present_days, r.late_days)
        for r in session.scalars(select(AttendanceMonth).order_by(AttendanceMonth.id))
    ]
    return [evaluations, months]


def _lines(body: dict[str, Any], world: World) -> dict[str, dict[str, Any]]:
    names = {v: k for k, v in world.employees.items()}
    return {names[item["employee_id"]]: item for item in body["items"]}


def test_a_unit_page_applies_the_rule(
    client: FlaskClient, records: World, session: Session
) -> None:
    world = records
    before = _snapshot(session)
    url = f"/api/v1/units/{world.units['A']}/allowance?period=2025-03"
    response = client.get(url, headers=world.headers("hr"))
    assert response.status_code == 200, response.json
    body = response.json
    assert (body["period"], body["total"], body["rules_source"]) == (
        "2025-03",
        5,
        "file allowance.json",
    )
    lines = _lines(body, world)
    assert set(lines) == {"H", "S", "E1", "E2", "T"}  # unit A and below, not O (unit B)
    e1 = lines["E1"]
    assert (e1["predikat"], e1["evaluation_period"], e1["rule"]) == (
        "baik",
        "2025-Q1",
        "AGENCY-A1",
    )
    assert (e1["absent_days"], e1["late_days"], e1["attendance_percent"]) == (1, 2, 95.0)
    assert e1["allowance_percent"] == pytest.approx(60 + 0.4 * 95)
    e2 = lines["E2"]
    assert (e2["predikat"], e2["evaluation_period"]) == ("butuh_perbaikan", "2025")
    assert e2["allowance_percent"] == pytest.approx(0.6 * 75 + 40)
    assert (lines["S"]["status"], lines["S"]["allowance_percent"]) == ("no_evaluation", None)
    assert (lines["T"]["status"], lines["T"]["attendance_percent"]) == ("no_evaluation", None)
    assert lines["H"]["rule"] == "default"
    quarter = client.get(url.replace("2025-03", "2025-Q1"), headers=world.headers("hr")).json
    assert _lines(quarter, world)["E1"]["status"] == "no_attendance"  # January, February missing
    assert _snapshot(session) == before


def test_the_export_is_for_payroll_and_changes_nothing(
    client: FlaskClient, records: World, session: Session
) -> None:
    world = records
    before = _snapshot(session)
    base = f"/api/v1/units/{world.units['B']}/allowance/export?period=2025-03"
    as_csv = client.get(base, headers=world.headers("admin"))
    assert as_csv.status_code == 200
    assert as_csv.mimetype == "text/csv"
    assert "allowance-unit" in as_csv.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(as_csv.get_data().decode("utf-8-sig"))))
    assert tuple(rows[0]) == COLUMNS
    by_nip = {row[0]: dict(zip(COLUMNS, row, strict=True)) for row in rows[1:]}
    o = by_nip[world.nips["O"]]
    assert (o["predikat"], o["allowance_percent"], o["status"]) == ("sangat_baik", "96.8", "ok")
    as_xlsx = client.get(base + "&format=xlsx", headers=world.headers("admin"))
    assert as_xlsx.status_code == 200
    sheet = load_workbook(io.BytesIO(as_xlsx.get_data())).worksheets[0]
    table = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert tuple(table[0]) == COLUMNS
    line = next(row for row in table[1:] if row[0] == world.nips["O"])
    assert line[COLUMNS.index("allowance_percent")] == pytest.approx(96.8)
    assert len(table) == len(rows)
    assert _snapshot(session) == before
    audit = session.scalars(
        select(AuditEntry).where(
            AuditEntry.resource == "allowance", AuditEntry.employee_id.is_(None)
        )
    )
    assert [e.action for e in audit] == ["export", "export"]


def test_each_listed_employee_has_the_read_in_their_audit_log(
    client: FlaskClient, records: World, session: Session
) -> None:
    """The lines carry each person's predikat and attendance: GET /audit?employee_id= of
    each of them shows who read or exported them (the reader's own line leaves no row)."""
    world = records
    unit = world.units["A"]
    page = client.get(
        f"/api/v1/units/{unit}/allowance?period=2025-03&limit=2", headers=world.headers("hr")
    )
    assert page.status_code == 200
    listed = [item["employee_id"] for item in page.json["items"]]
    export = f"/api/v1/units/{unit}/allowance/export?period=2025-03"
    assert client.get(export, headers=world.headers("admin")).status_code == 200
    rows = session.execute(
        select(AuditEntry.actor_username, AuditEntry.action, AuditEntry.employee_id).where(
            AuditEntry.resource == "allowance", AuditEntry.employee_id.is_not(None)
        )
    ).all()
    hr_user, admin_user = "user-hr", "user-admin"
    read_by_hr = sorted(e for user, _, e in rows if user == hr_user)
    assert read_by_hr == sorted(e for e in listed if e != world.employees["H"])
    read_by_admin = sorted(e for user, _, e in rows if user == admin_user)
    everyone = [world.employees[n] for n in ("H", "S", "E1", "E2", "T")]
    assert read_by_admin == sorted(everyone)


@pytest.mark.parametrize(
    ("role", "unit", "status"),
    [("hr", "B", 404), ("supervisor", "A1", 403), ("employee", "A1", 403), ("data", "A", 403)],
)
def test_only_hr_over_the_unit_and_admin(
    shared_client: FlaskClient, shared_world: World, role: str, unit: str, status: int
) -> None:
    url = f"/api/v1/units/{shared_world.units[unit]}/allowance?period=2025-03"
    assert shared_client.get(url, headers=shared_world.headers(role)).status_code == status


@pytest.mark.parametrize(
    "query", ["period=2025-3", "period=2025-03&format=pdf", "period=2025-03&limit=0", ""]
)
def test_bad_queries_are_422(shared_client: FlaskClient, shared_world: World, query: str) -> None:
    url = f"/api/v1/units/{shared_world.units['A']}/allowance/export?{query}"
    if "limit" in query:
        url = url.replace("/export", "")
    response = shared_client.get(url, headers=shared_world.headers("admin"))
    assert response.status_code == 422
    assert response.headers["Content-Type"] == "application/problem+json"
