"""Closing the calibration on the rater calibration page: hr closes, the team page's
evaluation form is refused naming the closing, an upheld objection shows as a change after
closing, and hr reopens with a reason (none given: still closed)."""

from __future__ import annotations

import html

from flask import Flask
from sqlalchemy import select
from sqlalchemy import update
from sqlalchemy.orm import Session

from service.db.models import CalibrationClosing
from service.db.models import Evaluation
from service.domain.audit import Actor
from service.domain.entities import Role
from service.domain.objection_terms import ObjectionStatus
from service.domain.objections import close_objection
from tests.factories import make_evaluation
from tests.service.api.world import World
from tests.service.api.world import add_objection
from tests.service.web.conftest import post_form
from tests.service.web.conftest import sign_in

RATED = {"work_result_rating": "sesuai_ekspektasi", "behavior_rating": "sesuai_ekspektasi"}


def _page(client: object, world: World, period: str = "2025") -> str:
    answer = client.get(f"/units/{world.units['A']}/rater-calibration?period={period}")  # type: ignore[attr-defined]
    assert answer.status_code == 200
    return html.unescape(answer.get_data(as_text=True))


def test_the_team_page_says_which_periods_are_closed_before_the_form_is_sent(
    app: Flask, world: World, session: Session
) -> None:
    """A closing of the parent unit A covers the supervisor's reports in A1: the team page
    names it above the evaluation form while it stands, and not before or after."""
    hr, supervisor = app.test_client(), app.test_client()
    sign_in(hr, "hr")
    sign_in(supervisor, "supervisor")
    locked = "penilaiannya untuk 2025 terkunci"

    def team() -> str:
        answer = supervisor.get("/team")
        assert answer.status_code == 200
        return html.unescape(answer.get_data(as_text=True))

    assert locked not in team()
    base = f"/units/{world.units['A']}/calibration-closings"
    post_form(hr, base, {"period": "2025", "note": ""}, page="/")
    page = team()
    assert locked in page and "telah ditutup oleh user-hr" in page
    assert 'class="message message-error"' not in page
    closing = post_form(
        hr, f"{base}/1/reopen", {"reason": "Salah unit", "period": "2025"}, page="/"
    )
    assert closing.status_code == 303  # type: ignore[attr-defined]
    assert locked not in team()


def test_hr_closes_and_reopens_and_the_team_form_is_refused_meanwhile(
    app: Flask, world: World, session: Session
) -> None:
    hr, supervisor = app.test_client(), app.test_client()
    sign_in(hr, "hr")
    sign_in(supervisor, "supervisor")
    assert "Tutup kalibrasi" in _page(hr, world)  # the page speaks Indonesian by default
    base = f"/units/{world.units['A']}/calibration-closings"
    closed = post_form(hr, base, {"period": "2025", "note": "Rapat 3 Feb"}, page="/")
    assert closed.status_code == 303  # type: ignore[attr-defined]
    page = _page(hr, world)
    assert "Ditutup oleh user-hr" in page and "Rapat 3 Feb" in page
    assert "Buka kembali kalibrasi" in page

    form = {"employee_id": str(world.employees["E1"]), "period": "2025", **RATED}
    refused = post_form(supervisor, "/team/evaluation", form, page="/team")
    assert refused.status_code == 409  # type: ignore[attr-defined]
    body = html.unescape(refused.get_data(as_text=True))  # type: ignore[attr-defined]
    assert "telah ditutup oleh user-hr" in body and "sudah memiliki penilaian" not in body
    assert session.scalars(select(Evaluation)).all() == []

    closing = session.scalars(select(CalibrationClosing)).one()
    reopen = f"{base}/{closing.id}/reopen"
    blank = post_form(hr, reopen, {"reason": "  ", "period": "2025"}, page="/")
    assert blank.status_code == 303  # type: ignore[attr-defined]
    assert "Berikan alasan membuka kembali" in _page(hr, world)
    session.expire_all()
    assert session.get(CalibrationClosing, closing.id).reopened_at is None  # type: ignore[union-attr]
    done = post_form(hr, reopen, {"reason": "Salah input", "period": "2025"}, page="/")
    assert done.status_code == 303  # type: ignore[attr-defined]
    assert "dibuka kembali pada" in _page(hr, world) and "Salah input" in _page(hr, world)
    accepted = post_form(supervisor, "/team/evaluation", form, page="/team")
    assert accepted.status_code == 303  # type: ignore[attr-defined]


