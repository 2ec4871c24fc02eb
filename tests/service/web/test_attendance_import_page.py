"""`/imports/attendance`: the attendance upload form calls the API's import use case."""

from __future__ import annotations

import io

from flask.testing import FlaskClient
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.db.models import AttendanceDay
from service.db.models import AttendanceMonth
from tests.service.api.world import World
from tests.service.web.conftest import csrf_token
from tests.service.web.conftest import sign_in

PAGE = "/imports/attendance"


def _upload(client: FlaskClient, text: str, name: str = "presensi.csv") -> object:
    data = {"file": (io.BytesIO(text.encode()), name), "csrf_token": csrf_token(client, PAGE)}
    return client.post(PAGE, data=data, content_type="multipart/form-data")


def _days(session: Session) -> int:
    session.expire_all()
    return session.scalar(select(func.count()).select_from(AttendanceDay)) or 0


def test_hr_imports_a_file_and_a_bad_one_stores_nothing(
    client: FlaskClient, world: World, session: Session
) -> None:
    sign_in(client, "hr")
    form = client.get(PAGE).get_data(as_text=True)
    assert 'enctype="multipart/form-data"' in form and "Impor presensi" in form
    e1 = world.nips["E1"]
    good = f"nip,date,check_in,check_out\n{e1},2025-03-03,07:15,16:00\n{e1},2025-03-04,,\n"
    done = _upload(client, good)
    assert done.status_code == 303
    assert "1 pegawai diimpor" in client.get(PAGE).get_data(as_text=True)
    assert _days(session) == 2
    assert session.scalar(select(func.count()).select_from(AttendanceMonth)) == 1

    bad = f"nip,date,check_in,check_out\n{e1},2025-03-05,07:15,16:00\n{e1},kemarin,07:00,\n"
    refused = _upload(client, bad)
    assert refused.status_code == 422
    assert "Baris 3" in refused.get_data(as_text=True)  # the header is row 1
    assert _days(session) == 2  # all rows or none
    missing = client.post(PAGE, data={"csrf_token": csrf_token(client, PAGE)})
    assert missing.status_code == 422


def test_hr_cannot_import_for_another_unit(
    client: FlaskClient, world: World, session: Session
) -> None:
    sign_in(client, "hr")
    outside = next(nip for name, nip in world.nips.items() if name == "O")
    refused = _upload(client, f"nip,date,check_in,check_out\n{outside},2025-03-03,07:15,16:00\n")
    assert refused.status_code == 422
    assert _days(session) == 0


def test_a_refused_row_names_its_column(client: FlaskClient, world: World) -> None:
    """'Baris 2: is required: the employee's 18-digit NIP' left out the column; a row with
    several problems listed them all without saying which cell each was about."""
    sign_in(client, "hr")
    refused = _upload(client, "nip,date,check_in,check_out\n123,2025-13-01,7:00,16:00\n")
    body = refused.get_data(as_text=True)
    assert refused.status_code == 422
    assert "Baris 2, kolom nip: must be 18 digits" in body
    assert "Baris 2, kolom date: must be a date" in body
