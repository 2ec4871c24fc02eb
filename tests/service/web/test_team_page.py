"""The supervisor's team page: the list, the evaluation form with its predikat, feedback notes."""

from __future__ import annotations

import html
import json
import re
from datetime import date

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.db.models import Evaluation
from service.db.models import FeedbackNote
from service.domain.audit import Actor
from service.domain.entities import BerakhlakValue
from service.domain.entities import Rating
from service.domain.entities import Role
from service.domain.predikat import predikat_for
from service.domain.risk import team_risk
from service.serving import provider as risk_models
from tests.factories import make_employee
from tests.factories import make_evaluation
from tests.service.api.test_risk import add_direct_reports
from tests.service.api.world import World
from tests.service.web.conftest import post_form
from tests.service.web.conftest import sign_in

_MATRIX = re.compile(r'<script type="application/json" id="predikat-matrix">(.*?)</script>', re.S)


@pytest.fixture
def supervisor(client: FlaskClient, world: World) -> FlaskClient:
    sign_in(client, "supervisor")
    return client


def _evaluate(client: FlaskClient, employee_id: int | str, **fields: str) -> object:
    data = {"employee_id": str(employee_id), **fields}
    return post_form(client, "/team/evaluation", data, page="/team")


def _note(client: FlaskClient, employee_id: int, **fields: str) -> object:
    data = {"employee_id": str(employee_id), **fields}
    return post_form(client, "/team/feedback", data, page="/team")


def test_team_lists_direct_reports_only(supervisor: FlaskClient, world: World) -> None:
    page = supervisor.get("/team")
    body = page.get_data(as_text=True)
    assert page.status_code == 200
    assert f'id="member-{world.employees["E1"]}"' in body
    for other in ("E2", "T", "O", "S"):
        assert f'id="member-{world.employees[other]}"' not in body


def test_team_page_embeds_the_domain_matrix(supervisor: FlaskClient) -> None:
    body = supervisor.get("/team").get_data(as_text=True)
    embedded = json.loads(html.unescape(_MATRIX.search(body).group(1)))
    expected = {f"{w.value}|{b.value}": predikat_for(w, b).value for w in Rating for b in Rating}
    assert {key: cell["value"] for key, cell in embedded.items()} == expected


def test_evaluation_form_has_the_seven_values(supervisor: FlaskClient) -> None:
    body = supervisor.get("/team").get_data(as_text=True)
    for value in BerakhlakValue:
        assert f'name="value_{value.value}"' in body
    assert "predikat.js" in body


# Three cells with three different predikat; every cell is tested in test_predikat.py and
# the whole matrix reaches the page in test_team_page_embeds_the_domain_matrix.
@pytest.mark.parametrize(
    ("work", "behavior"),
    [
        (Rating.DI_ATAS_EKSPEKTASI, Rating.DI_ATAS_EKSPEKTASI),
        (Rating.DI_BAWAH_EKSPEKTASI, Rating.SESUAI_EKSPEKTASI),
        (Rating.SESUAI_EKSPEKTASI, Rating.DI_BAWAH_EKSPEKTASI),
    ],
)
def test_evaluation_is_saved_with_its_predikat(
    supervisor: FlaskClient, world: World, session: Session, work: Rating, behavior: Rating
) -> None:
    target = world.employees["E1"]
    answer = _evaluate(
        supervisor,
        target,
        period="2025-Q2",
        work_result_rating=work.value,
        behavior_rating=behavior.value,
        value_kolaboratif=behavior.value,
    )
    assert answer.status_code == 303
    assert answer.headers["Location"].endswith(f"/team#member-{target}")
    stored = session.scalars(select(Evaluation).where(Evaluation.employee_id == target)).one()
    assert stored.predikat == predikat_for(work, behavior)
    assert stored.behavior_kolaboratif == behavior
    assert stored.rater_id == world.employees["S"]
    shown = supervisor.get("/team").get_data(as_text=True)
    assert 'class="message message-success"' in shown
    assert "2025-Q2" in shown


def test_evaluation_without_ratings_is_refused_with_field_errors(
    supervisor: FlaskClient, world: World, session: Session
) -> None:
    target = world.employees["E1"]
    answer = _evaluate(supervisor, target, period="2025-Q9", feedback="catatan")
    body = answer.get_data(as_text=True)
    assert answer.status_code == 422
    for field in ("period", "work", "behavior"):
        assert f'id="e-{field}-error"' in body
    assert f'<option value="{target}" selected>' in body  # the member stays chosen
    assert 'aria-invalid="true"' in body
    assert "catatan" in body  # what was typed is kept
    assert session.scalars(select(Evaluation)).all() == []


def test_second_evaluation_of_a_period_is_a_conflict(
    supervisor: FlaskClient, world: World
) -> None:
    fields = {
        "period": "2025",
        "work_result_rating": "sesuai_ekspektasi",
        "behavior_rating": "sesuai_ekspektasi",
    }
    assert _evaluate(supervisor, world.employees["E1"], **fields).status_code == 303
    again = _evaluate(supervisor, world.employees["E1"], **fields)
    assert again.status_code == 409
    body = again.get_data(as_text=True)
    assert 'role="alert">Pegawai ini sudah memiliki penilaian untuk periode 2025.</p>' in body


