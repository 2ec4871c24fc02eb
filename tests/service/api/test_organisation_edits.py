"""PATCH /units/{id} and PATCH /positions/{id}: If-Match, scope, moves without cycles."""

from __future__ import annotations

from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.db.models import AuditEntry
from tests.service.api.world import World

ANY = {"If-Match": "*"}


def test_unit_edit_needs_a_fresh_etag_and_bumps_it(
    client: FlaskClient, world: World, session: Session
) -> None:
    path = f"/api/v1/units/{world.units['A1']}"
    hr = world.headers("hr")
    tag = client.get(path, headers=hr).headers["ETag"]
    assert client.patch(path, json={"name": "Bidang Mutasi"}, headers=hr).status_code == 428
    changed = client.patch(
        path, json={"name": "Bidang Mutasi", "code": "BM-01"}, headers=hr | {"If-Match": tag}
    )
    assert changed.status_code == 200
    assert (changed.json["name"], changed.json["code"]) == ("Bidang Mutasi", "BM-01")
    assert changed.headers["ETag"] != tag
    stale = client.patch(path, json={"name": "Lagi"}, headers=hr | {"If-Match": tag})
    assert stale.status_code == 412
    assert client.get(path, headers=hr).json["name"] == "Bidang Mutasi"
    audited = session.scalars(select(AuditEntry).where(AuditEntry.resource == "unit")).all()
    assert [(row.action, row.resource_id) for row in audited] == [
        ("update", str(world.units["A1"]))
    ]


def test_unit_moves_only_within_scope_and_never_below_itself(
    client: FlaskClient, world: World
) -> None:
    hr, admin = world.headers("hr"), world.headers("admin")
    a, a1, b = world.units["A"], world.units["A1"], world.units["B"]
    below_itself = client.patch(f"/api/v1/units/{a}", json={"parent_id": a1}, headers=admin | ANY)
    assert below_itself.status_code == 422
    assert below_itself.json["errors"][0]["field"] == "parent_id"
    out_of_scope = client.patch(f"/api/v1/units/{a1}", json={"parent_id": b}, headers=hr | ANY)
    assert out_of_scope.status_code == 422
    assert (
        client.patch(f"/api/v1/units/{a1}", json={"parent_id": None}, headers=hr | ANY).status_code
        == 403
    )
    moved = client.patch(f"/api/v1/units/{a1}", json={"parent_id": b}, headers=admin | ANY)
    assert (moved.status_code, moved.json["parent_id"]) == (200, b)
    assert client.get(f"/api/v1/units/{a1}", headers=hr).status_code == 404  # left hr's units


def test_unit_code_is_unique_and_name_cannot_be_cleared(client: FlaskClient, world: World) -> None:
    admin = world.headers("admin") | ANY
    a, b = world.units["A"], world.units["B"]
    assert (
        client.patch(f"/api/v1/units/{a}", json={"code": "X-1"}, headers=admin).status_code == 200
    )
    assert (
        client.patch(f"/api/v1/units/{b}", json={"code": "X-1"}, headers=admin).status_code == 409
    )
    cleared = client.patch(f"/api/v1/units/{b}", json={"name": None}, headers=admin)
    assert cleared.status_code == 422


def test_position_edit_replaces_the_standard(client: FlaskClient, world: World) -> None:
    path = f"/api/v1/positions/{world.position_id}"
    hr = world.headers("hr")
    first = client.patch(
        path,
        json={"competency_standards": [{"competency": "M.01", "required_level": 3}]},
        headers=hr | ANY,
    )
    assert first.status_code == 200
    tag = first.headers["ETag"]
    second = client.patch(
        path,
        json={
            "title": "Analis SDM Aparatur",
            "competency_standards": [
                {"competency": "M.02", "required_level": 2},
                {"competency": "SK.01", "required_level": 3},
            ],
        },
        headers=hr | {"If-Match": tag},
    )
    assert second.status_code == 200
    assert second.headers["ETag"] != tag
    body = client.get(path, headers=hr).json
    assert body["title"] == "Analis SDM Aparatur"
    assert body["competency_standards"] == [
        {"competency": "M.02", "required_level": 2},
        {"competency": "SK.01", "required_level": 3},
    ]
    unknown = client.patch(
        path,
        json={"competency_standards": [{"competency": "Z.99", "required_level": 2}]},
        headers=hr | ANY,
    )
    assert unknown.status_code == 422
    assert (
        client.patch(path, json={"level": "x"}, headers=hr | {"If-Match": tag}).status_code == 412
    )


def test_hr_cannot_edit_a_position_of_another_unit(client: FlaskClient, world: World) -> None:
    created = client.post(
        "/api/v1/positions",
        json={"title": "Kepala Seksi", "kind": "struktural", "unit_id": world.units["B"]},
        headers=world.headers("admin"),
    )
    path = f"/api/v1/positions/{created.json['id']}"
    assert (
        client.patch(path, json={"level": "IV"}, headers=world.headers("hr") | ANY).status_code
        == 403
    )
    assert (
        client.patch(
            "/api/v1/positions/999999", json={}, headers=world.headers("hr") | ANY
        ).status_code
        == 404
    )


def test_a_position_level_is_a_jenjang(client: FlaskClient, world: World) -> None:
    """The level is the jenjang (domain.md Jabatan): the recommender matches it against the
    leadership tiers (pkp -> pengawas), so a spelling it cannot match is 422, and the common
    spellings ('Ahli Pertama', 'JPT-Pratama') are stored as the jenjang."""
    admin = world.headers("admin")
    body = {"title": "Kepala Seksi", "kind": "struktural"}
    for level, stored in [("Pengawas", "pengawas"), ("JPT-Pratama", "jpt_pratama")]:
        created = client.post("/api/v1/positions", json=body | {"level": level}, headers=admin)
        assert (created.status_code, created.json["level"]) == (201, stored)
    for level in ("eselon IV", "x"):
        refused = client.post("/api/v1/positions", json=body | {"level": level}, headers=admin)
        assert refused.status_code == 422, level
        assert refused.json["errors"][0]["field"] == "level"
    path = f"/api/v1/positions/{created.json['id']}"
    assert client.patch(path, json={"level": "IV"}, headers=admin | ANY).status_code == 422
    edited = client.patch(path, json={"level": "Ahli Pertama"}, headers=admin | ANY)
    assert (edited.status_code, edited.json["level"]) == (200, "ahli_pertama")
