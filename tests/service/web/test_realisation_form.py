"""The realisation form of the employee page: offered to the plan's employee and rater with
the day each period stays open, replaced by the closed state once the window has closed,
open again after hr reopens it; in Indonesian. And the late SKP column of the progress page."""

from __future__ import annotations

import re
from datetime import UTC
from datetime import datetime
from datetime import timedelta

from babel.dates import format_date
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.db.models import Realisation
from service.db.models import Skp
from service.db.models import WindowReopening
from service.domain.entities import SkpStatus
from service.domain.entry_windows import WindowSettings
from service.domain.entry_windows import today_in_western_indonesia
from service.domain.periods import today_in_indonesia
from tests.factories import make_evaluation
from tests.service.api.world import World
from tests.service.api.world import add_indicator
from tests.service.api.world import add_skp
from tests.service.web.conftest import csrf_token
from tests.service.web.conftest import post_form
from tests.service.web.conftest import sign_in

THIS_YEAR = today_in_indonesia().year
LAST_YEAR = THIS_YEAR - 1


def _plan(session: Session, world: World, year: int) -> tuple[int, int]:
    skp_id = add_skp(session, world, "E1", year, "S")
    session.get(Skp, skp_id).status = SkpStatus.DITETAPKAN  # type: ignore[union-attr]
    indicator = add_indicator(session, skp_id, rhk="Layanan perizinan").id
    session.commit()
    return skp_id, indicator


def _page(client: FlaskClient, world: World) -> str:
    return client.get(f"/employees/{world.employees['E1']}").get_data(as_text=True)


def test_the_form_says_until_when_each_period_is_open(
    client: FlaskClient, world: World, session: Session
) -> None:
    skp_id, indicator = _plan(session, world, THIS_YEAR)
    sign_in(client, "employee")
    body = _page(client, world)
    assert f'action="/skps/{skp_id}/realisations"' in body
    assert "sampai 15 hari setelah periode itu berakhir" in body
    month = today_in_indonesia().strftime("%Y-%m")
    assert f'<option value="{month}">{month} (dibuka sampai ' in body
    form = {"indicator_id": str(indicator), "period": month, "value": "7"}
    sent = post_form(client, f"/skps/{skp_id}/realisations", form)
    assert sent.status_code == 303  # type: ignore[attr-defined]
    after = _page(client, world)
    assert "Realisasi telah dicatat." in after and ">7<" in after


def test_a_closed_plan_shows_when_it_closed_not_a_form(
    client: FlaskClient, world: World, session: Session
) -> None:
    """Last year's plan: every period closed, the year's own last on 15 January; a forged
    post is refused with the reason and stores nothing. hr's reopening brings the form back
    with its day."""
    skp_id, indicator = _plan(session, world, LAST_YEAR)
    sign_in(client, "employee")
    body = _page(client, world)
    assert f'action="/skps/{skp_id}/realisations"' not in body
    assert (
        f"Realisasi SKP {LAST_YEAR} tidak dapat dicatat lagi: batas waktu periode terakhirnya "
        f"berakhir pada 15 Januari {THIS_YEAR}." in body
    )
    assert "message-error" not in body  # a closed window is a state, not a failure
    forged = {"indicator_id": str(indicator), "period": f"{LAST_YEAR}-03", "value": "2"}
    refused = post_form(client, f"/skps/{skp_id}/realisations", forged)
    assert refused.status_code == 303  # type: ignore[attr-defined]
    assert "Realisasi tidak dicatat" in _page(client, world)
    assert session.scalars(select(Realisation)).all() == []
    until = today_in_western_indonesia() + timedelta(days=4)
    session.add(WindowReopening(employee_id=world.employees["E1"], until=until, reason="Cuti"))
    session.commit()
    reopened = _page(client, world)
    assert f'action="/skps/{skp_id}/realisations"' in reopened
    day = format_date(until, format="long", locale="id")
    assert f"{LAST_YEAR}-03 (dibuka sampai {day})" in reopened


def _refusal(
    client: FlaskClient, world: World, skp_id: int, form: dict[str, str], start: str
) -> str:
    """Post the form (forged where the page offers no such choice): the page's flash, from
    `start` to the end of its element."""
    sent = post_form(client, f"/skps/{skp_id}/realisations", form)
    assert sent.status_code == 303  # type: ignore[attr-defined]
    body = _page(client, world)
    return body[body.index(start) : body.index("<", body.index(start))]