@pytest.mark.parametrize(("person", "status"), [("T", 404), ("O", 404), ("E2", 403)])
def test_supervisor_cannot_rate_outside_the_team(
    supervisor: FlaskClient, world: World, session: Session, person: str, status: int
) -> None:
    answer = _evaluate(
        supervisor,
        world.employees[person],
        period="2025",
        work_result_rating="sesuai_ekspektasi",
        behavior_rating="sesuai_ekspektasi",
    )
    assert answer.status_code == status
    assert session.scalars(select(Evaluation)).all() == []


def test_feedback_note_is_saved(supervisor: FlaskClient, world: World, session: Session) -> None:
    target = world.employees["E1"]
    answer = _note(
        supervisor, target, period="2025-Q3", target="perilaku", body="Bagus dalam kolaborasi tim."
    )
    assert answer.status_code == 303
    note = session.scalars(select(FeedbackNote)).one()
    assert (note.employee_id, note.period, note.body) == (
        target,
        "2025-Q3",
        "Bagus dalam kolaborasi tim.",
    )


@pytest.mark.parametrize(
    ("fields", "bad"),
    [
        ({"period": "2025-Q3", "target": "perilaku", "body": "   "}, "body"),
        ({"period": "2025-Q3", "target": "lainnya", "body": "ok"}, "target"),
        ({"period": "kemarin", "target": "rhk", "body": "ok"}, "period"),
    ],
)
def test_bad_feedback_note_is_refused(
    supervisor: FlaskClient, world: World, session: Session, fields: dict, bad: str
) -> None:
    target = world.employees["E1"]
    answer = _note(supervisor, target, **fields)
    assert answer.status_code == 422
    assert f'id="f-{bad}-error"' in answer.get_data(as_text=True)
    assert session.scalars(select(FeedbackNote)).all() == []


def test_evaluation_post_without_csrf_is_refused(
    supervisor: FlaskClient, world: World, session: Session
) -> None:
    answer = supervisor.post(
        "/team/evaluation",
        data={
            "employee_id": str(world.employees["E1"]),
            "period": "2025",
            "work_result_rating": "sesuai_ekspektasi",
            "behavior_rating": "sesuai_ekspektasi",
        },
    )
    assert answer.status_code == 400
    assert session.scalars(select(Evaluation)).all() == []


@pytest.mark.parametrize("employee_id", ["", "abc", "0", "99999999999"])
def test_evaluation_must_name_a_team_member(
    supervisor: FlaskClient, world: World, employee_id: str
) -> None:
    answer = _evaluate(
        supervisor,
        employee_id,
        period="2025",
        work_result_rating="sesuai_ekspektasi",
        behavior_rating="sesuai_ekspektasi",
    )
    assert answer.status_code == 422
    assert 'id="e-employee-error"' in answer.get_data(as_text=True)


def test_member_link_chooses_the_member_in_both_forms(
    supervisor: FlaskClient, world: World
) -> None:
    target = world.employees["E1"]
    body = supervisor.get(f"/team?member={target}").get_data(as_text=True)
    assert body.count(f'<option value="{target}" selected>') == 2


def test_hr_with_reports_sees_its_team(client: FlaskClient, world: World) -> None:
    sign_in(client, "hr")
    body = client.get("/team").get_data(as_text=True)
    assert f'id="member-{world.employees["S"]}"' in body
    assert f'id="member-{world.employees["E1"]}"' not in body


@pytest.mark.parametrize("role", ["employee", "data"])
def test_team_page_is_for_supervisors(client: FlaskClient, world: World, role: str) -> None:
    sign_in(client, role)
    assert client.get("/team").status_code == 403
    assert post_form(client, "/team/evaluation", {}, page="/login").status_code == 403


def _quarters(session: Session, employee_id: int, ratings: list[str]) -> None:
    for quarter, rating in enumerate(ratings, 1):
        make_evaluation(
            session,
            employee_id=employee_id,
            period=f"2025-Q{quarter}",
            work_result_rating=rating,
            behavior_rating="sesuai_ekspektasi",
        )


