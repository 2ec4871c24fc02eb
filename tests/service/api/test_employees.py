"""Employees over HTTP: create, read with ETag, edit with If-Match, list per role."""

from __future__ import annotations

from flask.testing import FlaskClient

from tests.factories import make_nip
from tests.service.api.world import World


def test_create_read_and_edit_an_employee(client: FlaskClient, world: World) -> None:
    body = {
        "nip": make_nip(900_001),
        "name": "Siti",
        "unit_id": world.units["A1"],
        "position_id": world.position_id,
        "supervisor_id": world.employees["S"],
        "grade": "III/b",
    }
    created = client.post("/api/v1/employees", json=body, headers=world.headers("hr"))
    assert created.status_code == 201
    assert {k: created.json[k] for k in body} == body
    path = f"/api/v1/employees/{created.json['id']}"
    read = client.get(path, headers=world.headers("supervisor"))
    assert (read.status_code, read.headers["ETag"]) == (200, '"1"')
    duplicate = client.post("/api/v1/employees", json=body, headers=world.headers("hr"))
    assert duplicate.status_code == 409
    edit = client.patch(
        path, json={"grade": "III/c"}, headers=world.headers("hr") | {"If-Match": '"1"'}
    )
    assert (edit.status_code, edit.json["grade"], edit.headers["ETag"]) == (200, "III/c", '"2"')


def test_supervisor_chain_cannot_become_a_cycle(client: FlaskClient, world: World) -> None:
    path = f"/api/v1/employees/{world.employees['S']}"
    response = client.patch(
        path,
        json={"supervisor_id": world.employees["E2"]},
        headers=world.headers("admin") | {"If-Match": "*"},
    )
    assert response.status_code == 422
    assert response.json["errors"][0]["field"] == "supervisor_id"


def test_lists_follow_the_role(client: FlaskClient, world: World) -> None:
    def names(role: str) -> set[str]:
        page = client.get("/api/v1/employees?limit=1000", headers=world.headers(role)).json
        return {item["name"].removeprefix("Pegawai ") for item in page["items"]}

    assert names("supervisor") == {"S", "E1", "E2"}
    assert names("employee") == {"E1"}
    assert names("hr") == {"H", "S", "E1", "E2", "T"}
    assert len(names("admin")) == 8
    assert client.get("/api/v1/employees", headers=world.headers("data")).status_code == 403


def test_a_pppk_is_created_with_the_ni_pppk_bkn_gives(client: FlaskClient, world: World) -> None:
    """An NI PPPK has a contract code, not a month, in digits 13-14 (24: paruh waktu): it is
    valid for a PPPK, and still refused for a PNS, also when a PATCH makes one a PNS."""
    body = {
        "nip": "199009132025242014",
        "name": "Ani",
        "unit_id": world.units["A1"],
        "position_id": world.position_id,
        "employment_status": "pppk_paruh_waktu",
    }
    hr = world.headers("hr")
    created = client.post("/api/v1/employees", json=body, headers=hr)
    assert created.status_code == 201, created.json
    assert created.json["nip"] == body["nip"]
    as_pns = client.post("/api/v1/employees", json=body | {"employment_status": "pns"}, headers=hr)
    assert as_pns.status_code == 422
    assert as_pns.json["errors"][0]["field"] == "nip"
    assert "pppk" in as_pns.json["errors"][0]["message"]
    path = f"/api/v1/employees/{created.json['id']}"
    to_pns = client.patch(path, json={"employment_status": "pns"}, headers=hr | {"If-Match": "*"})
    assert to_pns.status_code == 422
    assert client.get(path, headers=hr).json["employment_status"] == "pppk_paruh_waktu"


def test_a_hire_date_before_the_18th_birthday_is_422(client: FlaskClient, world: World) -> None:
    """The NIP gives the birth date: nobody is hired before birth or as a child."""
    nip = make_nip(900_010)  # born 1960-01-11
    born = f"{nip[:4]}-{nip[4:6]}-{nip[6:8]}"
    body = {"nip": nip, "name": "Budi", "unit_id": world.units["A1"]}
    body |= {"position_id": world.position_id}
    hr = world.headers("hr")
    for hired in ("1900-01-01", born):
        refused = client.post("/api/v1/employees", json=body | {"hire_date": hired}, headers=hr)
        assert refused.status_code == 422, hired
        assert refused.json["errors"][0]["field"] == "hire_date"
    adult = f"{int(nip[:4]) + 18}-{nip[4:6]}-{nip[6:8]}"
    created = client.post("/api/v1/employees", json=body | {"hire_date": adult}, headers=hr)
    assert created.status_code == 201, created.json
    path = f"/api/v1/employees/{created.json['id']}"
    edit = client.patch(path, json={"hire_date": born}, headers=hr | {"If-Match": "*"})
    assert edit.status_code == 422
    assert client.get(path, headers=hr).json["hire_date"] == adult


def test_the_golongan_follows_the_employment_status(client: FlaskClient, world: World) -> None:
    """A PNS/CPNS has a golongan such as III/c, a PPPK one of I to XVII (Perpres 98/2020)."""
    body = {"name": "Citra", "unit_id": world.units["A1"], "position_id": world.position_id}
    hr = world.headers("hr")
    pppk = body | {"nip": make_nip(900_020), "employment_status": "pppk", "grade": "IX"}
    created = client.post("/api/v1/employees", json=pppk, headers=hr)
    assert (created.status_code, created.json.get("grade")) == (201, "IX"), created.json
    for status, grade in [("pns", "IX"), ("pppk", "III/c"), ("pppk", "XVIII"), ("cpns", "V")]:
        wrong = body | {"nip": make_nip(900_021), "employment_status": status, "grade": grade}
        refused = client.post("/api/v1/employees", json=wrong, headers=hr)
        assert refused.status_code == 422, (status, grade)
        assert refused.json["errors"][0]["field"] == "grade", (status, grade)
    path = f"/api/v1/employees/{created.json['id']}"
    to_pns = client.patch(path, json={"employment_status": "pns"}, headers=hr | {"If-Match": "*"})
    assert to_pns.status_code == 422
    both = {"employment_status": "pns", "grade": "III/a"}
    assert client.patch(path, json=both, headers=hr | {"If-Match": "*"}).status_code == 200
