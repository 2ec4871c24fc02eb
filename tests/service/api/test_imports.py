"""POST /imports/evaluations over HTTP: all rows or none, row-numbered errors, idempotent."""

from __future__ import annotations

import io

from flask.testing import FlaskClient
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.db.models import Evaluation
from tests.service.api.world import World

HEADER = "nip,period,work_result_rating,behavior_rating\n"


def _upload(client: FlaskClient, world: World, text: str, role: str = "admin", **headers: str):  # type: ignore[no-untyped-def]
    data = {"file": (io.BytesIO(text.encode()), "evaluations.csv")}
    return client.post(
        "/api/v1/imports/evaluations", data=data, headers=world.headers(role) | headers
    )


def _count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Evaluation)) or 0


def test_import_writes_every_row(client: FlaskClient, world: World, session: Session) -> None:
    rows = "".join(
        f"{world.nips[p]},2025-Q1,sesuai_ekspektasi,di_atas_ekspektasi\n" for p in ("E1", "E2")
    )
    response = _upload(client, world, HEADER + rows, **{"Idempotency-Key": "file-1"})
    assert (response.status_code, response.json) == (201, {"count": 2})
    retry = _upload(client, world, HEADER + rows, **{"Idempotency-Key": "file-1"})
    assert (retry.status_code, retry.json) == (201, {"count": 2})
    assert _count(session) == 2


def test_the_same_key_with_another_file_is_422_and_imports_nothing(
    client: FlaskClient, world: World, session: Session
) -> None:
    """The key's fingerprint is the file's bytes: another file under the same name is another
    body (422), not a replay of the first answer that silently skips the second file."""
    first = f"{world.nips['E1']},2025-Q1,sesuai_ekspektasi,di_atas_ekspektasi\n"
    other = f"{world.nips['E2']},2025-Q2,di_bawah_ekspektasi,sesuai_ekspektasi\n"
    key = {"Idempotency-Key": "file-2"}
    assert _upload(client, world, HEADER + first, **key).status_code == 201
    reused = _upload(client, world, HEADER + other, **key)
    assert reused.status_code == 422, reused.get_data(as_text=True)
    assert reused.json["errors"][0]["field"] == "Idempotency-Key"
    assert _count(session) == 1
    assert _upload(client, world, HEADER + other, **{"Idempotency-Key": "file-3"}).json == {
        "count": 1
    }


def test_a_bad_row_writes_nothing_and_is_named(
    client: FlaskClient, world: World, session: Session
) -> None:
    rows = (
        f"{world.nips['E1']},2025-Q1,sesuai_ekspektasi,di_atas_ekspektasi\n"
        f"{world.nips['E2']},2025-Q1,luar_biasa,di_atas_ekspektasi\n"
    )
    response = _upload(client, world, HEADER + rows)
    assert response.status_code == 422
    assert {(e["row"], e["field"]) for e in response.json["errors"]} == {(3, "work_result_rating")}
    assert _count(session) == 0


def test_hr_cannot_import_for_another_unit(
    client: FlaskClient, world: World, session: Session
) -> None:
    rows = f"{world.nips['O']},2025-Q1,sesuai_ekspektasi,di_atas_ekspektasi\n"
    response = _upload(client, world, HEADER + rows, role="hr")
    assert response.status_code == 422
    assert response.json["errors"][0]["row"] == 2
    assert _count(session) == 0


def test_missing_file_field_is_422(client: FlaskClient, world: World) -> None:
    response = client.post(
        "/api/v1/imports/evaluations",
        data={"other": (io.BytesIO(b"x"), "x.csv")},
        headers=world.headers("admin"),
    )
    assert response.status_code == 422
