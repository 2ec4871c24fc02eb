"""Revisions of an evaluation: a correction and an upheld objection keep the version they
replace (the old values, who, when, why) in their own transaction; a new evaluation, the
import and a refused or empty change keep none; `GET /evaluations/{id}/revisions` reads them
as the evaluation is read. On SQLite and PostgreSQL."""

from __future__ import annotations

import io

from flask.testing import FlaskClient
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.db.models import AuditEntry
from service.db.models import EvaluationRevision
from service.domain.entities import Rating
from tests.factories import make_evaluation
from tests.service.api.world import World

A, S, B = "di_atas_ekspektasi", "sesuai_ekspektasi", "di_bawah_ekspektasi"
REASON = "Realisasi RHK 2 sudah 100% dengan bukti di tautan; penilaian belum memperhitungkannya."


def _post(client: FlaskClient, world: World, period: str = "2025", **body: object) -> dict:
    path = f"/api/v1/employees/{world.employees['E1']}/evaluations"
    json = {"period": period, "work_result_rating": B, "behavior_rating": S} | body
    answer = client.post(path, json=json, headers=world.headers("supervisor"))
    assert answer.status_code == 201, answer.json
    return answer.json


def _patch(client: FlaskClient, world: World, evaluation_id: int, version: int, **body: object):  # type: ignore[no-untyped-def]
    headers = world.headers("supervisor") | {"If-Match": f'"{version}"'}
    return client.patch(f"/api/v1/evaluations/{evaluation_id}", json=body, headers=headers)


def _revisions(session: Session) -> list[EvaluationRevision]:
    session.expire_all()
    return list(session.scalars(select(EvaluationRevision).order_by(EvaluationRevision.id)))


#: The values an evaluation and each revision show (`EvaluationValues`), in JSON order.
VALUES = [
    "work_result_rating",
    "behavior_rating",
    "behavior_ratings",
    "predikat",
    "predikat_source",
    "rater_id",
    "feedback",
]


def test_a_correction_keeps_the_version_it_replaces(
    client: FlaskClient, world: World, session: Session
) -> None:
    created = _post(client, world, behavior_ratings={"akuntabel": A}, feedback="awal")
    assert _revisions(session) == []  # a new evaluation keeps nothing
    first = _patch(client, world, created["id"], 1, work_result_rating=A, feedback="koreksi")
    assert first.status_code == 200, first.json
    second = _patch(client, world, created["id"], 2, behavior_rating=A)
    assert (second.status_code, second.json["predikat"]) == (200, "sangat_baik")

    kept = _revisions(session)
    assert [(r.version, r.cause.value, r.revised_by_user_id) for r in kept] == [
        (1, "correction", world.users["supervisor"]),
        (2, "correction", world.users["supervisor"]),
    ]
    assert (kept[0].work_result_rating, kept[0].predikat.value, kept[0].feedback) == (
        Rating.DI_BAWAH_EKSPEKTASI,
        "butuh_perbaikan",
        "awal",
    )
    assert kept[0].behavior_akuntabel is Rating.DI_ATAS_EKSPEKTASI
    assert (kept[0].rater_id, kept[0].predikat_source.value) == (world.employees["S"], "matrix")
    assert (kept[1].predikat.value, kept[1].feedback) == ("baik", "koreksi")

    listed = client.get(
        f"/api/v1/evaluations/{created['id']}/revisions", headers=world.headers("hr")
    )
    assert listed.status_code == 200, listed.json
    assert listed.json["total"] == 2
    oldest = listed.json["items"][0]
    assert {k: oldest[k] for k in ("version", "predikat", "cause", "revised_by")} == {
        "version": 1,
        "predikat": "butuh_perbaikan",
        "cause": "correction",
        "revised_by": "user-supervisor",
    }
    assert oldest["behavior_ratings"] == {"akuntabel": A}
    assert oldest["revised_at"]
    values = [*VALUES, "cause", "revised_by_user_id", "revised_by", "revised_at"]
    assert list(oldest) == ["version", *values]  # the fields in the order they always had
    assert list(second.json) == ["id", "employee_id", "period", "kind", *VALUES, "version"]


def test_a_correction_to_the_same_values_keeps_nothing(
    client: FlaskClient, world: World, session: Session
) -> None:
    created = _post(client, world)
    same = _patch(client, world, created["id"], 1, work_result_rating=B)
    assert (same.status_code, same.json["version"]) == (200, 1)
    assert _revisions(session) == []


