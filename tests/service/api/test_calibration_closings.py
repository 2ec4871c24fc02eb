"""Closing the calibration of a unit and period: evaluation writes refused (API, import)
while it stands, an upheld objection still applying and shown, reopening with a reason, on
SQLite and PostgreSQL.

In the world, hr's unit is A with the child A1 (S, E1, E2, T); S rates E1; B is another
root (O). H, the hr user, is the superior of S and decides E1's objections.
"""

from __future__ import annotations

import io

from flask.testing import FlaskClient
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy import update
from sqlalchemy.orm import Session

from service.db.models import AuditEntry
from service.db.models import CalibrationClosing
from service.db.models import Evaluation
from service.domain.entities import Rating
from tests.factories import make_evaluation
from tests.service.api.world import World

A, S, B = "di_atas_ekspektasi", "sesuai_ekspektasi", "di_bawah_ekspektasi"
RATED = {"work_result_rating": S, "behavior_rating": S}
REASON = "Pimpinan meminta peninjauan ulang setelah rapat kalibrasi."


def _closings(world: World, unit: str = "A") -> str:
    return f"/api/v1/units/{world.units[unit]}/calibration-closings"


def _close(client: FlaskClient, world: World, period: str, unit: str = "A", **headers: str):  # type: ignore[no-untyped-def]
    body = {"period": period, "note": "Disepakati pimpinan unit."}
    return client.post(_closings(world, unit), json=body, headers=world.headers("hr") | headers)


def _reopen(client: FlaskClient, world: World, closing_id: int, unit: str = "A", **body: str):  # type: ignore[no-untyped-def]
    path = f"{_closings(world, unit)}/{closing_id}/reopen"
    return client.post(path, json=body or {"reason": REASON}, headers=world.headers("hr"))


def _rate(client: FlaskClient, world: World, period: str):  # type: ignore[no-untyped-def]
    path = f"/api/v1/employees/{world.employees['E1']}/evaluations"
    return client.post(path, json={"period": period, **RATED}, headers=world.headers("supervisor"))


def _evaluation(session: Session, world: World, period: str = "2025") -> Evaluation:
    evaluation = make_evaluation(
        session,
        employee_id=world.employees["E1"],
        rater_id=world.employees["S"],
        period=period,
        work_result_rating=Rating.DI_BAWAH_EKSPEKTASI,
        behavior_rating=Rating.SESUAI_EKSPEKTASI,
    )
    session.commit()
    return evaluation


def test_a_closing_refuses_evaluations_until_reopened(
    client: FlaskClient, world: World, session: Session
) -> None:
    closed = _close(client, world, "2025")
    assert closed.status_code == 201, closed.json
    closing = closed.json
    assert (closing["standing"], closing["closed_by"], closing["note"]) == (
        True,
        "user-hr",
        "Disepakati pimpinan unit.",
    )
    assert _close(client, world, "2025").status_code == 409  # one standing per unit, period

    refused = _rate(client, world, "2025")  # E1 sits in A1, below A
    assert refused.status_code == 409
    assert refused.headers["Content-Type"] == "application/problem+json"
    detail = refused.json["detail"]
    assert f"calibration closing {closing['id']}" in detail and "user-hr" in detail
    assert _rate(client, world, "2025-Q1").status_code == 201  # another period is open

    reopened = _reopen(client, world, closing["id"])
    assert reopened.status_code == 200, reopened.json
    assert (reopened.json["standing"], reopened.json["reopen_reason"]) == (False, REASON)
    assert reopened.json["reopened_by"] == "user-hr"
    assert _reopen(client, world, closing["id"]).status_code == 409
    assert _rate(client, world, "2025").status_code == 201
    again = _close(client, world, "2025")  # a later closing is a new row
    assert again.status_code == 201 and again.json["id"] != closing["id"]
    listed = client.get(f"{_closings(world)}?period=2025", headers=world.headers("hr")).json
    assert [(item["id"], item["standing"]) for item in listed["items"]] == [
        (again.json["id"], True),
        (closing["id"], False),
    ]
    assert listed["items"][0]["at_closing"]["counts"]["baik"] == 1
    audit = select(AuditEntry.action).where(AuditEntry.resource == "calibration_closing")
    assert sorted(map(str, session.scalars(audit))) == ["create", "create", "update"]


