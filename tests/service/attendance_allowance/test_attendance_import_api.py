"""POST /imports/attendance over HTTP: daily rows in, monthly summaries rebuilt, all or none."""

from __future__ import annotations

import io
from datetime import date
from datetime import time
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from flask.testing import FlaskClient
from openpyxl import Workbook
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.cli import main
from service.db.models import AttendanceDay
from service.db.models import AttendanceMonth
from tests.service.api.world import World

HEADER = "nip,date,check_in,check_out\n"
URL = "/api/v1/imports/attendance"


def _upload(
    client: FlaskClient, world: World, content: str | bytes, role: str = "admin", **extra: Any
) -> Any:
    raw = content.encode() if isinstance(content, str) else content
    name = extra.pop("filename", "presensi.csv")
    data = {"file": (io.BytesIO(raw), name)}
    return client.post(URL, data=data, headers=world.headers(role) | extra)


def _months(session: Session) -> dict[tuple[int, str], tuple[int, int, int]]:
    session.expire_all()
    rows = session.scalars(select(AttendanceMonth))
    return {(r.employee_id, r.month): (r.work_days, r.present_days, r.late_days) for r in rows}


def _days(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(AttendanceDay)) or 0


def _march(world: World) -> str:
    e1, e2 = world.nips["E1"], world.nips["E2"]
    return HEADER + (
        f"{e1},2025-03-03,07:15,16:00\n"
        f"{e1},2025-03-04,07:45,16:30\n"  # late
        f"{e1},2025-03-05,,\n"  # absent
        f"{e1},2025-03-08,08:00,12:00\n"  # Saturday duty: stored, not counted
        f"{e1},2025-03-31,,\n"
        f"{e2},2025-03-31,07:00:30,15:59\n"
    )


def test_import_stores_days_and_rebuilds_the_month(
    client: FlaskClient, world: World, session: Session
) -> None:
    response = _upload(client, world, _march(world), **{"Idempotency-Key": "march"})
    assert response.status_code == 201, response.json
    assert response.json == {"count": 6, "employees": 2, "months": 2}
    e1, e2 = world.employees["E1"], world.employees["E2"]
    # March 2025 has 21 weekdays; the file covers the month up to the 31st
    assert _months(session) == {(e1, "2025-03"): (21, 2, 1), (e2, "2025-03"): (21, 1, 0)}
    stored = session.scalar(select(AttendanceDay).where(AttendanceDay.employee_id == e2))
    assert stored is not None and (stored.check_in, stored.check_out) == (
        time(7, 0, 30),
        time(15, 59),
    )
    retry = _upload(client, world, _march(world), **{"Idempotency-Key": "march"})
    assert (retry.status_code, retry.json) == (201, response.json)
    assert _days(session) == 6


def test_each_imported_employee_has_the_import_in_their_audit_log(
    client: FlaskClient, world: World, session: Session
) -> None:
    """The import changes each named person's attendance: GET /audit?employee_id= of each
    of them shows it, as the evaluation import's rows do."""
    from service.db.models import AuditEntry

    assert _upload(client, world, _march(world), role="hr").status_code == 201
    rows = session.execute(
        select(AuditEntry.actor_username, AuditEntry.action, AuditEntry.employee_id).where(
            AuditEntry.resource == "attendance", AuditEntry.employee_id.is_not(None)
        )
    ).all()
    assert sorted(rows) == sorted(
        ("user-hr", "import", world.employees[name]) for name in ("E1", "E2")
    )


def test_a_re_import_replaces_the_same_days(
    client: FlaskClient, world: World, session: Session
) -> None:
    assert _upload(client, world, _march(world)).status_code == 201
    fix = HEADER + f"{world.nips['E1']},2025-03-05,07:10,16:00\n"
    assert _upload(client, world, fix).status_code == 201
    assert _upload(client, world, fix).status_code == 201  # the same file again adds nothing
    assert _months(session)[(world.employees["E1"], "2025-03")] == (21, 3, 1)
    assert _days(session) == 6


def test_the_import_replaces_a_summary_entered_by_hand(
    client: FlaskClient, world: World, session: Session
) -> None:
    e1 = world.employees["E1"]
    body = {"month": "2025-03", "work_days": 20, "present_days": 20, "late_days": 0}
    hand = client.post(
        f"/api/v1/employees/{e1}/attendance", json=body, headers=world.headers("hr")
    )
    assert hand.status_code == 201
    assert _upload(client, world, _march(world), role="hr").status_code == 201
    assert _months(session)[(e1, "2025-03")] == (21, 2, 1)


