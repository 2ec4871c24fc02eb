"""PATCH /skps/{id}: the employee edits a draft plan's RHK and indicators, with If-Match."""

from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.db.models import Indicator
from service.db.models import Rhk
from service.domain.entities import RhkKind
from tests.service.api.world import World
from tests.service.api.world import add_skp


def _indicator(description: str, target: int) -> dict[str, Any]:
    return {"aspect": "kuantitas", "description": description, "target_value": target}


def _rhk(description: str, *indicators: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"kind": "utama", "description": description, "indicators": list(indicators)} | extra


def _draft(client: FlaskClient, world: World, person: str = "E1", role: str = "employee") -> Any:
    body = {
        "year": 2026,
        "rhks": [
            _rhk("Layanan mutasi", _indicator("Surat keputusan", 12)),
            _rhk("Layanan pensiun", _indicator("Berkas", 30)),
        ],
    }
    created = client.post(
        f"/api/v1/employees/{world.employees[person]}/skps", json=body, headers=world.headers(role)
    )
    assert created.status_code == 201
    return created


def test_rhk_list_is_rewritten_keeping_listed_ids(
    client: FlaskClient, world: World, session: Session
) -> None:
    created = _draft(client, world)
    plan = created.json
    kept, dropped = plan["rhks"][0]["id"], plan["rhks"][1]["id"]
    path = f"/api/v1/skps/{plan['id']}"
    headers = world.headers("employee")
    body = {
        "approach": "kualitatif",
        "rhks": [
            _rhk("Layanan kenaikan pangkat", _indicator("Usulan", 40)),
            _rhk("Layanan mutasi (revisi)", _indicator("SK", 10), _indicator("Nota", 5), id=kept),
        ],
    }
    assert client.patch(path, json=body, headers=headers).status_code == 428
    edited = client.patch(path, json=body, headers=headers | {"If-Match": created.headers["ETag"]})
    assert edited.status_code == 200
    assert edited.headers["ETag"] == '"2"'
    rhks = edited.json["rhks"]
    assert [(r["description"], r["ordinal"]) for r in rhks] == [
        ("Layanan kenaikan pangkat", 1),
        ("Layanan mutasi (revisi)", 2),
    ]
    assert rhks[1]["id"] == kept and rhks[0]["id"] not in (kept, dropped)
    assert [i["description"] for i in rhks[1]["indicators"]] == ["SK", "Nota"]
    assert edited.json["approach"] == "kualitatif"
    assert session.get(Rhk, dropped) is None
    assert session.scalar(select(func.count()).select_from(Indicator)) == 3
    stale = client.patch(path, json={"model": "jpt"}, headers=headers | {"If-Match": '"1"'})
    assert stale.status_code == 412


def test_only_the_employee_edits_and_only_a_draft(client: FlaskClient, world: World) -> None:
    plan = _draft(client, world).json
    path = f"/api/v1/skps/{plan['id']}"
    any_version = {"If-Match": "*"}
    body = {"approach": "kualitatif"}
    supervisor = world.headers("supervisor") | any_version
    assert client.patch(path, json=body, headers=supervisor).status_code == 403
    assert (
        client.patch(path, json=body, headers=world.headers("hr") | any_version).status_code == 403
    )
    employee = world.headers("employee") | any_version
    assert client.post(f"{path}/submit", headers=employee).status_code == 200
    submitted = client.patch(path, json=body, headers=employee)
    assert submitted.status_code == 409
    assert "draft" in submitted.json["detail"]


def test_an_rhk_another_plan_supports_cannot_be_dropped(client: FlaskClient, world: World) -> None:
    boss = _draft(client, world, "S", "supervisor").json
    supported = boss["rhks"][0]["id"]
    mine = client.post(
        f"/api/v1/employees/{world.employees['E1']}/skps",
        json={
            "year": 2026,
            "rhks": [_rhk("Mendukung atasan", _indicator("Laporan", 4), parent_rhk_id=supported)],
        },
        headers=world.headers("employee"),
    )
    assert mine.status_code == 201
    path = f"/api/v1/skps/{boss['id']}"
    headers = world.headers("supervisor") | {"If-Match": "*"}
    replaced = client.patch(
        path, json={"rhks": [_rhk("Baru", _indicator("Dokumen", 1))]}, headers=headers
    )
    assert replaced.status_code == 409
    assert str(supported) in replaced.json["detail"]
    foreign = client.patch(
        path,
        json={"rhks": [_rhk("x", _indicator("y", 1), id=mine.json["rhks"][0]["id"])]},
        headers=headers,
    )
    assert foreign.status_code == 422
    assert foreign.json["errors"][0]["field"] == "rhks[0].id"
    kept = client.patch(
        path,
        json={"rhks": [_rhk("Layanan mutasi ASN", _indicator("SK", 12), id=supported)]},
        headers=headers,
    )
    assert kept.status_code == 200
    assert [r["id"] for r in kept.json["rhks"]] == [supported]


def test_an_rhk_supports_only_an_rhk_of_the_rater_or_a_superior(
    client: FlaskClient, world: World, session: Session
) -> None:
    """An RHK's parent is the superior's RHK it intervenes in. Anyone else's RHK (another
    unit's, a subordinate's) is refused as unknown (422): the caller cannot see it, and the
    link would stop its owner from dropping it (409). H is above E1 (E1 -> S -> H)."""
    rhks = {}
    for person in ("O", "E2", "H"):
        plan = add_skp(session, world, person, 2026, None)
        rhk = Rhk(skp_id=plan, kind=RhkKind.UTAMA, description="RHK", ordinal=1)
        session.add(rhk)
        session.flush()
        rhks[person] = rhk.id
    session.commit()
    path = f"/api/v1/employees/{world.employees['E1']}/skps"
    employee = world.headers("employee")

    def post(person: str):  # type: ignore[no-untyped-def]
        body = {
            "year": 2026,
            "rhks": [_rhk("Ikut", _indicator("x", 1), parent_rhk_id=rhks[person])],
        }
        return client.post(path, json=body, headers=employee)

    for person in ("O", "E2"):
        refused = post(person)
        assert refused.status_code == 422, (person, refused.get_data(as_text=True))
        assert refused.json["errors"][0]["field"] == "rhks[0].parent_rhk_id"
    linked = select(func.count()).select_from(Rhk).where(Rhk.parent_rhk_id.is_not(None))
    assert session.scalar(linked) == 0
    supported = post("H")
    assert supported.status_code == 201, supported.get_data(as_text=True)
    assert supported.json["rhks"][0]["parent_rhk_id"] == rhks["H"]
