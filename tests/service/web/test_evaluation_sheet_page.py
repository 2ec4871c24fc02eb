"""The evaluation sheet (/evaluations/<id>/sheet): the printable document of one evaluation,
for whoever may read the evaluation. S rates E1 and reports to H (hr); A1 lies under A."""

from __future__ import annotations

from flask.testing import FlaskClient
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy import update
from sqlalchemy.orm import Session

from service.db.models import AuditEntry
from service.db.models import Realisation
from service.db.models import UnitGrade
from service.domain.audit import Actor
from service.domain.entities import OrganisationGrade
from service.domain.entities import Rating
from service.domain.entities import Role
from service.domain.evaluation_input import ensure_period
from service.domain.evaluations import update_evaluation
from service.domain.periods import parse_period
from tests.factories import make_evaluation
from tests.service.api.world import World
from tests.service.api.world import add_indicator
from tests.service.api.world import add_skp
from tests.service.web.conftest import post_form
from tests.service.web.conftest import sign_in

RHK_TEXT = "Tersusunnya laporan pengawasan triwulanan"
INDICATOR_TEXT = "Jumlah laporan pengawasan"


def _signed_in(app: object, role: str) -> FlaskClient:
    client = app.test_client()  # type: ignore[attr-defined]
    assert sign_in(client, role).status_code in (302, 303)
    return client


def _evaluated(session: Session, world: World) -> int:
    """E1's 2025 evaluation by S, with a 2025 SKP whose indicator was realised in 2025-Q2
    (inside the evaluated year) and 2024-Q4 (outside it)."""
    skp_id = add_skp(session, world, "E1", 2025, "S")
    indicator = add_indicator(
        session, skp_id, RHK_TEXT, INDICATOR_TEXT, target_value=12, target_unit="laporan"
    )
    for period, value in (("2025-Q2", 7.0), ("2024-Q4", 99.0)):
        ensure_period(session, parse_period(period))
        session.add(Realisation(indicator_id=indicator.id, period=period, value=value))
    evaluation = make_evaluation(
        session,
        employee_id=world.employees["E1"],
        rater_id=world.employees["S"],
        period="2025",
        work_result_rating=Rating.DI_ATAS_EKSPEKTASI,
        behavior_ratings={"akuntabel": "di_atas_ekspektasi"},
        feedback="Pertahankan ketepatan waktu laporan.",
    )
    make_evaluation(session, employee_id=world.employees["E2"], rater_id=world.employees["E1"])
    session.add(UnitGrade(unit_id=world.units["A"], period="2025", grade=OrganisationGrade.BAIK))
    session.commit()
    return evaluation.id


def _audit_reads(session: Session, employee_id: int) -> int:
    query = select(func.count()).where(
        AuditEntry.employee_id == employee_id, AuditEntry.resource == "evaluation"
    )
    return int(session.scalar(query) or 0)


def test_the_employee_reads_their_own_sheet(app: object, world: World, session: Session) -> None:
    evaluation_id = _evaluated(session, world)
    client = _signed_in(app, "employee")
    page = client.get(f"/evaluations/{evaluation_id}/sheet")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Evaluasi kinerja pegawai" in text  # Indonesian by default
    assert "1 Januari 2025 s.d. 31 Desember 2025" in text  # dates as the locale writes them
    for name in ("Pegawai E1", "Pegawai S", "Pegawai H"):  # evaluated, rater, rater's superior
        assert name in text
    assert world.nips["E1"] in text and world.nips["S"] in text
    assert RHK_TEXT in text and INDICATOR_TEXT in text
    assert "2025-Q2: 7" in text and "2024-Q4" not in text  # only what the year holds
    assert "Pertahankan ketepatan waktu laporan." in text
    assert "Di atas ekspektasi" in text
    # A unit of two evaluated: the counts would tell the employee the other's predikat.
    assert "kurang dari lima" in text
    assert f"/employees/{world.employees['E1']}" in text
    employee_page = client.get(f"/employees/{world.employees['E1']}").get_data(as_text=True)
    assert f"/evaluations/{evaluation_id}/sheet" in employee_page