def test_a_correction_is_refused_and_an_upheld_objection_passes_and_shows(
    client: FlaskClient, world: World, session: Session
) -> None:
    evaluation = _evaluation(session, world)
    closing = _close(client, world, "2025").json
    assert closing["at_closing"]["counts"]["butuh_perbaikan"] == 1
    patch = client.patch(
        f"/api/v1/evaluations/{evaluation.id}",
        json={"work_result_rating": S},
        headers=world.headers("supervisor") | {"If-Match": '"1"'},
    )
    assert patch.status_code == 409 and "calibration closing" in patch.json["detail"]

    path = f"/api/v1/evaluations/{evaluation.id}/objections"
    objection = client.post(path, json={"reason": REASON}, headers=world.headers("employee"))
    assert objection.status_code == 201, objection.json
    body = {"status": "upheld", "decision_note": "Bukti realisasi sah.", "work_result_rating": S}
    headers = world.headers("hr") | {"If-Match": f'"{objection.json["version"]}"'}
    decided = client.patch(
        f"/api/v1/objections/{objection.json['id']}", json=body, headers=headers
    )
    assert decided.status_code == 200, decided.json
    assert decided.json["predikat_after"] == "baik"

    shown = client.get(f"{_closings(world)}?period=2025", headers=world.headers("hr")).json
    item = shown["items"][0]
    assert item["at_closing"]["counts"]["butuh_perbaikan"] == 1  # the snapshot stays
    assert (item["now"]["counts"]["butuh_perbaikan"], item["now"]["counts"]["baik"]) == (0, 1)
    assert [
        (c["objection_id"], c["employee_id"], c["predikat_before"], c["predikat_after"])
        for c in item["changes"]
    ] == [(objection.json["id"], world.employees["E1"], "butuh_perbaikan", "baik")]


def test_a_closing_locks_the_organisation_grades_it_covers_until_reopened(
    client: FlaskClient, world: World
) -> None:
    """The grade is half of the calibrated result: under a closing of A, A1's grade of the
    period can be neither set nor corrected; another period's can; after the reopening the
    correction goes through."""
    hr = world.headers("hr")
    grades = f"/api/v1/units/{world.units['A1']}/grades"
    assert (
        client.post(grades, json={"period": "2025", "grade": "baik"}, headers=hr).status_code
        == 201
    )
    closing = _close(client, world, "2025").json
    body = {"grade": "istimewa"}
    refused = client.patch(f"{grades}/2025", json=body, headers=hr | {"If-Match": '"1"'})
    assert refused.status_code == 409, refused.json
    assert f"calibration closing {closing['id']}" in refused.json["detail"]
    assert "organisation grades" in refused.json["detail"]
    assert client.get(f"{grades}/2025", headers=hr).json["grade"] == "baik"
    closed_unit = f"/api/v1/units/{world.units['A']}/grades"  # A itself
    assert (
        client.post(closed_unit, json={"period": "2025", "grade": "baik"}, headers=hr).status_code
        == 409
    )
    other = client.post(grades, json={"period": "2025-Q1", "grade": "baik"}, headers=hr)
    assert other.status_code == 201, other.json

    assert _reopen(client, world, closing["id"]).status_code == 200
    fixed = client.patch(f"{grades}/2025", json=body, headers=hr | {"If-Match": '"1"'})
    assert fixed.status_code == 200 and fixed.json["grade"] == "istimewa"


def test_a_sub_units_own_closing_keeps_it_locked_when_the_unit_reopens(
    client: FlaskClient, world: World
) -> None:
    above = _close(client, world, "2024").json
    below = _close(client, world, "2024", unit="A1").json
    assert f"calibration closing {below['id']}" in _rate(client, world, "2024").json["detail"]
    assert _reopen(client, world, above["id"]).status_code == 200
    assert _rate(client, world, "2024").status_code == 409  # A1's closing stands
    assert _reopen(client, world, below["id"], unit="A1").status_code == 200
    assert _rate(client, world, "2024").status_code == 201


def test_the_import_refuses_the_whole_file_naming_the_closed_rows(
    client: FlaskClient, world: World, session: Session
) -> None:
    closing = _close(client, world, "2025-Q3", unit="A1").json
    rows = (
        "nip,period,work_result_rating,behavior_rating\n"
        f"{world.nips['O']},2025-Q3,{S},{S}\n"  # unit B: open
        f"{world.nips['E2']},2025-Q3,{S},{A}\n"  # A1: closed
        f"{world.nips['E1']},2025-Q2,{S},{A}\n"  # another period: open
    )
    data = {"file": (io.BytesIO(rows.encode()), "evaluations.csv")}
    answer = client.post("/api/v1/imports/evaluations", data=data, headers=world.headers("admin"))
    assert answer.status_code == 422, answer.json
    errors = answer.json["errors"]
    assert [(e["row"], e["field"]) for e in errors] == [(3, "period")]
    assert f"calibration closing {closing['id']}" in errors[0]["message"]
    assert session.scalar(select(func.count()).select_from(Evaluation)) == 0


