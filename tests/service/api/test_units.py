"""Units, organisation grades with the distribution warnings, and the evaluation export."""

from __future__ import annotations

import csv
import io
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from tests.factories import make_employee
from tests.factories import make_evaluation
from tests.service.api.world import World


def test_hr_lists_only_its_subtree(client: FlaskClient, world: World) -> None:
    ids = {u["id"] for u in client.get("/api/v1/units", headers=world.headers("hr")).json["items"]}
    assert ids == {world.units["A"], world.units["A1"]}
    everyone = client.get("/api/v1/units", headers=world.headers("admin")).json
    assert everyone["total"] == 3


def _grade_a1(client: FlaskClient, world: World, session: Session) -> tuple[str, Any]:
    """Unit A1's four people evaluated Baik in 2025 and its grade set Baik by HR: the
    grades path and the answer to setting it."""
    for person in ("S", "E1", "E2", "T"):
        make_evaluation(session, employee_id=world.employees[person], period="2025")
    session.commit()
    path = f"/api/v1/units/{world.units['A1']}/grades"
    created = client.post(
        path, json={"period": "2025", "grade": "baik"}, headers=world.headers("hr")
    )
    return path, created


def test_grade_lists_distribution_warnings(
    client: FlaskClient, world: World, session: Session
) -> None:
    path, created = _grade_a1(client, world, session)
    assert created.status_code == 201
    body = created.json
    assert body["counts"] == {"baik": 4}
    assert body["size"] == 4
    rules = {warning["rule"] for warning in body["warnings"]}
    # Four of four rated Baik breaks "at most 70% Baik" and "someone below Baik".
    assert rules == {"baik.baik_at_most_70", "baik.butuh_perbaikan_or_kurang_required"}
    again = client.post(
        path, json={"period": "2025", "grade": "baik"}, headers=world.headers("hr")
    )
    assert again.status_code == 409
    read = client.get(f"{path}/2025", headers=world.headers("hr"))
    assert read.json["counts"] == {"baik": 4} and not read.json["withheld"]


def test_the_data_team_sees_a_units_counts_from_five_people(
    client: FlaskClient, world: World, session: Session
) -> None:
    """Four evaluated people are too few for an aggregate without names: the data team gets
    the size without counts or warnings; a fifth makes them visible."""
    path, created = _grade_a1(client, world, session)
    assert created.status_code == 201 and created.json["counts"] == {"baik": 4}
    small = client.get(f"{path}/2025", headers=world.headers("data"))
    assert small.status_code == 200
    assert small.json["withheld"] and small.json["size"] == 4
    assert small.json["counts"] == {} and small.json["warnings"] == []
    fifth = make_employee(session, unit_id=world.units["A1"], position_id=world.position_id)
    make_evaluation(session, employee_id=fifth.id, period="2025")
    session.commit()
    read = client.get(f"{path}/2025", headers=world.headers("data"))
    assert read.status_code == 200 and not read.json["withheld"]
    assert read.json["counts"] == {"baik": 5} and read.json["warnings"]
    assert "name" not in read.get_data(as_text=True)


def test_export_is_a_csv_of_the_units_evaluations(
    client: FlaskClient, world: World, session: Session
) -> None:
    make_evaluation(session, employee_id=world.employees["E1"], period="2025-Q2")
    session.commit()
    path = f"/api/v1/units/{world.units['A']}/evaluations/export?period=2025-Q2&format=csv"
    response = client.get(path, headers=world.headers("hr"))
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"  # named once
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert [row["nip"] for row in rows] == [world.nips["E1"]]
    bad = client.get(path.replace("2025-Q2", "2025-Q9"), headers=world.headers("hr"))
    assert bad.status_code == 422


def test_a_grade_of_a_period_not_started_is_422(client: FlaskClient, world: World) -> None:
    """An organisation's achievement is set from a period's results: not before it starts."""
    path = f"/api/v1/units/{world.units['A1']}/grades"
    hr = world.headers("hr")
    refused = client.post(path, json={"period": "2100", "grade": "baik"}, headers=hr)
    assert refused.status_code == 422
    assert refused.json["errors"][0]["field"] == "period"
    assert client.get(f"{path}/2100", headers=hr).status_code == 404


def test_a_grade_set_in_error_is_corrected_with_if_match(
    client: FlaskClient, world: World, session: Session
) -> None:
    """A grade is set once (409 on a second POST), so a wrong one is corrected by PATCH with
    the ETag of the GET; the answer checks the distribution against the new grade."""
    path, created = _grade_a1(client, world, session)
    assert created.status_code == 201
    hr = world.headers("hr")
    read = client.get(f"{path}/2025", headers=hr)
    tag = read.headers["ETag"]
    assert tag == '"1"'
    body = {"grade": "istimewa", "basis": "Capaian perjanjian kinerja 112%"}
    assert client.patch(f"{path}/2025", json=body, headers=hr).status_code == 428
    fixed = client.patch(f"{path}/2025", json=body, headers=hr | {"If-Match": tag})
    assert fixed.status_code == 200, fixed.json
    assert (fixed.json["grade"], fixed.json["basis"]) == ("istimewa", body["basis"])
    assert fixed.json["warnings"] == [] and fixed.headers["ETag"] == '"2"'
    stale = client.patch(f"{path}/2025", json={"grade": "kurang"}, headers=hr | {"If-Match": tag})
    assert stale.status_code == 412
    cleared = client.patch(f"{path}/2025", json={"grade": None}, headers=hr | {"If-Match": "*"})
    assert cleared.status_code == 422
    assert client.get(f"{path}/2025", headers=hr).json["grade"] == "istimewa"
    other = f"/api/v1/units/{world.units['B']}/grades/2025"
    assert client.patch(other, json=body, headers=hr | {"If-Match": "*"}).status_code == 404
    assert (
        client.patch(f"{path}/2024", json=body, headers=hr | {"If-Match": "*"}).status_code == 404
    )
