"""POST /imports/evaluations over HTTP: all rows or none, row-numbered errors, idempotent."""

from __future__ import annotations

import io
from typing import Any

import pytest
from flask.testing import FlaskClient
from openpyxl import Workbook
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.db.models import AuditEntry
from service.db.models import Evaluation
from tests.service.api.world import World
from tests.service.domain.crafted_xlsx import xlsx_bomb

HEADER = "nip,period,work_result_rating,behavior_rating\n"


def _upload(  # type: ignore[no-untyped-def]
    client: FlaskClient, world: World, text: str | bytes, role: str = "admin", **headers: str
):
    content = text.encode() if isinstance(text, str) else text
    name = "evaluations.csv" if isinstance(text, str) else "evaluations.xlsx"
    data = {"file": (io.BytesIO(content), name)}
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
    assert (response.status_code, response.json["count"]) == (201, 2)
    retry = _upload(client, world, HEADER + rows, **{"Idempotency-Key": "file-1"})
    assert (retry.status_code, retry.json) == (201, response.json)  # the same import id too
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
    assert (
        _upload(client, world, HEADER + other, **{"Idempotency-Key": "file-3"}).json["count"] == 1
    )


def _xlsx(text: str) -> bytes:
    workbook = Workbook()
    for line in text.splitlines():
        workbook.active.append(line.split(","))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _imports_audited(client: FlaskClient, world: World, person: str) -> list[dict[str, Any]]:
    """The audit rows of imports that name `person`, as an admin reads them."""
    target = world.employees[person]
    answer = client.get(f"/api/v1/audit?employee_id={target}", headers=world.headers("admin"))
    assert answer.status_code == 200, answer.get_data(as_text=True)
    return [row for row in answer.json["items"] if row["action"] == "import"]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])  # the column-wise and the row-by-row path
def test_an_import_audits_each_employee_it_wrote_once_under_one_import_id(
    client: FlaskClient, world: World, session: Session, fmt: str
) -> None:
    rows = "".join(
        f"{world.nips[p]},{period},sesuai_ekspektasi,di_atas_ekspektasi\n"
        for p, period in (("E1", "2025-Q1"), ("E1", "2025-Q2"), ("E2", "2025-Q1"))
    )
    text = HEADER + rows
    response = _upload(client, world, text if fmt == "csv" else _xlsx(text), role="hr")
    assert (response.status_code, response.json["count"]) == (201, 3)

    first, second = _imports_audited(client, world, "E1"), _imports_audited(client, world, "E2")
    assert len(first) == len(second) == 1
    assert first[0]["resource"] == second[0]["resource"] == "evaluation"
    assert first[0]["actor_user_id"] == world.users["hr"]
    assert first[0]["resource_id"] == second[0]["resource_id"]
    assert first[0]["resource_id"] == f"import {response.json['import_id']}"
    imports = select(AuditEntry.employee_id).where(AuditEntry.action == "import")
    assert sorted(session.scalars(imports)) == sorted(world.employees[p] for p in ("E1", "E2"))

    again = _upload(client, world, HEADER + rows.replace("2025-Q", "2026-Q"), role="hr")
    assert again.status_code == 201
    assert again.json["import_id"] != response.json["import_id"]  # each import has its own
    ids = {row["resource_id"] for row in _imports_audited(client, world, "E1")}
    assert ids == {f"import {answer.json['import_id']}" for answer in (response, again)}


def test_the_import_id_is_documented_in_the_openapi_schema(client: FlaskClient) -> None:
    document = client.get("/api/v1/openapi.json").json
    answer = document["paths"]["/api/v1/imports/evaluations"]["post"]["responses"]["201"]
    reference = answer["content"]["application/json"]["schema"]["$ref"]
    schema = document["components"]["schemas"][reference.rsplit("/", 1)[1]]
    assert set(schema["required"]) >= {"count", "import_id"}
    assert "resource_id 'import <import_id>'" in schema["properties"]["import_id"]["description"]


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
    assert _imports_audited(client, world, "E1") == []


def test_hr_cannot_import_for_another_unit(
    client: FlaskClient, world: World, session: Session
) -> None:
    rows = f"{world.nips['O']},2025-Q1,sesuai_ekspektasi,di_atas_ekspektasi\n"
    response = _upload(client, world, HEADER + rows, role="hr")
    assert response.status_code == 422
    assert response.json["errors"][0]["row"] == 2
    assert _count(session) == 0


NOBODY = "199912312024121999"  # a well-formed NIP that no employee has
RATED = "sesuai_ekspektasi,di_atas_ekspektasi"


