"""POST/GET/PATCH evaluations: predikat, one per period, idempotent retries, ETags, audit."""

from __future__ import annotations

from datetime import UTC
from datetime import datetime

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.db.models import AuditEntry
from service.db.models import Evaluation
from service.db.models import IdempotencyRecord
from service.db.models import RiskScore
from tests.factories import make_evaluation
from tests.service.api.world import World

A, S, B = "di_atas_ekspektasi", "sesuai_ekspektasi", "di_bawah_ekspektasi"


def _body(period: str = "2025-Q1", work: str = S, behavior: str = S, **extra: object) -> dict:
    return {"period": period, "work_result_rating": work, "behavior_rating": behavior} | extra


def _post(client: FlaskClient, world: World, body: dict, **headers: str):  # type: ignore[no-untyped-def]
    path = f"/api/v1/employees/{world.employees['E1']}/evaluations"
    return client.post(path, json=body, headers=world.headers("supervisor") | headers)


@pytest.mark.parametrize(
    ("period", "work", "behavior", "predikat"),
    [
        ("2024-01", A, A, "sangat_baik"),
        ("2024-02", A, S, "baik"),
        ("2024-03", S, B, "kurang"),
        ("2024-04", B, S, "butuh_perbaikan"),
        ("2024-05", B, B, "sangat_kurang"),
    ],
)
def test_post_answers_the_matrix_predikat(
    shared_client: FlaskClient,
    shared_world: World,
    period: str,
    work: str,
    behavior: str,
    predikat: str,
) -> None:
    response = _post(shared_client, shared_world, _body(period, work=work, behavior=behavior))
    assert response.status_code == 201
    assert response.json["predikat"] == predikat
    assert response.json["id"] > 0
    assert response.headers["ETag"] == '"1"'


def test_second_evaluation_of_a_period_is_409(client: FlaskClient, world: World) -> None:
    assert _post(client, world, _body()).status_code == 201
    second = _post(client, world, _body(work=A))
    assert second.status_code == 409
    assert second.mimetype == "application/problem+json"


def test_retry_with_the_same_key_replays_without_a_second_write(
    client: FlaskClient, world: World, session: Session
) -> None:
    first = _post(client, world, _body(), **{"Idempotency-Key": "k-1"})
    again = _post(client, world, _body(), **{"Idempotency-Key": "k-1"})
    assert (again.status_code, again.get_data()) == (first.status_code, first.get_data())
    assert again.headers["Idempotent-Replayed"] == "true"
    assert session.scalar(select(func.count()).select_from(Evaluation)) == 1
    assert session.scalar(select(func.count()).select_from(IdempotencyRecord)) == 1


def test_same_key_with_another_body_is_422(client: FlaskClient, world: World) -> None:
    assert _post(client, world, _body(), **{"Idempotency-Key": "k-2"}).status_code == 201
    other = _post(client, world, _body(period="2025-Q2"), **{"Idempotency-Key": "k-2"})
    assert other.status_code == 422
    assert other.json["errors"][0]["field"] == "Idempotency-Key"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (_body(period="2025-Q5"), "period"),
        (_body(period="25"), "period"),
        (_body(work="baik"), "work_result_rating"),
        (_body(behavior_ratings={"jujur": S}), "behavior_ratings.jujur"),
        (_body(feedback="a\x00b"), "feedback"),
        ({"period": "2025"}, "work_result_rating"),
        (_body(extra=1), "extra"),
        (_body(period="2100-Q4"), "period"),  # not started: nobody is rated for it yet
    ],
)
def test_bad_input_is_422_naming_the_field(
    shared_client: FlaskClient, shared_world: World, body: dict, field: str
) -> None:
    response = _post(shared_client, shared_world, body)
    assert response.status_code == 422
    assert field in [error["field"] for error in response.json["errors"]]


def test_patch_needs_if_match_and_refuses_a_stale_version(
    client: FlaskClient, world: World
) -> None:
    created = _post(client, world, _body())
    path = f"/api/v1/evaluations/{created.json['id']}"
    headers = world.headers("supervisor")
    assert client.patch(path, json={"work_result_rating": A}, headers=headers).status_code == 428
    changed = client.patch(
        path,
        json={"behavior_rating": A, "work_result_rating": A},
        headers=headers | {"If-Match": '"1"'},
    )
    assert changed.status_code == 200
    assert changed.json["predikat"] == "sangat_baik"
    assert changed.headers["ETag"] == '"2"'
    stale = client.patch(path, json={"feedback": "x"}, headers=headers | {"If-Match": '"1"'})
    assert stale.status_code == 412
    assert client.get(path, headers=headers).headers["ETag"] == '"2"'