def test_the_same_idempotency_key_closes_once(
    client: FlaskClient, world: World, session: Session
) -> None:
    first = _close(client, world, "2025", **{"Idempotency-Key": "close-1"})
    retry = _close(client, world, "2025", **{"Idempotency-Key": "close-1"})
    assert (first.status_code, retry.status_code, retry.json) == (201, 201, first.json)
    assert session.scalar(select(func.count()).select_from(CalibrationClosing)) == 1


def test_bad_input_is_a_problem_and_changes_nothing(
    client: FlaskClient, world: World, session: Session
) -> None:
    hr = world.headers("hr")
    path = _closings(world)
    for body in ({"period": "2025-13"}, {"period": "2100"}, {}, {"period": "2025", "x": 1}):
        answer = client.post(path, json=body, headers=hr)
        assert answer.status_code == 422, (body, answer.json)
        assert answer.headers["Content-Type"] == "application/problem+json"
    assert (
        client.post(_closings(world, "B"), json={"period": "2025"}, headers=hr).status_code == 404
    )
    assert (
        client.post(
            "/api/v1/units/999999/calibration-closings", json={"period": "2025"}, headers=hr
        ).status_code
        == 404
    )
    assert client.get(f"{path}?period=2025-Q5", headers=hr).status_code == 422
    closing = _close(client, world, "2025").json
    for body in ({}, {"reason": "   "}, {"reason": 7}):
        answer = (
            _reopen(client, world, closing["id"], **body)
            if body
            else client.post(f"{path}/{closing['id']}/reopen", json={}, headers=hr)
        )
        assert answer.status_code == 422, (body, answer.json)
    assert _reopen(client, world, closing["id"], unit="A1").status_code == 404  # not A1's
    assert _reopen(client, world, 999999).status_code == 404
    session.expire_all()
    stored = session.scalars(select(CalibrationClosing)).all()
    assert [(c.id, c.reopened_at) for c in stored] == [(closing["id"], None)]


def test_first_given_counts_each_evaluations_oldest_version(
    client: FlaskClient, world: World, session: Session
) -> None:
    """A correction before closing and an upheld objection after it leave the first-given
    distribution as the raters gave it; an evaluation changed before revisions were kept
    (version 2, none kept) counts as it stands and is named in `before_kept`."""
    rated = _rate(client, world, "2025").json  # E1: baik
    patch = client.patch(
        f"/api/v1/evaluations/{rated['id']}",
        json={"work_result_rating": A, "behavior_rating": A},
        headers=world.headers("supervisor") | {"If-Match": '"1"'},
    )
    assert (patch.status_code, patch.json["predikat"]) == (200, "sangat_baik")
    earlier = make_evaluation(session, employee_id=world.employees["E2"], period="2025")
    session.execute(update(Evaluation).where(Evaluation.id == earlier.id).values(version=2))
    session.commit()

    closing = _close(client, world, "2025").json
    first, now = closing["first_given"], closing["now"]
    assert (first["size"], first["before_kept"]) == (2, 1)
    assert (first["counts"]["baik"], first["counts"]["sangat_baik"]) == (2, 0)
    assert (now["counts"]["baik"], now["counts"]["sangat_baik"]) == (1, 1)
    data = client.get(f"{_closings(world)}?period=2025", headers=world.headers("data")).json
    assert data["items"][0]["first_given"]["counts"] == {}  # a small group: withheld


def test_first_given_is_the_oldest_of_several_revisions(
    client: FlaskClient, world: World, session: Session
) -> None:
    """E1 corrected three times (baik, sangat baik, butuh perbaikan, sangat baik) counts as
    first given baik; E2, never changed, as it stands."""
    rated = _rate(client, world, "2025").json
    path = f"/api/v1/evaluations/{rated['id']}"
    for version, ratings in enumerate(((A, A), (B, S), (A, A)), start=1):
        body = {"work_result_rating": ratings[0], "behavior_rating": ratings[1]}
        headers = world.headers("supervisor") | {"If-Match": f'"{version}"'}
        assert client.patch(path, json=body, headers=headers).status_code == 200
    make_evaluation(session, employee_id=world.employees["E2"], period="2025")  # baik
    session.commit()
    closing = _close(client, world, "2025").json
    first, now = closing["first_given"], closing["now"]
    assert (first["counts"]["baik"], first["counts"]["sangat_baik"]) == (2, 0)
    assert (first["size"], first["before_kept"]) == (2, 0)
    assert (now["counts"]["baik"], now["counts"]["sangat_baik"]) == (1, 1)