def test_team_is_ordered_by_the_risk_use_case(
    client: FlaskClient, app: Flask, world: World, session: Session
) -> None:
    other = make_employee(
        session,
        unit_id=world.units["A1"],
        position_id=world.position_id,
        supervisor_id=world.employees["S"],
    )
    _quarters(session, world.employees["E1"], ["sesuai_ekspektasi", "sesuai_ekspektasi"])
    _quarters(session, other.id, ["di_bawah_ekspektasi", "di_bawah_ekspektasi"])
    session.commit()
    supervisor = Actor(
        world.users["supervisor"], "user-supervisor", Role.SUPERVISOR, world.employees["S"]
    )
    with app.app_context():
        expected = team_risk(session, supervisor, risk_models()).items
    session.rollback()
    sign_in(client, "supervisor")
    body = client.get("/team").get_data(as_text=True)
    shown = [int(found) for found in re.findall(r'id="member-(\d+)"', body)]
    assert shown == [item["employee_id"] for item in expected]
    for item in expected:
        percent = round(item["risk"]["probability"] * 100)
        assert f"Peluang predikat buruk periode berikutnya: {percent}%" in body
    assert "(perkiraan berbasis aturan)" in body  # no model is served in tests


def test_a_large_team_is_shown_one_page_at_a_time(
    client: FlaskClient, app: Flask, world: World, session: Session
) -> None:
    app.config["WEB_PAGE_SIZE"] = 2
    add_direct_reports(session, world, 3)  # four direct reports with E1: two pages
    sign_in(client, "supervisor")
    first = client.get("/team").get_data(as_text=True)
    second = client.get("/team?offset=2").get_data(as_text=True)
    shown = [re.findall(r'id="member-(\d+)"', page) for page in (first, second)]
    assert [len(ids) for ids in shown] == [2, 2]
    assert not set(shown[0]) & set(shown[1])
    assert "Seluruhnya 4 orang; 2 per halaman." in first
    assert 'rel="next" href="/team?offset=2"' in first
    assert 'rel="prev" href="/team?offset=0"' in second
    member = shown[1][0]
    assert f'href="/team?offset=2&amp;member={member}#evaluate"' in second
    assert '<input type="hidden" name="offset" value="2">' in second
    answer = post_form(
        client,
        "/team/feedback",
        {"employee_id": member, "offset": "2", "period": "2025-Q3", "target": "rhk", "body": "ok"},
        page="/team?offset=2",
    )
    assert answer.status_code == 303
    assert answer.headers["Location"].endswith(f"/team?offset=2#member-{member}")


def test_a_period_still_to_come_is_named_as_such(supervisor: FlaskClient, world: World) -> None:
    """A well-written period that has not started got the format's help ("Isi periode seperti
    2025, 2025-Q1 atau 2025-03."), so the rater looked for a typo that was not there."""
    year = date.today().year + 1
    fields = {"work_result_rating": "sesuai_ekspektasi", "behavior_rating": "sesuai_ekspektasi"}
    answer = _evaluate(supervisor, world.employees["E1"], period=f"{year}-Q1", **fields)
    assert answer.status_code == 422
    body = answer.get_data(as_text=True)
    assert f"Periode {year}-Q1 belum dimulai; periode ini mulai 1 Jan {year}." in body
    assert "Isi periode seperti" not in body
    typo = _evaluate(supervisor, world.employees["E1"], period="2025-Q9", **fields)
    assert "Isi periode seperti" in typo.get_data(as_text=True)


def _risk_history(session: Session, world: World) -> None:
    """E1: four quarters, enough history for a risk estimate."""
    for period in ("2024-Q3", "2024-Q4", "2025-Q1", "2025-Q2"):
        make_evaluation(session, employee_id=world.employees["E1"], period=period)
    session.commit()


def test_a_member_s_estimate_is_reviewed_from_the_team_page(
    supervisor: FlaskClient, world: World, session: Session
) -> None:
    """The card offers the review; disagreeing without a reason is refused with a message
    and stores nothing; a reason saves it, and the card then shows the review instead."""
    from service.db.models import RiskReview

    _risk_history(session, world)
    target = world.employees["E1"]
    body = supervisor.get("/team").get_data(as_text=True)
    assert 'action="/team/risk-review' in body and f'id="review-reason-{target}"' in body
    data = {"employee_id": str(target), "decision": "disagree", "reason": "  "}
    refused = post_form(supervisor, "/team/risk-review", data, page="/team")
    assert refused.status_code == 303
    page = supervisor.get(refused.headers["Location"]).get_data(as_text=True)
    assert "Sebutkan alasan Anda tidak setuju" in page  # the page speaks Indonesian
    assert session.scalars(select(RiskReview)).first() is None
    data["reason"] = "Baru kembali dari cuti panjang; target sudah disesuaikan."
    saved = post_form(supervisor, "/team/risk-review", data, page="/team")
    assert saved.status_code == 303 and saved.headers["Location"].endswith(f"#member-{target}")
    review = session.scalars(select(RiskReview)).one()
    assert (review.employee_id, review.decision, review.period) == (target, "disagree", "2025-Q2")
    body = supervisor.get("/team").get_data(as_text=True)
    assert (
        "Perkiraan sudah ditinjau: tidak setuju." in body and html.escape(data["reason"]) in body
    )
    assert f'id="review-reason-{target}"' not in body
    again = post_form(supervisor, "/team/risk-review", data, page="/team")
    page = supervisor.get(again.headers["Location"]).get_data(as_text=True)
    assert "tidak dapat ditinjau" in page
