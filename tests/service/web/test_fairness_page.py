"""The fairness report page: hr sees the marked group and the rater who rates women lower,
in Indonesian and English; the data team sees the groups without any rater's name."""

from __future__ import annotations

from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from service.domain.entities import Gender
from service.domain.entities import Rating
from tests.factories import make_employee
from tests.factories import make_evaluation
from tests.service.api.world import World
from tests.service.web.conftest import sign_in

A, S, B = Rating.DI_ATAS_EKSPEKTASI, Rating.SESUAI_EKSPEKTASI, Rating.DI_BAWAH_EKSPEKTASI


def _rated(session: Session, world: World) -> None:
    """Four raters rating both genders alike, and Pak Keras rating women below, men above."""
    unit, position = world.units["A1"], world.position_id
    alike = [(g, r) for g in (Gender.L, Gender.P) for r in (S, A, B, S)]
    for name, people in [(f"Bu Adil {n}", alike) for n in range(4)] + [
        ("Pak Keras", [(Gender.L, A)] * 6 + [(Gender.P, B)] * 6)
    ]:
        rater = make_employee(session, unit_id=unit, position_id=position, name=name)
        for gender, rating in people:
            person = make_employee(session, unit_id=unit, position_id=position, gender=gender)
            make_evaluation(
                session, employee_id=person.id, rater_id=rater.id, period="2025",
                work_result_rating=rating, behavior_rating=rating,
            )  # fmt: skip
    session.commit()


def _page(client: FlaskClient, world: World, language: str) -> str:
    client.set_cookie("kinerja_lang", language)
    page = client.get(f"/units/{world.units['A']}/fairness?period=2025")
    assert page.status_code == 200
    return page.get_data(as_text=True)


def test_hr_sees_the_marked_group_and_the_rater(
    client: FlaskClient, world: World, session: Session
) -> None:
    _rated(session, world)
    sign_in(client, "hr")
    for path in ("training-needs", "rater-calibration"):
        linking = client.get(f"/units/{world.units['A']}/{path}?period=2025")
        assert f"/units/{world.units['A']}/fairness?period=2025" in linking.get_data(as_text=True)
    english = _page(client, world, "en")
    assert "Pak Keras" in english and "rates women lower" in english
    assert "not proof of bias" in english and "marked" in english
    indonesian = _page(client, world, "id")
    assert "Pak Keras" in indonesian and "menilai perempuan lebih rendah" in indonesian
    assert "bukan bukti bias" in indonesian


def test_the_data_team_sees_no_rater(client: FlaskClient, world: World, session: Session) -> None:
    _rated(session, world)
    sign_in(client, "data")
    assert f"/units/{world.units['A']}/fairness" in client.get("/models").get_data(as_text=True)
    page = _page(client, world, "en")
    assert "Pak Keras" not in page and "Bu Adil" not in page
    assert "women" in page and "Raters who rate one gender lower" not in page