def _hr_import(
    client: FlaskClient, world: World, nip: str, rater_nip: str, fmt: str
) -> tuple[int, Any]:
    """An hr upload of one row (E1's unless `nip` is given) with `rater_nip`; the status and
    the problems with the NIPs the file named written as <nip>."""
    text = f"{HEADER.strip()},rater_nip\n{nip},2025-Q1,{RATED},{rater_nip}\n"
    response = _upload(client, world, text if fmt == "csv" else _xlsx(text), role="hr")
    body = response.json
    if response.status_code != 422:
        return response.status_code, {"count": body["count"]}
    problems = []
    for error in body["errors"]:
        message = error["message"]
        for named in filter(None, (nip, rater_nip)):
            message = message.replace(named, "<nip>")
        problems.append((error["row"], error["field"], message))
    return 422, problems


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_hr_gets_the_same_answer_for_a_rater_outside_its_units_and_for_nobody(
    client: FlaskClient, world: World, session: Session, fmt: str
) -> None:
    """An hr import cannot tell an existing NIP outside its units from one nobody has, in
    `rater_nip` as in `nip` (hr's units: A and A1; O is in B)."""
    e1 = world.nips["E1"]
    outside = _hr_import(client, world, e1, world.nips["O"], fmt)
    nobody = _hr_import(client, world, e1, NOBODY, fmt)

    assert (
        outside == nobody == (422, [(2, "rater_nip", "no employee has NIP <nip> in your units")])
    )
    assert _hr_import(client, world, world.nips["O"], "", fmt) == _hr_import(
        client, world, NOBODY, "", fmt
    )
    assert _count(session) == 0


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_hr_importing_within_its_units_names_a_rater_or_hears_which_nip_is_wrong(
    client: FlaskClient, world: World, session: Session, fmt: str
) -> None:
    typo = world.nips["S"][:-1] + ("0" if world.nips["S"][-1] != "0" else "1")
    status, problems = _hr_import(client, world, world.nips["E1"], typo, fmt)
    assert (status, problems) == (
        422,
        [(2, "rater_nip", "no employee has NIP <nip> in your units")],
    )

    assert _hr_import(client, world, world.nips["E1"], world.nips["S"], fmt) == (201, {"count": 1})
    own = world.nips["H"]  # the importer's own NIP (the default rater) is always allowed
    assert _hr_import(client, world, world.nips["E2"], own, fmt) == (201, {"count": 1})
    raters = select(Evaluation.employee_id, Evaluation.rater_id).order_by(Evaluation.employee_id)
    assert sorted(session.execute(raters).tuples()) == sorted(
        [
            (world.employees["E1"], world.employees["S"]),
            (world.employees["E2"], world.employees["H"]),
        ]
    )


def test_admin_still_hears_that_nobody_has_the_nip(client: FlaskClient, world: World) -> None:
    text = f"{HEADER.strip()},rater_nip\n{world.nips['E1']},2025-Q1,{RATED},{NOBODY}\n"
    response = _upload(client, world, text)
    assert response.status_code == 422
    assert [(e["field"], e["message"]) for e in response.json["errors"]] == [
        ("rater_nip", f"no employee has NIP {NOBODY}")
    ]


def test_missing_file_field_is_422(client: FlaskClient, world: World) -> None:
    response = client.post(
        "/api/v1/imports/evaluations",
        data={"other": (io.BytesIO(b"x"), "x.csv")},
        headers=world.headers("admin"),
    )
    assert response.status_code == 422


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    """The test's app with a small unpacked-size limit for XLSX uploads (1 MiB)."""
    return {**app_config, "KINERJA_IMPORT_MAX_UNPACKED_BYTES": 1 << 20}


def test_an_xlsx_that_unpacks_beyond_the_limit_is_413_and_writes_nothing(
    client: FlaskClient, world: World, session: Session
) -> None:
    rows = [HEADER.strip().split(","), [world.nips["E1"], "2025", *["sesuai_ekspektasi"] * 2]]
    response = _upload(client, world, xlsx_bomb(rows, 2 << 20))

    assert response.status_code == 413, response.get_data(as_text=True)
    assert response.content_type == "application/problem+json"
    assert "over the limit of 1,048,576 bytes" in response.json["detail"]
    assert _count(session) == 0
    assert _imports_audited(client, world, "E1") == []
    small = _upload(client, world, xlsx_bomb(rows, 1 << 19))
    assert (small.status_code, small.json["count"]) == (201, 1)
