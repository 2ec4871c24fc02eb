"""Objection pages: the employee objects from the employee page, the rater's superior decides
on /objections; refused forms say why and change nothing. S rates E1 and reports to H (hr)."""

from __future__ import annotations

from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.db.models import Evaluation
from service.db.models import Objection
from service.domain.entities import Predikat
from service.domain.entities import Rating
from tests.factories import make_evaluation
from tests.service.api.world import World
from tests.service.web.conftest import post_form
from tests.service.web.conftest import sign_in

REASON = "Realisasi RHK 2 sudah 100%; buktinya belum dinilai."


def _evaluation(session: Session, world: World) -> int:
    evaluation = make_evaluation(
        session,
        employee_id=world.employees["E1"],
        rater_id=world.employees["S"],
        period="2025",
        work_result_rating=Rating.DI_BAWAH_EKSPEKTASI,
    )
    session.commit()
    return evaluation.id


def _signed_in(app: object, role: str) -> FlaskClient:
    client = app.test_client()  # type: ignore[attr-defined]
    assert sign_in(client, role).status_code in (302, 303)
    return client


def test_employee_objects_from_the_employee_page(
    app: object, world: World, session: Session
) -> None:
    evaluation_id = _evaluation(session, world)
    client = _signed_in(app, "employee")
    page = client.get(f"/employees/{world.employees['E1']}").get_data(as_text=True)
    assert f"/evaluations/{evaluation_id}/objection" in page
    form = client.get(f"/evaluations/{evaluation_id}/objection")
    assert form.status_code == 200 and 'name="reason"' in form.get_data(as_text=True)

    path = f"/evaluations/{evaluation_id}/objection"
    empty = post_form(client, path, {"reason": "   "}, page="/objections")
    assert empty.status_code == 422
    assert 'aria-invalid="true"' in empty.get_data(as_text=True)
    assert session.scalar(select(Objection.id)) is None

    filed = post_form(client, path, {"reason": REASON}, page="/objections")
    assert filed.status_code == 303 and filed.headers["Location"].endswith("/objections")
    listing = client.get("/objections").get_data(as_text=True)
    assert REASON in listing and 'value="withdrawn"' in listing

    again = post_form(client, path, {"reason": REASON}, page="/objections")
    assert again.status_code == 409 and 'role="alert"' in again.get_data(as_text=True)
    assert len(session.scalars(select(Objection)).all()) == 1


def test_the_raters_superior_decides_on_the_objections_page(
    app: object, world: World, session: Session
) -> None:
    evaluation_id = _evaluation(session, world)
    employee = _signed_in(app, "employee")
    path = f"/evaluations/{evaluation_id}/objection"
    assert post_form(employee, path, {"reason": REASON}, page="/objections").status_code == 303
    objection_id = session.scalar(select(Objection.id))

    rater = _signed_in(app, "supervisor").get("/objections").get_data(as_text=True)
    assert REASON in rater and 'name="decision_note"' not in rater  # the rater does not decide
    hr = _signed_in(app, "hr")
    assert 'name="decision_note"' in hr.get("/objections").get_data(as_text=True)
    decision = {"status": "upheld", "decision_note": "Bukti sah.", "version": "1"}
    unchanged = post_form(hr, f"/objections/{objection_id}", decision, page="/objections")
    assert unchanged.status_code == 422
    assert 'aria-invalid="true"' in unchanged.get_data(as_text=True)
    session.expire_all()
    assert session.get(Objection, objection_id).status.value == "pending"  # type: ignore[union-attr]

    upheld = post_form(
        hr,
        f"/objections/{objection_id}",
        decision | {"work_result_rating": Rating.SESUAI_EKSPEKTASI.value},
        page="/objections",
    )
    assert upheld.status_code == 303
    session.expire_all()
    evaluation = session.get(Evaluation, evaluation_id)
    assert evaluation is not None and evaluation.predikat is Predikat.BAIK
    assert session.get(Objection, objection_id).predikat_after is Predikat.BAIK  # type: ignore[union-attr]
    withdraw = {"status": "withdrawn", "version": "2"}
    late = post_form(employee, f"/objections/{objection_id}", withdraw, page="/objections")
    assert late.status_code == 409


def test_an_employee_without_objections_is_told_where_to_file_one(
    app: object, world: World
) -> None:
    """The menu's Objections page said only 'Tidak ada keberatan.': an employee who came to
    object found no form and no word of where the evaluations are."""
    client = _signed_in(app, "employee")
    page = client.get("/objections").get_data(as_text=True)
    assert "Tidak ada keberatan." in page
    assert f'href="/employees/{world.employees["E1"]}#history-title"' in page
    assert "Ajukan keberatan" in page
