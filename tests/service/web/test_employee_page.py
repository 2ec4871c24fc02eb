"""The employee page: who may open it, and what it shows of the plan and the ratings."""

from __future__ import annotations

import html
from datetime import date

import pytest
from babel.numbers import format_decimal
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.db.models import AuditEntry
from service.db.models import Employee
from service.db.models import Indicator
from service.db.models import Realisation
from service.db.models import Rhk
from service.db.models import Skp
from service.db.models import Training
from service.domain.audit import Actor
from service.domain.development import jp_status
from service.domain.entities import EmploymentStatus
from service.domain.entities import EnrolmentStatus
from service.domain.entities import IndicatorAspect
from service.domain.entities import RhkKind
from service.domain.entities import Role
from service.domain.entities import SkpStatus
from service.domain.evaluation_input import ensure_period
from service.domain.periods import parse_period
from service.domain.recommendations import recommend_trainings
from service.domain.records import enrol
from service.domain.risk import employee_risk
from service.domain.settings import RuleSettings
from service.serving import provider as risk_models
from tests.factories import make_evaluation
from tests.service.api.world import World
from tests.service.api.world import add_skp
from tests.service.web.conftest import add_gaps
from tests.service.web.conftest import sign_in

# (role, person) -> status: the same answers as GET /api/v1/employees/{id}.
ACCESS = [
    ("employee", "E1", 200),
    ("employee", "E2", 404),
    ("employee", "S", 404),
    ("supervisor", "S", 200),
    ("supervisor", "E1", 200),
    ("supervisor", "E2", 200),
    ("supervisor", "T", 404),
    ("supervisor", "O", 404),
    ("hr", "T", 200),
    ("hr", "O", 404),
    ("admin", "O", 200),
    ("data", "E1", 403),
]


@pytest.mark.parametrize(("role", "person", "status"), ACCESS)
def test_employee_page_follows_the_access_policy(
    client: FlaskClient, world: World, role: str, person: str, status: int
) -> None:
    sign_in(client, role)
    answer = client.get(f"/employees/{world.employees[person]}")
    assert answer.status_code == status
    if status != 200:
        assert f"Pegawai {person}" not in answer.get_data(as_text=True)


def test_unknown_employee_is_not_found(client: FlaskClient, world: World) -> None:
    sign_in(client, "admin")
    assert client.get("/employees/999999").status_code == 404
    assert client.get("/employees/99999999999").status_code == 404


def test_predikat_history_lists_every_period(
    client: FlaskClient, world: World, session: Session
) -> None:
    e1 = world.employees["E1"]
    make_evaluation(
        session,
        employee_id=e1,
        period="2024",
        work_result_rating="di_atas_ekspektasi",
        behavior_rating="di_atas_ekspektasi",
    )
    make_evaluation(
        session,
        employee_id=e1,
        period="2025",
        work_result_rating="di_bawah_ekspektasi",
        behavior_rating="sesuai_ekspektasi",
    )
    session.commit()
    sign_in(client, "employee")
    body = client.get(f"/employees/{e1}").get_data(as_text=True)
    assert body.count('class="bar predikat-') == 2
    assert "predikat-sangat_baik" in body and "predikat-butuh_perbaikan" in body
    assert ">Sangat Baik<" in body and ">Butuh Perbaikan<" in body
    assert body.index(">2025</a></th>") < body.index(">2024</a></th>")  # newest first in the table


def test_plan_shows_targets_and_realisations_per_period(
    client: FlaskClient, world: World, session: Session
) -> None:
    skp_id = add_skp(session, world, "E1", 2025, "S")
    rhk = Rhk(skp_id=skp_id, kind=RhkKind.UTAMA, description="Layanan perizinan tepat waktu")
    session.add(rhk)
    session.flush()
    indicators = [
        Indicator(
            rhk_id=rhk.id,
            aspect=IndicatorAspect.KUANTITAS,
            description=f"IKI {n}",
            target_value=100.0,
            target_unit="berkas",
        )
        for n in (1, 2)
    ]
    session.add_all(indicators)
    session.flush()
    for code in ("2025-Q1", "2025-Q2"):
        ensure_period(session, parse_period(code))
    session.add(Realisation(indicator_id=indicators[0].id, period="2025-Q1", value=40.0))
    session.add(Realisation(indicator_id=indicators[0].id, period="2025-Q2", value=85.5))
    session.add(Realisation(indicator_id=indicators[1].id, period="2025-Q2", value=30.0))
    session.commit()
    sign_in(client, "supervisor")
    body = client.get(f"/employees/{world.employees['E1']}").get_data(as_text=True)
    assert "Layanan perizinan tepat waktu" in body
    assert ">2025-Q1</th>" in body and ">2025-Q2</th>" in body
    assert ">85,5<" in body and ">30<" in body  # Indonesian decimal comma
    # bar heights follow the count of indicators realised: 1 in Q1, 2 (all) in Q2
    assert "2025-Q1: indikator yang sudah ada realisasinya" in body


