"""Objections (keberatan): the employee files, the rater's superior decides, the employee may
withdraw; one per evaluation, within the window, audited, on SQLite and PostgreSQL.

In the world, S rates E1 and reports to H (the hr user): H decides E1's objections.
"""

from __future__ import annotations

from datetime import UTC
from datetime import datetime
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy import update
from sqlalchemy.orm import Session

from service.db.models import AuditEntry
from service.db.models import Evaluation
from service.db.models import Objection
from service.db.models import RiskScore
from service.domain.entities import Predikat
from service.domain.entities import Rating
from service.domain.errors import Invalid
from service.domain.objections import ObjectionSettings
from tests.factories import make_evaluation
from tests.service.api.world import World

A, S, B = "di_atas_ekspektasi", "sesuai_ekspektasi", "di_bawah_ekspektasi"
REASON = "Realisasi RHK 2 sudah 100% dengan bukti di tautan; penilaian belum memperhitungkannya."


def _evaluation(session: Session, world: World, person: str = "E1", rater: str = "S") -> int:
    evaluation = make_evaluation(
        session,
        employee_id=world.employees[person],
        rater_id=world.employees[rater] if rater else None,
        period="2025",
        work_result_rating=Rating.DI_BAWAH_EKSPEKTASI,
        behavior_rating=Rating.SESUAI_EKSPEKTASI,
    )
    session.commit()
    return evaluation.id


def _file(client: FlaskClient, world: World, evaluation_id: int, role: str = "employee", **h):  # type: ignore[no-untyped-def]
    path = f"/api/v1/evaluations/{evaluation_id}/objections"
    return client.post(path, json={"reason": REASON}, headers=world.headers(role) | h)


def _close(client: FlaskClient, world: World, objection: dict, role: str, body: dict, **h):  # type: ignore[no-untyped-def]
    headers = world.headers(role) | {"If-Match": f'"{objection["version"]}"'} | h
    return client.patch(f"/api/v1/objections/{objection['id']}", json=body, headers=headers)


def _audit(session: Session, resource: str) -> list[tuple[str, int | None]]:
    query = select(AuditEntry.action, AuditEntry.employee_id).where(
        AuditEntry.resource == resource
    )
    return [(str(action), employee) for action, employee in session.execute(query)]


def test_employee_objects_and_the_raters_superior_upholds(
    client: FlaskClient, world: World, session: Session
) -> None:
    evaluation_id = _evaluation(session, world)
    filed = _file(client, world, evaluation_id)
    assert filed.status_code == 201, filed.json
    objection = filed.json
    assert objection["status"] == "pending"
    assert objection["predikat_before"] == "butuh_perbaikan"
    assert objection["evaluation"]["id"] == evaluation_id
    assert objection["can_decide"] is False
    assert ("create", world.employees["E1"]) in _audit(session, "objection")

    inbox = client.get("/api/v1/objections?status=pending", headers=world.headers("hr")).json
    assert [(item["id"], item["can_decide"]) for item in inbox["items"]] == [
        (objection["id"], True)
    ]
    upheld = _close(
        client,
        world,
        objection,
        "hr",
        {"status": "upheld", "decision_note": "Bukti realisasi sah.", "work_result_rating": S},
    )
    assert upheld.status_code == 200, upheld.json
    assert upheld.json["status"] == "upheld"
    assert upheld.json["predikat_after"] == "baik"
    assert upheld.json["decided_by_user_id"] == world.users["hr"]
    assert upheld.headers["ETag"] == f'"{objection["version"] + 1}"'
    session.expire_all()
    stored = session.get(Evaluation, evaluation_id)
    assert stored is not None
    assert (stored.predikat, stored.work_result_rating) == (
        Predikat.BAIK,
        Rating.SESUAI_EKSPEKTASI,
    )
    assert stored.rater_id == world.employees["S"]  # the rater stays the rater
    assert stored.version == 2
    assert ("update", world.employees["E1"]) in _audit(session, "evaluation")
    assert ("update", world.employees["E1"]) in _audit(session, "objection")


def test_only_the_raters_superior_decides(
    client: FlaskClient, world: World, session: Session
) -> None:
    objection = _file(client, world, _evaluation(session, world)).json
    body = {"status": "rejected", "decision_note": "Penilaian sudah sesuai."}
    for role in ("supervisor", "employee"):  # the rater; the employee
        assert _close(client, world, objection, role, body).status_code == 403
    rater = client.get(
        f"/api/v1/objections/{objection['id']}", headers=world.headers("supervisor")
    )
    assert rater.status_code == 200 and rater.json["can_decide"] is False
    assert _close(client, world, objection, "data", body).status_code == 403
    rejected = _close(client, world, objection, "hr", body)
    assert rejected.status_code == 200
    assert rejected.json["predikat_after"] == "butuh_perbaikan"
    session.expire_all()
    assert session.get(Evaluation, objection["evaluation_id"]).version == 1  # type: ignore[union-attr]