def test_small_unit_counts_are_for_the_units_hr_and_the_read_is_audited(
    app: object, world: World, session: Session
) -> None:
    evaluation_id = _evaluated(session, world)
    before = _audit_reads(session, world.employees["E1"])
    rater = _signed_in(app, "supervisor").get(f"/evaluations/{evaluation_id}/sheet")
    assert rater.status_code == 200
    assert "kurang dari lima" in rater.get_data(as_text=True)  # S does not see all of A
    assert _audit_reads(session, world.employees["E1"]) == before + 1
    hr = _signed_in(app, "hr").get(f"/evaluations/{evaluation_id}/sheet").get_data(as_text=True)
    assert "Distribusi predikat" in hr and "kurang dari lima" not in hr  # H's unit is A


def test_others_get_the_evaluations_404(app: object, world: World, session: Session) -> None:
    evaluation_id = _evaluated(session, world)
    other = make_evaluation(session, employee_id=world.employees["O"], period="2025")
    session.commit()
    assert _signed_in(app, "data").get(f"/evaluations/{evaluation_id}/sheet").status_code == 403
    supervisor = _signed_in(app, "supervisor")
    assert supervisor.get(f"/evaluations/{other.id}/sheet").status_code == 404
    assert supervisor.get("/evaluations/999999/sheet").status_code == 404


def test_the_rater_and_the_employee_sign_on_the_sheet(
    app: object, world: World, session: Session
) -> None:
    evaluation_id = _evaluated(session, world)
    path = f"/evaluations/{evaluation_id}/sheet"
    rater = _signed_in(app, "supervisor")
    assert "Tanda tangani evaluasi ini" in rater.get(path).get_data(as_text=True)
    signed = post_form(rater, f"{path}/sign", {}, page=path)
    assert signed.status_code == 303 and signed.headers["Location"].endswith(path)
    page = rater.get(path).get_data(as_text=True)
    assert page.count("Ditandatangani secara elektronik") == 1  # the rater's block
    assert "Tanda tangani evaluasi ini" not in page  # signed: no second form for S
    again = post_form(rater, f"{path}/sign", {}, page=path)
    assert again.status_code == 303
    assert "sudah menandatangani" in rater.get(path).get_data(as_text=True)
    employee = _signed_in(app, "employee")
    assert "Tanda tangani evaluasi ini" in employee.get(path).get_data(as_text=True)
    assert post_form(employee, f"{path}/sign", {}, page=path).status_code == 303
    both = employee.get(path).get_data(as_text=True)
    assert both.count("Ditandatangani secara elektronik") == 2
    assert "Sidik dokumen (SHA-256, versi 1)" in both
    session.execute(update(Realisation).values(value=8.0))  # behind the application's back
    session.commit()
    changed = employee.get(path).get_data(as_text=True)
    assert changed.count("isi dokumen telah berubah") == 2
    assert post_form(_signed_in(app, "hr"), f"{path}/sign", {}, page=path).status_code == 403


def test_the_sheet_says_when_and_by_whom_the_evaluation_was_corrected(
    app: object, world: World, session: Session
) -> None:
    evaluation_id = _evaluated(session, world)  # di atas / sesuai ekspektasi: baik
    path = f"/evaluations/{evaluation_id}/sheet"
    client = _signed_in(app, "employee")
    assert "Dikoreksi pada" not in client.get(path).get_data(as_text=True)
    rater = Actor(
        world.users["supervisor"], "user-supervisor", Role.SUPERVISOR, world.employees["S"]
    )
    update_evaluation(session, rater, evaluation_id, 1, {"behavior_rating": "di_atas_ekspektasi"})
    session.commit()
    text = client.get(path).get_data(as_text=True)
    assert "oleh user-supervisor; predikat sebelumnya Baik." in text
    assert "Sangat Baik" in text  # the predikat as it stands