def test_a_refused_realisation_says_why_in_the_users_language(
    client: FlaskClient, world: World, session: Session
) -> None:
    """The window closed, the evidence frozen behind an evaluation, a realisation already
    there: each refusal in Indonesian with its day written in Indonesian, and in English
    for a user who switched; the API keeps its English detail."""
    skp_id, indicator = _plan(session, world, LAST_YEAR)
    sign_in(client, "employee")
    march = {"indicator_id": str(indicator), "period": f"{LAST_YEAR}-03", "value": "2"}
    assert _refusal(client, world, skp_id, march, "Realisasi tidak") == (
        f"Realisasi tidak dicatat. Batas waktu pencatatan realisasi {LAST_YEAR}-03 berakhir "
        f"pada 15 April {LAST_YEAR} (15 hari setelah periode itu berakhir). Bagian "
        "kepegawaian (SDM) dapat membukanya kembali."
    )
    english = client.application.test_client()
    english.post("/language", data={"lang": "en", "next": "/login",
                                    "csrf_token": csrf_token(english, "/login")})  # fmt: skip
    sign_in(english, "employee")
    assert _refusal(english, world, skp_id, march, "The realisation") == (
        f"The realisation was not recorded. The window for realisations of {LAST_YEAR}-03 "
        f"closed on April 15, {LAST_YEAR} (15 days after the period ended). HR can reopen it."
    )
    api = client.post(
        f"/api/v1/skps/{skp_id}/realisations",
        json={"indicator_id": indicator, "period": f"{LAST_YEAR}-03", "value": 2, "evidence": []},
        headers=world.headers("employee"),
    )
    assert api.json["detail"] == (
        f"the window for realisations of {LAST_YEAR}-03 closed on {LAST_YEAR}-04-15 (15 days "
        "after the period ended); hr can reopen it"
    )
    until = today_in_western_indonesia() + timedelta(days=4)
    session.add(WindowReopening(employee_id=world.employees["E1"], until=until, reason="Cuti"))
    make_evaluation(session, employee_id=world.employees["E1"], period=f"{LAST_YEAR}-Q1")
    session.commit()
    assert _refusal(client, world, skp_id, march, "Realisasi tidak") == (
        f"Realisasi tidak dicatat. Evaluasi {LAST_YEAR}-Q1 sudah diberikan, sehingga bukti "
        f"dukungnya dibekukan: realisasi {LAST_YEAR}-03 tidak dapat ditambahkan lagi. "
        "Keberatan atas evaluasi itu dapat membawa bukti baru."
    )
    may = {**march, "period": f"{LAST_YEAR}-05"}
    assert _refusal(client, world, skp_id, may, "Realisasi telah dicatat.")
    assert _refusal(client, world, skp_id, may, "Realisasi tidak") == (
        f"Realisasi tidak dicatat. Indikator ini sudah memiliki realisasi untuk {LAST_YEAR}-05."
    )
    assert _refusal(client, world, skp_id, {**may, "value": ""}, "Realisasi tidak") == (
        "Realisasi tidak dicatat. Isi nilai atau uraian: apa yang telah dicapai."
    )


def test_a_reopening_of_one_period_offers_that_period_only(
    client: FlaskClient, world: World, session: Session
) -> None:
    """hr reopened last year's Q2: the form offers Q2 and its months, nothing else."""
    skp_id, _ = _plan(session, world, LAST_YEAR)
    until = today_in_western_indonesia() + timedelta(days=4)
    session.add(WindowReopening(employee_id=world.employees["E1"], until=until, reason="Cuti",
                                period=f"{LAST_YEAR}-Q2"))  # fmt: skip
    session.commit()
    sign_in(client, "employee")
    body = _page(client, world)
    assert f'action="/skps/{skp_id}/realisations"' in body
    offered = set(re.findall(rf'<option value="({LAST_YEAR}[0-9Q-]*)">', body))
    assert offered == {f"{LAST_YEAR}-{p}" for p in ("04", "05", "06", "Q2")}


def test_only_the_employee_and_the_rater_get_the_form(
    client: FlaskClient, world: World, session: Session
) -> None:
    skp_id, _ = _plan(session, world, THIS_YEAR)
    for role, shown in (("supervisor", True), ("hr", False)):
        viewer = client.application.test_client()
        sign_in(viewer, role)
        assert (f'action="/skps/{skp_id}/realisations"' in _page(viewer, world)) is shown, role


def test_the_progress_page_counts_late_plans(
    client: FlaskClient, world: World, session: Session
) -> None:
    skp = session.get(Skp, add_skp(session, world, "E1", LAST_YEAR, "S"))
    assert skp is not None
    skp.status, skp.approved_at = SkpStatus.DITETAPKAN, datetime(LAST_YEAR, 2, 3, tzinfo=UTC)
    session.commit()
    sign_in(client, "hr")
    page = client.get(f"/units/{world.units['A']}/progress?year={LAST_YEAR}")
    text = page.get_data(as_text=True)
    assert ">SKP terlambat</th>" in text
    assert f"ditetapkan setelah 31 Januari {LAST_YEAR}" in text
    assert text.count("(20%)") == 2  # late and ditetapkan: 1 of the 5 in A's subtree


def test_an_evaluated_period_is_not_offered(
    client: FlaskClient, world: World, session: Session
) -> None:
    """Without a window every started period is offered but one whose evaluation is given
    (its evidence is frozen): January evaluated leaves its quarter open."""
    client.application.extensions["window_settings"] = WindowSettings(grace_days=None)
    _plan(session, world, THIS_YEAR)
    make_evaluation(session, employee_id=world.employees["E1"], period=f"{THIS_YEAR}-01")
    session.commit()
    sign_in(client, "employee")
    body = _page(client, world)
    assert f'<option value="{THIS_YEAR}-Q1">{THIS_YEAR}-Q1</option>' in body
    assert f'<option value="{THIS_YEAR}-01">' not in body
    assert "Realisasi suatu periode dapat dicatat sejak periode itu dimulai." in body