def test_the_admin_decides_when_the_rater_has_no_superior(
    client: FlaskClient, world: World, session: Session
) -> None:
    """H rates S and has no superior: hr over the unit would be H, the rater itself, so only
    the admin decides."""
    evaluation_id = _evaluation(session, world, person="S", rater="H")
    objection = Objection(
        evaluation_id=evaluation_id,
        employee_id=world.employees["S"],
        reason=REASON,
        predikat_before=Predikat.BUTUH_PERBAIKAN,
    )
    session.add(objection)
    session.commit()
    body = {"status": "rejected", "decision_note": "Penilaian sudah sesuai."}
    found = {"id": objection.id, "version": 1}
    assert _close(client, world, found, "hr", body).status_code == 403
    assert _close(client, world, found, "admin", body).status_code == 200


def test_a_decision_is_checked(client: FlaskClient, world: World, session: Session) -> None:
    objection = _file(client, world, _evaluation(session, world)).json
    no_tag = client.patch(
        f"/api/v1/objections/{objection['id']}",
        json={"status": "rejected", "decision_note": "x"},
        headers=world.headers("hr"),
    )
    assert no_tag.status_code == 428
    body = {"status": "rejected", "decision_note": "x"}
    assert _close(client, world, objection | {"version": 7}, "hr", body).status_code == 412
    cases = [
        ({"status": "rejected"}, "decision_note"),  # no reasons
        ({"status": "upheld", "decision_note": "ok"}, "work_result_rating"),  # no change
        ({"status": "upheld", "decision_note": "ok", "work_result_rating": B}, None),
        ({"status": "rejected", "decision_note": "ok", "behavior_rating": A}, None),
        ({"status": "pending", "decision_note": "ok"}, "status"),
    ]
    for body, field in cases:
        answer = _close(client, world, objection, "hr", body)
        assert answer.status_code == 422, (body, answer.json)
        assert answer.headers["Content-Type"] == "application/problem+json"
        if field is not None:
            assert field in {error["field"] for error in answer.json["errors"]}, answer.json
    session.expire_all()
    assert session.get(Evaluation, objection["evaluation_id"]).version == 1  # type: ignore[union-attr]
    assert session.get(Objection, objection["id"]).status.value == "pending"  # type: ignore[union-attr]


def test_withdrawal_and_closed_objections(
    client: FlaskClient, world: World, session: Session
) -> None:
    objection = _file(client, world, _evaluation(session, world)).json
    assert _close(client, world, objection, "hr", {"status": "withdrawn"}).status_code == 403
    withdrawn = _close(client, world, objection, "employee", {"status": "withdrawn"})
    assert withdrawn.status_code == 200 and withdrawn.json["status"] == "withdrawn"
    again = _close(
        client, world, withdrawn.json, "hr", {"status": "rejected", "decision_note": "x"}
    )
    assert again.status_code == 409
    second = _file(client, world, objection["evaluation_id"])
    assert second.status_code == 409  # one objection per evaluation


def test_only_the_evaluated_employee_objects_within_the_window(
    app: Flask, client: FlaskClient, world: World, session: Session
) -> None:
    evaluation_id = _evaluation(session, world)
    assert _file(client, world, evaluation_id, role="supervisor").status_code == 403
    assert _file(client, world, evaluation_id, role="data").status_code == 403
    other = _evaluation(session, world, person="AS", rater="AD")
    assert _file(client, world, other).status_code == 404  # not visible to E1
    assert _file(client, world, 2**31 - 1).status_code == 404
    old = datetime.now(UTC) - timedelta(days=15)
    session.execute(
        update(Evaluation)
        .where(Evaluation.id == evaluation_id)
        .values(created_at=old, updated_at=old)
    )
    session.commit()
    late = _file(client, world, evaluation_id)
    assert late.status_code == 409 and "14 days" in late.json["detail"]
    assert session.scalar(select(Objection.id)) is None
    app.extensions["objection_settings"] = ObjectionSettings(window_days=30)
    assert _file(client, world, evaluation_id).status_code == 201


def test_a_retry_with_the_same_key_files_once(
    client: FlaskClient, world: World, session: Session
) -> None:
    evaluation_id = _evaluation(session, world)
    first = _file(client, world, evaluation_id, **{"Idempotency-Key": "keberatan-1"})
    retry = _file(client, world, evaluation_id, **{"Idempotency-Key": "keberatan-1"})
    assert (first.status_code, retry.status_code) == (201, 201)
    assert retry.json == first.json
    assert len(session.scalars(select(Objection)).all()) == 1


