"""Position SKP templates and the bulk drafting of a unit's SKPs from them (both databases)."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from service.db.models import AuditEntry
from service.db.models import Employee
from service.db.models import Indicator
from service.db.models import Rhk
from service.db.models import Skp
from service.db.models import SkpDraftingRun
from service.db.models import SkpDraftingSkip
from service.db.models import SkpTemplate
from service.domain.audit import Actor
from service.domain.entities import Role
from service.domain.skp_templates import draft_unit_skps
from tests.factories import make_employee
from tests.factories import make_position
from tests.service.api.world import World

TEMPLATE: dict[str, Any] = {
    "model": "ja_jf",
    "approach": "kuantitatif",
    "rhks": [
        {
            "kind": "utama",
            "description": "Layanan administrasi kepegawaian",
            "parent_ordinal": 1,
            "indicators": [
                {
                    "aspect": "kuantitas",
                    "description": "Dokumen",
                    "target_value": 12,
                    "target_unit": "dokumen",
                },
                {"aspect": "waktu", "description": "Tepat waktu", "target_text": "Desember"},
            ],
        },
        {
            "kind": "tambahan",
            "description": "Pendampingan magang",
            "indicators": [{"aspect": "kualitas", "description": "Laporan", "target_value": 1}],
        },
    ],
}


def _template_path(world: World, position_id: int | None = None) -> str:
    return f"/api/v1/positions/{position_id or world.position_id}/skp-template"


def _put(client: FlaskClient, world: World, role: str = "hr", **headers: str) -> Any:
    return client.put(_template_path(world), json=TEMPLATE, headers=world.headers(role) | headers)


def _filled(rhks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """`rhks` as answered: every optional field named, null when not given."""
    empty = dict.fromkeys(("target_value", "target_unit", "target_text"))
    return [
        {"parent_ordinal": None}
        | rhk
        | {"indicators": [empty | indicator for indicator in rhk["indicators"]]}
        for rhk in rhks
    ]


def _audit(session: Session, resource: str) -> list[tuple[str, str | None, int | None]]:
    query = select(AuditEntry.action, AuditEntry.resource_id, AuditEntry.employee_id)
    query = query.where(AuditEntry.resource == resource).order_by(AuditEntry.id)
    return [tuple(row) for row in session.execute(query)]  # type: ignore[misc]


def test_a_template_is_written_read_replaced_at_its_version_and_removed(
    client: FlaskClient, world: World, session: Session
) -> None:
    hr, path = world.headers("hr"), _template_path(world)
    assert client.get(path, headers=hr).status_code == 404
    created = _put(client, world)
    assert created.status_code == 201, created.get_data(as_text=True)
    assert created.headers["ETag"] == '"1"'
    assert created.json["rhks"] == _filled(TEMPLATE["rhks"])
    read = client.get(path, headers=world.headers("admin"))
    assert (read.status_code, read.headers["ETag"]) == (200, '"1"')
    assert read.json["position_id"] == world.position_id
    assert read.json["updated_by_id"] == world.employees["H"]
    assert [r["description"] for r in read.json["rhks"]] == [
        r["description"] for r in TEMPLATE["rhks"]
    ]
    assert read.json["rhks"][0]["parent_ordinal"] == 1
    assert read.json["rhks"][1]["parent_ordinal"] is None
    assert read.json["rhks"][0]["indicators"][0]["target_value"] == 12
    assert _put(client, world).status_code == 428
    assert _put(client, world, **{"If-Match": '"7"'}).status_code == 412
    replaced = _put(client, world, **{"If-Match": '"1"'})
    assert (replaced.status_code, replaced.headers["ETag"]) == (200, '"2"')
    assert client.delete(path, headers=hr).status_code == 428
    assert client.delete(path, headers=hr | {"If-Match": '"1"'}).status_code == 412
    assert client.delete(path, headers=hr | {"If-Match": '"2"'}).status_code == 204
    assert client.get(path, headers=hr).status_code == 404
    assert client.delete(path, headers=hr | {"If-Match": "*"}).status_code == 404
    position = str(world.position_id)
    assert _audit(session, "skp_template") == [
        ("create", position, None),
        ("update", position, None),
        ("delete", position, None),
    ]


def test_a_new_template_cannot_match_a_version(client: FlaskClient, world: World) -> None:
    assert _put(client, world, **{"If-Match": '"1"'}).status_code == 412
    assert _put(client, world, **{"If-Match": "*"}).status_code == 201


def test_a_template_is_refused_by_the_rules_of_an_skps_own_rhk(
    client: FlaskClient, world: World
) -> None:
    hr, path = world.headers("hr"), _template_path(world)
    no_main = TEMPLATE | {"rhks": TEMPLATE["rhks"][1:]}
    no_target = {"aspect": "kuantitas", "description": "Dokumen"}
    untargeted = TEMPLATE | {"rhks": [TEMPLATE["rhks"][0] | {"indicators": [no_target]}]}
    no_indicator = TEMPLATE | {"rhks": [TEMPLATE["rhks"][0] | {"indicators": []}]}
    bad_parent = TEMPLATE | {"rhks": [TEMPLATE["rhks"][0] | {"parent_ordinal": 0}]}
    for body, field in (
        (no_main, "rhks"),
        (untargeted, "rhks[0].indicators[0]"),
        (no_indicator, "rhks.0.indicators"),
        (bad_parent, "rhks.0.parent_ordinal"),
        (TEMPLATE | {"rhks": []}, "rhks"),
    ):
        refused = client.put(path, json=body, headers=hr)
        assert refused.status_code == 422, field
        assert refused.json["errors"][0]["field"] == field
    assert client.get(path, headers=hr).status_code == 404


def test_hr_writes_only_the_templates_of_positions_in_its_units(
    client: FlaskClient, world: World, session: Session
) -> None:
    inside = make_position(session, unit_id=world.units["A1"]).id
    outside = make_position(session, unit_id=world.units["B"]).id
    session.commit()
    hr = world.headers("hr")
    assert client.put(_template_path(world, inside), json=TEMPLATE, headers=hr).status_code == 201
    refused = client.put(_template_path(world, outside), json=TEMPLATE, headers=hr)
    assert refused.status_code == 403
    admin = world.headers("admin")
    assert (
        client.put(_template_path(world, outside), json=TEMPLATE, headers=admin).status_code == 201
    )
    assert client.get(_template_path(world, outside), headers=hr).status_code == 200
    missing = _template_path(world, 2_000_000_000)
    assert client.put(missing, json=TEMPLATE, headers=admin).status_code == 404


# --- bulk drafting --------------------------------------------------------------------------


def _draft(
    client: FlaskClient, world: World, unit: str, body: dict[str, Any], **headers: str
) -> Any:
    path = f"/api/v1/units/{world.units[unit]}/skps"
    return client.post(path, json=body, headers=world.headers("hr") | headers)


def _plans(session: Session, year: int) -> dict[int, Skp]:
    session.expire_all()
    return {skp.employee_id: skp for skp in session.scalars(select(Skp).where(Skp.year == year))}


def test_a_unit_is_drafted_from_its_templates_once(
    client: FlaskClient, world: World, session: Session
) -> None:
    """A (H, no supervisor) with A1 (S -> H, E1 -> S, E2 -> E1, T: no supervisor), plus in
    A1 someone of a position without a template and a boss created after her report."""
    e = world.employees
    other = make_employee(
        session, unit_id=world.units["A1"], position_id=make_position(session).id
    )
    report = make_employee(session, unit_id=world.units["A1"], position_id=world.position_id)
    boss = make_employee(
        session, unit_id=world.units["A1"], position_id=world.position_id, supervisor_id=e["S"]
    )
    report.supervisor_id = boss.id
    gone = make_employee(
        session, unit_id=world.units["A1"], position_id=world.position_id, is_active=False
    )
    session.commit()
    assert _put(client, world).status_code == 201
    session.add(Skp(employee_id=e["T"], position_id=world.position_id, year=2031,
                    model="ja_jf", approach="kualitatif"))  # fmt: skip
    session.commit()

    first = _draft(client, world, "A", {"year": 2031}, **{"Idempotency-Key": "draft-2031"})
    assert first.status_code == 201, first.get_data(as_text=True)
    run = session.get(SkpDraftingRun, first.json["id"])
    assert run is not None and (run.unit_id, run.year, run.created) == (world.units["A"], 2031, 5)
    assert first.json == {
        "id": run.id,
        "created": 5,
        "skipped": sorted(
            [
                {"employee_id": e["H"], "reason": "no_supervisor"},
                {"employee_id": e["T"], "reason": "has_skp"},
                {"employee_id": other.id, "reason": "no_template"},
            ],
            key=lambda item: item["employee_id"],
        ),
    }
    plans = _plans(session, 2031)
    drafted = {e["S"], e["E1"], e["E2"], boss.id, report.id}
    assert drafted | {e["T"]} == set(plans)
    assert gone.id not in plans
    for employee_id in drafted:
        skp = plans[employee_id]
        supervisor = session.get(Employee, employee_id).supervisor_id  # type: ignore[union-attr]
        assert (skp.status.value, skp.rater_id, skp.model.value, skp.approach.value) == (
            "draft",
            supervisor,
            "ja_jf",
            "kuantitatif",
        )
    rhks = _rhks(session, plans[e["E1"]].id)
    assert [(r.kind.value, r.description, r.ordinal) for r in rhks] == [
        ("utama", "Layanan administrasi kepegawaian", 1),
        ("tambahan", "Pendampingan magang", 2),
    ]
    indicators = session.scalars(select(Indicator).where(Indicator.rhk_id == rhks[0].id)).all()
    assert sorted((i.aspect.value, i.target_value, i.target_text) for i in indicators) == [
        ("kuantitas", 12, None),
        ("waktu", None, "Desember"),
    ]
    # The first RHK supports the first of the rater's plan, drafted in the same run (the
    # boss after her report by id), or none when the rater has no plan (H).
    first_rhk = {employee_id: _rhks(session, plans[employee_id].id)[0] for employee_id in drafted}
    assert first_rhk[e["S"]].parent_rhk_id is None
    assert first_rhk[e["E1"]].parent_rhk_id == first_rhk[e["S"]].id
    assert first_rhk[e["E2"]].parent_rhk_id == first_rhk[e["E1"]].id
    assert first_rhk[report.id].parent_rhk_id == first_rhk[boss.id].id
    assert _rhks(session, plans[e["E1"]].id)[1].parent_rhk_id is None
    audit = [row for row in _audit(session, "skp") if row[0] == "create"]
    assert sorted(employee_id for _, _, employee_id in audit) == sorted(drafted)

    replay = _draft(client, world, "A", {"year": 2031}, **{"Idempotency-Key": "draft-2031"})
    assert (replay.status_code, replay.json) == (201, first.json)
    again = _draft(client, world, "A", {"year": 2031})
    assert again.status_code == 201
    assert again.json["created"] == 0
    assert {s["reason"] for s in again.json["skipped"] if s["employee_id"] in drafted} == {
        "has_skp"
    }
    assert len(_plans(session, 2031)) == 6
    kept = session.scalars(
        select(SkpDraftingSkip.reason).where(SkpDraftingSkip.run_id == again.json["id"])
    ).all()
    assert sorted(kept) == sorted(s["reason"] for s in again.json["skipped"])


def _rhks(session: Session, skp_id: int) -> list[Rhk]:
    return list(session.scalars(select(Rhk).where(Rhk.skp_id == skp_id).order_by(Rhk.ordinal)))


def test_drafting_a_unit_alone_and_an_inactive_supervisor(
    client: FlaskClient, world: World, session: Session
) -> None:
    assert _put(client, world).status_code == 201
    alone = _draft(client, world, "A", {"year": 2032, "include_subunits": False})
    assert alone.json == {
        "id": alone.json["id"],
        "created": 0,
        "skipped": [{"employee_id": world.employees["H"], "reason": "no_supervisor"}],
    }
    session.get(Employee, world.employees["E1"]).is_active = False  # type: ignore[union-attr]
    session.commit()
    drafted = _draft(client, world, "A1", {"year": 2032})
    assert drafted.json["created"] == 1  # S
    assert {"employee_id": world.employees["E2"], "reason": "supervisor_inactive"} in drafted.json[
        "skipped"
    ]


def test_only_hr_over_the_unit_and_admin_draft(client: FlaskClient, world: World) -> None:
    path = f"/api/v1/units/{world.units['A1']}/skps"
    for role, status in (("employee", 403), ("supervisor", 403), ("data", 403)):
        assert (
            client.post(path, json={"year": 2033}, headers=world.headers(role)).status_code
            == status
        )
    outside = f"/api/v1/units/{world.units['B']}/skps"
    assert (
        client.post(outside, json={"year": 2033}, headers=world.headers("hr")).status_code == 404
    )
    assert (
        client.post(outside, json={"year": 2033}, headers=world.headers("admin")).status_code
        == 201
    )
    assert client.post(path, json={"year": 1800}, headers=world.headers("hr")).status_code == 422


def test_a_drafting_that_fails_midway_stores_nothing(world: World, session: Session) -> None:
    """One transaction: S's plan (the first level) is stored before E1's fails on a template
    the database refuses (an indicator without a target, written past the checks), and the
    rollback takes S's plan and its audit row with it."""
    broken = make_position(session)
    session.add(
        SkpTemplate(
            position_id=world.position_id,
            model="ja_jf",
            approach="kuantitatif",
            rhks=TEMPLATE["rhks"],
        )  # fmt: skip
    )
    untargeted = {"aspect": "kuantitas", "description": "x"}
    rhks = [TEMPLATE["rhks"][0] | {"indicators": [untargeted]}]
    session.add(SkpTemplate(position_id=broken.id, model="ja_jf", approach="kuantitatif",
                            rhks=rhks))  # fmt: skip
    session.get(Employee, world.employees["E1"]).position_id = broken.id  # type: ignore[union-attr]
    session.commit()
    actor = Actor(user_id=world.users["hr"], username="user-hr", role=Role.HR,
                  employee_id=world.employees["H"], unit_id=world.units["A"])  # fmt: skip
    with pytest.raises(IntegrityError):
        draft_unit_skps(session, actor, world.units["A1"], 2034)
    session.rollback()
    assert _plans(session, 2034) == {}
    assert [row for row in _audit(session, "skp") if row[0] == "create"] == []


def test_the_document_names_the_etag_of_a_put_that_creates(client: FlaskClient) -> None:
    """A PUT that creates the template answers 201 with its first ETag, as a replacing PUT
    answers 200 with the next: the document names the header on both."""
    doc = client.get("/api/v1/openapi.json").get_json()
    put = doc["paths"]["/api/v1/positions/{position_id}/skp-template"]["put"]["responses"]
    for code in ("200", "201"):
        assert "ETag" in put[code]["headers"], code