def test_reading_someone_else_is_audited(
    client: FlaskClient, world: World, session: Session
) -> None:
    sign_in(client, "supervisor")
    client.get(f"/employees/{world.employees['E1']}")
    reads = session.scalars(
        select(AuditEntry).where(AuditEntry.employee_id == world.employees["E1"])
    ).all()
    assert reads and {r.actor_username for r in reads} == {"user-supervisor"}
    assert {r.action for r in reads} == {"read"}


def test_predikat_labels_follow_the_language(
    client: FlaskClient, world: World, session: Session
) -> None:
    make_evaluation(session, employee_id=world.employees["E1"], period="2025")
    session.commit()
    sign_in(client, "employee")
    client.set_cookie("kinerja_lang", "en")
    body = client.get(f"/employees/{world.employees['E1']}").get_data(as_text=True)
    assert '<html lang="en">' in body
    assert ">Good<" in body and ">Predikat history<" in body
    assert ">Baik<" not in body


def test_gaps_and_recommendations_come_from_the_use_case(
    client: FlaskClient, world: World, session: Session
) -> None:
    add_gaps(session, world, ("E1",))
    e1 = world.employees["E1"]
    me = Actor(world.users["employee"], "user-employee", Role.EMPLOYEE, e1)
    expected = recommend_trainings(session, me, e1, k=5)
    session.rollback()
    sign_in(client, "employee")
    body = client.get(f"/employees/{e1}").get_data(as_text=True)
    assert [g.competency for g in expected.gaps] == ["M.02"]
    assert ">Kerja Sama</th>" in body  # the gap table names the competency
    assert 'class="bar bad"' in body  # held below the standard
    assert expected.items
    for item in expected.items:
        assert html.escape(item.title) in body
        assert html.escape(item.reason) in body
    client.set_cookie("kinerja_lang", "en")
    english = client.get(f"/employees/{e1}").get_data(as_text=True)
    assert ">Teamwork</th>" in english
    assert html.escape(expected.items[0].reason_en) in english


def test_outlook_without_history_says_there_is_not_enough_data(
    client: FlaskClient, world: World
) -> None:
    sign_in(client, "employee")
    body = client.get(f"/employees/{world.employees['E1']}").get_data(as_text=True)
    assert "Data belum cukup untuk memperkirakan risiko" in body
    assert "Peluang predikat buruk" not in body


def test_outlook_shows_the_risk_answer_and_what_would_change_it(
    client: FlaskClient, app: Flask, world: World, session: Session
) -> None:
    e1 = world.employees["E1"]
    for quarter, rating in ((1, "sesuai_ekspektasi"), (2, "di_bawah_ekspektasi")):
        make_evaluation(
            session,
            employee_id=e1,
            period=f"2025-Q{quarter}",
            work_result_rating=rating,
            behavior_rating="di_bawah_ekspektasi",
        )
    session.commit()
    me = Actor(world.users["employee"], "user-employee", Role.EMPLOYEE, e1)
    with app.app_context():
        expected = employee_risk(session, me, e1, risk_models())
    session.rollback()
    sign_in(client, "employee")
    body = client.get(f"/employees/{e1}").get_data(as_text=True)
    percent = round(expected["probability"] * 100)
    assert f"Peluang predikat buruk periode berikutnya: {percent}%" in body
    assert "per 2025-Q2" in body
    assert body.count("jika berada pada nilai yang umum") == len(expected["drivers"])
    # the what-if actions need a trained model; none is served in these tests
    assert "Ditampilkan setelah model risiko terlatih dilayani." in body
    for driver in expected["drivers"]:
        assert html.escape(driver["label"]) in body