def test_every_bad_row_is_named_and_nothing_is_written(
    client: FlaskClient, world: World, session: Session
) -> None:
    e1 = world.nips["E1"]
    rows = (
        f"{e1},2025-03-03,07:15,16:00\n"  # 2: fine
        f"{'9' * 18},2025-03-03,07:15,\n"  # 3: unknown NIP
        f"{e1},03/04/2025,07:15,\n"  # 4: not ISO
        f"{e1},2025-03-05,7.15,\n"  # 5: not a time
        f"{e1},2025-03-06,,16:00\n"  # 6: check-out without check-in
        f"{e1},2025-03-07,16:00,07:00\n"  # 7: check-out before check-in
        f"{e1},2025-03-03,07:00,\n"  # 8: same day again
        f"{e1},2999-01-01,07:00,\n"  # 9: future
        f"{e1},2025-03-10,07:00,16:00,extra\n"  # 10: a fifth value
    )
    response = _upload(client, world, HEADER + rows)
    assert response.status_code == 422
    found = {(e["row"], e["field"]) for e in response.json["errors"]}
    assert found == {
        (3, "nip"),
        (4, "date"),
        (5, "check_in"),
        (6, "check_out"),
        (7, "check_out"),
        (8, "date"),
        (9, "date"),
        (10, "row"),
    }
    assert "nothing was imported" in response.json["detail"]
    assert _days(session) == 0 and _months(session) == {}


@pytest.mark.parametrize(
    ("header", "field"),
    [
        ("nip,date,check_out\n", "check_in"),
        ("nip,tanggal,check_in\n", "column 2"),
        ("nip,date,check_in,nip\n", "nip"),
    ],
)
def test_a_bad_header_is_row_one(
    shared_client: FlaskClient, shared_world: World, header: str, field: str
) -> None:
    row = f"{shared_world.nips['E1']},2025-03-03,07:00\n"
    response = _upload(shared_client, shared_world, header + row)
    assert response.status_code == 422
    assert {(e["row"], e["field"]) for e in response.json["errors"]} >= {(1, field)}


def test_hr_imports_only_for_its_units(
    client: FlaskClient, world: World, session: Session
) -> None:
    rows = f"{world.nips['E1']},2025-03-03,07:00,\n{world.nips['O']},2025-03-03,07:00,\n"
    response = _upload(client, world, HEADER + rows, role="hr")
    assert response.status_code == 422
    assert [(e["row"], e["field"]) for e in response.json["errors"]] == [(3, "nip")]
    assert _days(session) == 0
    assert _upload(client, world, HEADER + rows, role="supervisor").status_code == 403


def test_hr_cannot_tell_a_nip_outside_its_units_from_a_nip_nobody_has(
    client: FlaskClient, world: World
) -> None:
    """O (unit B) exists, the other NIP does not: hr over unit A hears the same of both, so
    its import cannot probe which employees exist elsewhere; admin hears what is wrong."""
    nobody = "1" * 18
    rows = f"{world.nips['O']},2025-03-03,07:00,\n{nobody},2025-03-03,07:00,\n"

    def messages(role: str) -> list[str]:
        response = _upload(client, world, HEADER + rows, role=role)
        assert response.status_code == 422
        found = [e for e in response.json["errors"] if e["field"] == "nip"]
        return [e["message"].replace(world.nips["O"], "N").replace(nobody, "N") for e in found]

    assert messages("hr") == ["no employee has NIP N in your units"] * 2
    assert messages("admin") == ["no employee has NIP N"]


def test_an_xlsx_export_with_real_dates_and_times(
    client: FlaskClient, world: World, session: Session
) -> None:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["NIP", "Date", "Check_In", "Check_Out"])
    sheet.append([world.nips["E1"], date(2025, 4, 1), time(7, 40), time(16, 0)])
    sheet.append([world.nips["E1"], date(2025, 4, 2), None, None])
    buffer = io.BytesIO()
    workbook.save(buffer)
    response = _upload(client, world, buffer.getvalue(), filename="presensi.xlsx")
    assert response.status_code == 201, response.json
    assert _months(session) == {(world.employees["E1"], "2025-04"): (2, 1, 1)}


def test_a_file_over_ten_mebibytes_is_refused_unread(
    client: FlaskClient, world: World, session: Session
) -> None:
    line = f"{world.nips['E1']},2025-03-03,07:00,16:00\n".encode()
    content = HEADER.encode() + line * (10 * 1024 * 1024 // len(line) + 1)
    boundary = "kinerja-boundary"
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.csv"\r\n'
            "Content-Type: text/csv\r\n\r\n"
        ).encode()
        + content
        + f"\r\n--{boundary}--\r\n".encode()
    )
    response = client.post(
        URL,
        data=body,
        content_type=f"multipart/form-data; boundary={boundary}",
        headers=world.headers("admin"),
    )
    assert response.status_code == 413
    assert response.headers["Content-Type"] == "application/problem+json"
    assert _days(session) == 0


def test_the_command_line_imports_attendance(
    database_url: str, world: World, session: Session, tmp_path: Path, monkeypatch: Any
) -> None:
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "presensi.csv"
    path.write_text(_march(world), encoding="utf-8")
    env = {"DATABASE_URL": database_url, "KINERJA_ATTENDANCE_START_TIME": "07:50"}
    result = CliRunner().invoke(main, ["import", "--kind", "attendance", str(path)], env=env)
    assert result.exit_code == 0, result.output
    assert "Imported 6 attendance" in result.output
    assert _months(session)[(world.employees["E1"], "2025-03")] == (21, 2, 0)  # 07:45 on time
    bad = tmp_path / "bad.csv"
    bad.write_text(HEADER + f"{world.nips['E1']},2025-13-01,07:00,\n", encoding="utf-8")
    failed = CliRunner().invoke(main, ["import", "--kind", "attendance", str(bad)], env=env)
    assert failed.exit_code == 1 and "row 2, date" in failed.output