def test_an_upheld_objection_after_closing_shows_as_a_change(
    app: Flask, world: World, session: Session
) -> None:
    objection_id = add_objection(session, world.employees["E1"], "2025")  # baik, no rater
    session.commit()
    hr = app.test_client()
    sign_in(hr, "hr")
    base = f"/units/{world.units['A']}/calibration-closings"
    post_form(hr, base, {"period": "2025"}, page="/")
    decider = Actor(world.users["hr"], "user-hr", Role.HR, world.employees["H"], world.units["A"])
    close_objection(
        session,
        decider,
        objection_id,
        1,
        ObjectionStatus.UPHELD,
        note="Bukti sah",
        ratings={
            "work_result_rating": "di_atas_ekspektasi",
            "behavior_rating": "di_atas_ekspektasi",
        },
    )
    session.commit()
    page = _page(hr, world)
    assert "Perubahan setelah ditutup (keberatan yang diterima):" in page
    assert f"/employees/{world.employees['E1']}" in page
    assert "(-1)" in page and "(+1)" in page  # baik down, sangat baik up


def test_a_bad_period_in_the_form_closes_nothing_and_says_why(
    app: Flask, world: World, session: Session
) -> None:
    hr = app.test_client()
    sign_in(hr, "hr")
    base = f"/units/{world.units['A']}/calibration-closings"
    for period in ("abc", "2025-13", "2100", ""):
        answer = post_form(hr, base, {"period": period}, page="/")
        assert answer.status_code == 303  # type: ignore[attr-defined]
        shown = hr.get(answer.headers["Location"])  # type: ignore[attr-defined]
        assert shown.status_code == 200
        assert "Kalibrasi tidak ditutup" in html.unescape(shown.get_data(as_text=True))
    assert (
        post_form(
            hr, "/units/999999/calibration-closings", {"period": "2025"}, page="/"
        ).status_code
        == 404
    )  # type: ignore[attr-defined]
    assert session.scalars(select(CalibrationClosing)).all() == []


def test_the_page_shows_the_distribution_as_first_given_and_since_when_it_is_kept(
    app: Flask, world: World, session: Session
) -> None:
    """The first-given column beside at closing and now, the day versions began to be
    kept, and how many evaluations were changed before it (their first is not known)."""
    earlier = make_evaluation(session, employee_id=world.employees["E2"], period="2025")
    session.execute(update(Evaluation).where(Evaluation.id == earlier.id).values(version=3))
    session.commit()
    hr = app.test_client()
    sign_in(hr, "hr")
    post_form(hr, f"/units/{world.units['A']}/calibration-closings", {"period": "2025"}, page="/")
    page = _page(hr, world)
    assert "Seperti semula diberikan penilai" in page
    assert "Sejak 7 Desember 2026 setiap koreksi" in page
    assert "1 evaluasi ini diubah sebelum 7 Desember 2026" in page
    assert "tidak disimpan (koreksi menimpanya)" not in page


def test_each_closing_says_whose_evaluations_its_counts_are_of(
    app: Flask, world: World, session: Session
) -> None:
    """A new closing counts the people kept at closing; one made before they were kept
    counts the units' people today: the page says which, in Indonesian and in English."""
    old = {"size": 0, "counts": {}, "grade": None, "warnings": []}
    session.add(CalibrationClosing(unit_id=world.units["A1"], period="2025", snapshot=old))
    session.commit()
    hr = app.test_client()
    sign_in(hr, "hr")
    post_form(hr, f"/units/{world.units['A']}/calibration-closings", {"period": "2025"}, page="/")
    kept = "saat ditutup: mutasi sesudahnya tidak mengubah keduanya"
    today = "hari ini (penutupan ini dibuat sebelum"
    page = _page(hr, world)
    assert kept in page and today not in page
    answer = hr.get(f"/units/{world.units['A1']}/rater-calibration?period=2025")
    assert today in html.unescape(answer.get_data(as_text=True))
    hr.set_cookie("kinerja_lang", "en")
    assert "at closing: a transfer since changes neither" in _page(hr, world)