def _complete(session: Session, world: World, person: str, code: str, ended: date) -> float:
    """Record a completed programme through the enrolment use case; return its JP."""
    hr = Actor(world.users["hr"], "user-hr", Role.HR, world.employees["H"], world.units["A"])
    detail = enrol(
        session, hr, world.employees[person], code, ended, ended, EnrolmentStatus.COMPLETED
    )
    return float(detail.enrolment.jp_earned)


def test_jp_progress_counts_this_years_completed_programmes(
    client: FlaskClient, world: World, session: Session
) -> None:
    codes = session.scalars(select(Training.code).order_by(Training.code).limit(3)).all()
    today = date.today()
    done = _complete(session, world, "E1", codes[0], date(today.year, 1, 1))
    done += _complete(session, world, "E1", codes[1], today)
    last = _complete(session, world, "E1", codes[2], date(today.year - 1, 12, 31))
    session.commit()
    expected = jp_status(done, "pns", today.year, today, RuleSettings())
    sign_in(client, "employee")
    body = client.get(f"/employees/{world.employees['E1']}").get_data(as_text=True)
    assert f"Jam pelajaran (JP) pengembangan kompetensi tahun {today.year}" in body
    shown = format_decimal(done, format="#,##0.#", locale="id")
    assert f"{shown} dari 20 JP yang diwajibkan tahun ini, dari 2 program." in body
    assert f'<progress class="progress" max="20.0" value="{min(done, 20.0)}"' in body
    if expected.compliant:
        badge = "Kewajiban terpenuhi"
    elif expected.behind_late_in_year:
        badge = "Tertinggal, sudah akhir tahun"
    else:
        badge = "Sesuai jadwal" if expected.on_track else "Tertinggal dari jadwal"
    assert f'">{badge}</span>' in body
    last_shown = format_decimal(last, format="#,##0.#", locale="id")
    assert f"Tahun lalu ({today.year - 1}): {last_shown} JP." in body
    assert ("Kewajiban terpenuhi." if last >= 20 else "Kewajiban tidak terpenuhi.") in body


def test_jp_progress_of_a_pppk_shows_the_yearly_maximum(
    client: FlaskClient, world: World, session: Session
) -> None:
    person = session.get(Employee, world.employees["E1"])
    person.employment_status = EmploymentStatus.PPPK
    session.commit()
    sign_in(client, "employee")
    body = client.get(f"/employees/{world.employees['E1']}").get_data(as_text=True)
    assert "0 JP tahun ini, dari 0 program." in body
    assert "Pegawai PPPK dapat diberi paling banyak 24 JP setahun." in body
    assert "<progress" not in body.split('id="jp-title"')[1].split("</section>")[0]


@pytest.mark.parametrize(
    ("language", "shown"),
    [("en", "SKP 2025, status: approved."), ("id", "SKP 2025, status: ditetapkan.")],
)
def test_plan_status_is_in_the_users_language(
    client: FlaskClient, world: World, session: Session, language: str, shown: str
) -> None:
    skp_id = add_skp(session, world, "E1", 2025, "S")
    session.get(Skp, skp_id).status = SkpStatus.DITETAPKAN
    session.commit()
    sign_in(client, "employee")
    client.set_cookie("kinerja_lang", language)
    assert shown in client.get(f"/employees/{world.employees['E1']}").get_data(as_text=True)


@pytest.mark.parametrize("language", ["id", "en"])
def test_programmes_taken_are_named(
    client: FlaskClient, world: World, session: Session, language: str
) -> None:
    """The table of programmes taken showed only catalogue codes (MAN-PER-01), which no
    employee knows; the recommendations beside it name their programmes."""
    training = session.scalars(
        select(Training).where(Training.title_en.is_not(None)).order_by(Training.code).limit(1)
    ).one()
    _complete(session, world, "E1", training.code, date(date.today().year, 1, 2))
    session.commit()
    client.set_cookie("kinerja_lang", language)
    sign_in(client, "employee")
    body = client.get(f"/employees/{world.employees['E1']}").get_data(as_text=True)
    taken = body[body.index('id="enrolments-title"') :]
    title = training.title if language == "id" else training.title_en
    assert html.escape(title) in taken and training.code in taken