def test_a_refused_correction_keeps_nothing(
    client: FlaskClient, world: World, session: Session
) -> None:
    """Stale (412), bad (422), under objection (409): the change and its revision go
    together, so none is kept."""
    created = _post(client, world)
    assert _patch(client, world, created["id"], 7, work_result_rating=A).status_code == 412
    assert _patch(client, world, created["id"], 1, work_result_rating="x").status_code == 422
    path = f"/api/v1/evaluations/{created['id']}/objections"
    filed = client.post(path, json={"reason": REASON}, headers=world.headers("employee"))
    assert filed.status_code == 201, filed.json
    assert _patch(client, world, created["id"], 1, work_result_rating=A).status_code == 409
    assert _revisions(session) == []


def test_an_upheld_objection_keeps_the_version_it_replaces(
    client: FlaskClient, world: World, session: Session
) -> None:
    created = _post(client, world)
    path = f"/api/v1/evaluations/{created['id']}/objections"
    objection = client.post(path, json={"reason": REASON}, headers=world.headers("employee")).json
    decide = f"/api/v1/objections/{objection['id']}"
    headers = world.headers("hr") | {"If-Match": f'"{objection["version"]}"'}
    unchanged = {"status": "upheld", "decision_note": "Bukti sah.", "work_result_rating": B}
    assert client.patch(decide, json=unchanged, headers=headers).status_code == 422
    assert _revisions(session) == []
    upheld = client.patch(decide, json=unchanged | {"work_result_rating": S}, headers=headers)
    assert upheld.status_code == 200, upheld.json

    kept = _revisions(session)
    assert [(r.version, r.cause.value, r.predikat.value) for r in kept] == [
        (1, "objection", "butuh_perbaikan")
    ]
    assert kept[0].revised_by_user_id == world.users["hr"]
    own = client.get(
        f"{path.removesuffix('/objections')}/revisions", headers=world.headers("employee")
    )
    assert [item["predikat"] for item in own.json["items"]] == ["butuh_perbaikan"]


def test_the_import_keeps_no_revision(client: FlaskClient, world: World, session: Session) -> None:
    """The file import only adds evaluations (an existing one is refused): nothing to keep."""
    csv = f"nip,period,work_result_rating,behavior_rating\n{world.nips['E1']},2025,{S},{S}\n"
    answer = client.post(
        "/api/v1/imports/evaluations",
        data={"file": (io.BytesIO(csv.encode()), "e.csv")},
        headers=world.headers("hr"),
    )
    assert answer.status_code == 201, answer.json
    assert _revisions(session) == []


def test_reading_revisions_is_the_evaluations_read(
    client: FlaskClient, world: World, session: Session
) -> None:
    """Who may read the evaluation reads its revisions, and a read of someone else's is
    audited as the evaluation's; 404 alike for an unseen and an unknown evaluation."""
    created = _post(client, world)
    path = f"/api/v1/evaluations/{created['id']}/revisions"
    for role in ("supervisor", "hr", "employee", "admin"):
        answer = client.get(path, headers=world.headers(role))
        assert (answer.status_code, answer.json) == (200, {"items": [], "total": 0}), role
    reads = session.scalars(select(AuditEntry).where(AuditEntry.action == "read")).all()
    assert sorted((r.actor_username, r.employee_id, r.resource) for r in reads) == [
        (f"user-{role}", world.employees["E1"], "evaluation")
        for role in ("admin", "hr", "supervisor")
    ]
    other = make_evaluation(session, employee_id=world.employees["O"], period="2025")
    session.commit()
    unseen = client.get(f"/api/v1/evaluations/{other.id}/revisions", headers=world.headers("hr"))
    unknown = client.get("/api/v1/evaluations/999999/revisions", headers=world.headers("hr"))
    assert (unseen.status_code, unknown.status_code) == (404, 404)
    assert client.get(path, headers=world.headers("data")).status_code == 403
    session.expire_all()
    assert session.scalar(select(func.count()).where(AuditEntry.action == "read")) == 3


def test_the_route_is_in_the_openapi_document(client: FlaskClient) -> None:
    paths = client.get("/api/v1/openapi.json").json["paths"]
    assert "get" in paths["/api/v1/evaluations/{evaluation_id}/revisions"]