def _transfer(client: FlaskClient, world: World, person: str, unit: str) -> None:
    path = f"/api/v1/employees/{world.employees[person]}"
    headers = world.headers("admin") | {"If-Match": "*"}
    moved = client.patch(path, json={"unit_id": world.units[unit]}, headers=headers)
    assert moved.status_code == 200, moved.json


def _listed(client: FlaskClient, world: World, role: str = "hr") -> dict:  # type: ignore[type-arg]
    return client.get(f"{_closings(world)}?period=2025", headers=world.headers(role)).json


def test_a_transfer_after_closing_changes_neither_now_nor_first_given(
    client: FlaskClient, world: World, session: Session
) -> None:
    """A closing counts the people in its units at closing: E1 moving out of A and O (of B,
    rated otherwise) moving into A1 leave its counts now and as first given as they were."""
    _evaluation(session, world)  # E1 in A1: butuh_perbaikan
    make_evaluation(session, employee_id=world.employees["O"], period="2025")  # B: baik
    session.commit()
    closing = _close(client, world, "2025").json
    assert closing["counted_over"] == "people_at_closing"
    closed = (closing["now"]["counts"], closing["first_given"]["counts"])
    assert closed[0] == closing["at_closing"]["counts"]
    assert closed[0]["butuh_perbaikan"] == 1 and closed[0]["baik"] == 0

    _transfer(client, world, "E1", "B")
    _transfer(client, world, "O", "A1")
    item = _listed(client, world)["items"][0]
    assert (item["now"]["counts"], item["first_given"]["counts"]) == closed
    assert (item["now"]["size"], item["first_given"]["size"]) == (1, 1)


def test_a_closing_made_before_the_people_were_kept_counts_its_units_today(
    client: FlaskClient, world: World, session: Session
) -> None:
    """An old snapshot (no `employee_ids`) counts whoever sits in the units now, and says so."""
    _evaluation(session, world)  # E1 in A1: butuh_perbaikan
    counts = {"butuh_perbaikan": 1}
    snapshot = {"size": 1, "counts": counts, "grade": None, "warnings": []}
    session.add(CalibrationClosing(unit_id=world.units["A"], period="2025", snapshot=snapshot))
    session.commit()
    item = _listed(client, world)["items"][0]
    assert (item["counted_over"], item["now"]["counts"]["butuh_perbaikan"]) == ("units_today", 1)
    _transfer(client, world, "E1", "B")
    item = _listed(client, world)["items"][0]
    assert (item["now"]["size"], item["first_given"]["size"]) == (0, 0)
    assert item["at_closing"]["counts"]["butuh_perbaikan"] == 1


def test_the_data_team_sees_the_counts_of_five_closed_people_and_never_their_ids(
    client: FlaskClient, world: World, session: Session
) -> None:
    """Five people evaluated at closing (the data team's least group) stay five after one
    moves out, so the counts stay shown; the kept ids appear in no answer."""
    people = ("S", "E1", "E2", "T")
    for person in people:
        make_evaluation(session, employee_id=world.employees[person], period="2025")
    make_evaluation(session, employee_id=world.employees["H"], period="2025")  # H: in A
    session.commit()
    closing = _close(client, world, "2025").json
    _transfer(client, world, "T", "B")
    seen = _listed(client, world, "data")
    item = seen["items"][0]
    assert (item["withheld"], item["now"]["size"], item["now"]["counts"]["baik"]) == (False, 5, 5)
    assert item["counted_over"] == "people_at_closing"
    assert "employee_ids" not in str(seen) and "employee_ids" not in str(closing)


def test_the_data_team_sees_no_small_counts_and_no_changes(
    client: FlaskClient, world: World, session: Session
) -> None:
    _evaluation(session, world)
    _close(client, world, "2025")
    seen = client.get(f"{_closings(world)}?period=2025", headers=world.headers("data")).json
    item = seen["items"][0]
    assert (item["withheld"], item["now"]["counts"], item["changes"]) == (True, {}, [])
    assert item["at_closing"]["counts"] == {} and item["closed_by"] is None


def test_the_routes_are_in_the_openapi_document(client: FlaskClient) -> None:
    paths = client.get("/api/v1/openapi.json").json["paths"]
    base = "/api/v1/units/{unit_id}/calibration-closings"
    assert {"get", "post"} <= set(paths[base])
    assert "post" in paths[f"{base}/{{closing_id}}/reopen"]