def test_reading_someone_elses_evaluations_is_audited_once(
    client: FlaskClient, world: World, session: Session
) -> None:
    _post(client, world, _body())
    path = f"/api/v1/employees/{world.employees['E1']}/evaluations"
    assert client.get(path, headers=world.headers("hr")).json["total"] == 1
    assert client.get(path, headers=world.headers("employee")).status_code == 200
    reads = session.scalars(select(AuditEntry).where(AuditEntry.action == "read")).all()
    assert [(r.actor_username, r.employee_id, r.resource) for r in reads] == [
        ("user-hr", world.employees["E1"], "evaluation")
    ]
    assert reads[0].request_id


def test_one_evaluation_reads_as_posted_and_audits_other_readers(
    client: FlaskClient, world: World, session: Session
) -> None:
    """GET /evaluations/{id}: the POST's body and ETag, one read row per reader of someone
    else's (none for the employee's own), 404 alike for an unknown id and an unseen one."""
    ratings = {"akuntabel": A, "adaptif": B}
    created = _post(client, world, _body(behavior_ratings=ratings, feedback="lanjutkan"))
    path = f"/api/v1/evaluations/{created.json['id']}"
    for role in ("supervisor", "hr", "employee", "admin"):
        read = client.get(path, headers=world.headers(role))
        assert read.status_code == 200, role
        assert read.json == created.json
        assert read.headers["ETag"] == '"1"'
    reads = session.scalars(select(AuditEntry).where(AuditEntry.action == "read")).all()
    assert sorted((r.actor_username, r.employee_id, r.resource) for r in reads) == [
        (f"user-{role}", world.employees["E1"], "evaluation")
        for role in ("admin", "hr", "supervisor")
    ]
    other = make_evaluation(session, employee_id=world.employees["O"], period="2025-Q1")
    unseen = client.get(f"/api/v1/evaluations/{other.id}", headers=world.headers("supervisor"))
    unknown = client.get("/api/v1/evaluations/999999", headers=world.headers("supervisor"))
    assert (unseen.status_code, unknown.status_code) == (404, 404)
    assert unseen.json["detail"] == f"no evaluation {other.id} visible to you"
    assert client.get(path, headers=world.headers("data")).status_code == 403
    session.expire_all()
    assert session.scalar(select(func.count()).where(AuditEntry.action == "read")) == 3


def test_list_paginates(client: FlaskClient, world: World) -> None:
    for period in ("2025-01", "2025-02", "2025-03"):
        assert _post(client, world, _body(period=period)).status_code == 201
    path = f"/api/v1/employees/{world.employees['E1']}/evaluations?limit=2&offset=1"
    page = client.get(path, headers=world.headers("supervisor")).json
    assert page["total"] == 3
    assert [item["period"] for item in page["items"]] == ["2025-02", "2025-03"]
    too_many = client.get(path.replace("limit=2", "limit=1001"), headers=world.headers("admin"))
    assert too_many.status_code == 422


def _fresh_scores(session: Session, world: World, people: list[str]) -> None:
    """Stored risk scores of 2025-Q4 for `people`, as `kinerja score` leaves them."""
    now = datetime.now(UTC)
    session.add_all(
        RiskScore(
            employee_id=world.employees[person], period="2025-Q4", status="ok",
            probability=0.2, threshold=0.5, drivers=[], model_name="kinerja-risk",
            model_version="1", scored_at=now,
        )
        for person in people
    )  # fmt: skip
    session.commit()


def _fresh(session: Session, world: World) -> set[str]:
    session.expire_all()
    fresh = set(session.scalars(select(RiskScore.employee_id).where(~RiskScore.outdated)))
    return {name for name, id_ in world.employees.items() if id_ in fresh}


def test_a_posted_evaluation_outdates_the_stored_scores_it_changes(
    client: FlaskClient, world: World, session: Session
) -> None:
    """The employee's own score, and those reading the rater's statistics of its period:
    of the periods whose features read its period, none before it."""
    rater = world.employees["S"]
    make_evaluation(session, employee_id=world.employees["T"], rater_id=rater, period="2025-Q3")
    _fresh_scores(session, world, ["E1", "T", "H"])
    assert _post(client, world, _body("2026-Q1")).status_code == 201
    assert _fresh(session, world) == {"E1", "T", "H"}  # 2025-Q4 scores never read 2026-Q1
    assert _post(client, world, _body("2025-Q4")).status_code == 201
    assert _fresh(session, world) == {"H"}  # T's score read S's statistics of 2025-Q3..Q4