def test_who_sees_an_objection(client: FlaskClient, world: World, session: Session) -> None:
    objection = _file(client, world, _evaluation(session, world)).json
    path = f"/api/v1/objections/{objection['id']}"
    seen = {
        role: client.get(path, headers=world.headers(role)).status_code for role in world.tokens
    }
    assert seen == {"admin": 200, "hr": 200, "supervisor": 200, "employee": 200, "data": 403}
    hidden = Objection(
        evaluation_id=_evaluation(session, world, person="AS", rater="AD"),
        employee_id=world.employees["AS"],
        reason=REASON,
        predikat_before=Predikat.BUTUH_PERBAIKAN,
    )
    session.add(hidden)
    session.commit()
    for role in ("hr", "supervisor", "employee"):
        assert (
            client.get(f"/api/v1/objections/{hidden.id}", headers=world.headers(role)).status_code
            == 404
        )
        listed = client.get("/api/v1/objections", headers=world.headers(role)).json
        assert hidden.id not in {item["id"] for item in listed["items"]}
    everything = client.get("/api/v1/objections", headers=world.headers("admin")).json
    assert everything["total"] == 2
    reads = [e for a, e in _audit(session, "objection") if a == "read"]
    assert world.employees["E1"] in reads and world.employees["AS"] in reads


@pytest.mark.parametrize("value", ["0", "367", "two weeks", True, -1])
def test_the_window_setting_is_checked(value: object) -> None:
    with pytest.raises(Invalid) as raised:
        ObjectionSettings.from_mapping({"KINERJA_OBJECTION_WINDOW_DAYS": value})
    assert raised.value.errors[0].field == "KINERJA_OBJECTION_WINDOW_DAYS"
    assert (
        ObjectionSettings.from_mapping({"KINERJA_OBJECTION_WINDOW_DAYS": "30"}).window_days == 30
    )


def test_an_upheld_objection_outdates_the_stored_risk_score(
    client: FlaskClient, world: World, session: Session
) -> None:
    """The predikat feeds the risk features: the score `kinerja score` stored for the
    employee is no longer served once a decision changed it; a rejection leaves it."""
    objection = _file(client, world, _evaluation(session, world)).json
    session.add(
        RiskScore(
            employee_id=world.employees["E1"], period="2025-Q4", status="ok",
            probability=0.2, threshold=0.5, drivers=[], model_name="kinerja-risk",
            model_version="1", scored_at=datetime.now(UTC),
        )
    )  # fmt: skip
    session.commit()
    body = {"status": "upheld", "decision_note": "Bukti sah.", "work_result_rating": S}
    assert _close(client, world, objection, "hr", body).status_code == 200
    session.expire_all()
    assert session.scalar(select(RiskScore.outdated)) is True


def test_the_decider_and_then_the_employee_are_notified(
    client: FlaskClient, world: World, session: Session
) -> None:
    objection = _file(client, world, _evaluation(session, world)).json
    inbox = client.get("/api/v1/notifications/me", headers=world.headers("hr")).json["items"]
    assert [(n["kind"], "Pegawai E1" in n["message"]) for n in inbox] == [
        ("objection_filed", True)
    ]
    body = {"status": "rejected", "decision_note": "Penilaian sudah sesuai."}
    assert _close(client, world, objection, "hr", body).status_code == 200
    mine = client.get("/api/v1/notifications/me", headers=world.headers("employee")).json
    assert [(n["kind"], n["message"]) for n in mine["items"]] == [
        ("objection_decided", "Keberatan Anda atas evaluasi kinerja 2025 ditolak.")
    ]
    assert (
        client.get("/api/v1/notifications/me", headers=world.headers("supervisor")).json["total"]
        == 0
    )  # the rater is not told: the superior decides


def _told(client: FlaskClient, world: World, role: str) -> list[tuple[str, str]]:
    inbox = client.get("/api/v1/notifications/me", headers=world.headers(role)).json
    return [(n["kind"], n["message_en"]) for n in inbox["items"]]


def test_hr_over_the_unit_is_told_when_no_rater_is_named(
    client: FlaskClient, world: World, session: Session
) -> None:
    """No rater's superior: hr over the employee's unit (H, unit A above E1's A1) decides,
    and is told when the objection is filed, as a rater's superior is."""
    assert _file(client, world, _evaluation(session, world, rater="")).status_code == 201

    assert _told(client, world, "hr") == [
        (
            "objection_filed",
            "Pegawai E1 objected to the performance evaluation of 2025; you decide it.",
        )
    ]
    assert _told(client, world, "admin") == []  # hr over the unit decides: no admin needed
    assert _told(client, world, "supervisor") == []


def test_the_admin_is_told_when_the_only_hr_is_the_rater(
    client: FlaskClient, world: World, session: Session
) -> None:
    """H rates S and has no superior: H may not decide (the rater), so the admin is told."""
    evaluation_id = _evaluation(session, world, person="S", rater="H")
    assert _file(client, world, evaluation_id, role="supervisor").status_code == 201

    assert [kind for kind, _ in _told(client, world, "admin")] == ["objection_filed"]
    assert _told(client, world, "hr") == []