def test_a_refused_duplicate_writes_nothing(
    client: FlaskClient, world: World, session: Session
) -> None:
    """The 409 comes from the INSERT itself: its transaction, with the scores it outdated
    before it, is rolled back; one evaluation and one creation audit row stay."""
    assert _post(client, world, _body("2025-Q4")).status_code == 201
    _fresh_scores(session, world, ["E1", "H"])
    second = _post(client, world, _body("2025-Q4", work=A))
    assert second.status_code == 409
    assert "2025-Q4" in second.json["detail"]
    assert _fresh(session, world) == {"E1", "H"}
    assert session.scalar(select(func.count()).select_from(Evaluation)) == 1
    created = select(func.count()).where(
        AuditEntry.action == "create", AuditEntry.resource == "evaluation"
    )
    assert session.scalar(created) == 1


def test_the_rater_cannot_change_an_evaluation_under_objection(
    client: FlaskClient, world: World
) -> None:
    """Once the employee objects, the rater's superior decides (PermenPANRB 6/2022): the
    rater's PATCH is 409 while the objection is pending and after it is decided, and open
    again only when the employee withdraws it."""
    created = _post(client, world, _body(period="2025", work=B)).json
    path = f"/api/v1/evaluations/{created['id']}"
    supervisor = world.headers("supervisor") | {"If-Match": "*"}
    reason = {"reason": "Realisasi RHK sudah tercapai; bukti belum diperhitungkan."}
    objected = client.post(f"{path}/objections", json=reason, headers=world.headers("employee"))
    assert objected.status_code == 201, objected.json
    changed = client.patch(path, json={"work_result_rating": S}, headers=supervisor)
    assert changed.status_code == 409
    assert "objection" in changed.json["detail"]
    read = client.get(path, headers=world.headers("employee")).json
    assert (read["work_result_rating"], read["version"]) == (B, 1)
    objection = f"/api/v1/objections/{objected.json['id']}"
    withdrawn = client.patch(
        objection,
        json={"status": "withdrawn"},
        headers=world.headers("employee") | {"If-Match": "*"},
    )
    assert withdrawn.status_code == 200, withdrawn.json
    again = client.patch(path, json={"work_result_rating": S}, headers=supervisor)
    assert (again.status_code, again.json["predikat"]) == (200, "baik")
    # A decided objection is final: the superior's decision is not the rater's to undo.
    second = _post(client, world, _body(period="2024", work=B)).json
    path = f"/api/v1/evaluations/{second['id']}"
    objected = client.post(f"{path}/objections", json=reason, headers=world.headers("employee"))
    rejected = client.patch(
        f"/api/v1/objections/{objected.json['id']}",
        json={"status": "rejected", "decision_note": "Penilaian sudah sesuai."},
        headers=world.headers("hr") | {"If-Match": "*"},
    )
    assert rejected.status_code == 200, rejected.json
    assert (
        client.patch(path, json={"work_result_rating": S}, headers=supervisor).status_code == 409
    )


def test_only_the_rater_who_gave_an_evaluation_corrects_it(
    client: FlaskClient, world: World, session: Session
) -> None:
    """A supervisor who took over the team may not rewrite a predecessor's evaluation (nor
    take over its rater, who names the superior deciding an objection): 403, nothing
    changed. Their own evaluations, and one that names no rater, they still correct."""
    earlier = make_evaluation(
        session, employee_id=world.employees["E1"], rater_id=world.employees["T"], period="2024"
    )
    session.commit()
    headers = world.headers("supervisor") | {"If-Match": "*"}
    path = f"/api/v1/evaluations/{earlier.id}"
    refused = client.patch(path, json={"work_result_rating": A}, headers=headers)
    assert refused.status_code == 403
    assert refused.headers["Content-Type"] == "application/problem+json"
    assert "objection" in refused.json["detail"]
    session.expire_all()
    kept = session.get(Evaluation, earlier.id)
    assert kept is not None
    assert (kept.version, kept.rater_id) == (1, world.employees["T"])
    unnamed = make_evaluation(
        session, employee_id=world.employees["E1"], rater_id=None, period="2023"
    )
    session.commit()
    taken = client.patch(
        f"/api/v1/evaluations/{unnamed.id}", json={"work_result_rating": A}, headers=headers
    )
    assert taken.status_code == 200, taken.json
    own = _post(client, world, _body(period="2025"))
    corrected = client.patch(
        f"/api/v1/evaluations/{own.json['id']}", json={"work_result_rating": A}, headers=headers
    )
    assert corrected.status_code == 200, corrected.json
