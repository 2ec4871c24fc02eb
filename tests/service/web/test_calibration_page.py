"""The rater calibration page: hr sees its unit's raters with their marks."""

from __future__ import annotations

from sqlalchemy.orm import Session

from service.domain.entities import Rating
from tests.factories import make_employee
from tests.factories import make_evaluation
from tests.service.api.world import World
from tests.service.web.conftest import sign_in


def test_hr_sees_a_lenient_rater(app: object, world: World, session: Session) -> None:
    unit, position = world.units["A1"], world.position_id
    for name, rating, count in (("Pak Longgar", Rating.DI_ATAS_EKSPEKTASI, 8),
                                ("Bu Biasa", Rating.SESUAI_EKSPEKTASI, 12),
                                ("Pak Biasa", Rating.SESUAI_EKSPEKTASI, 12)):  # fmt: skip
        rater = make_employee(session, unit_id=unit, position_id=position, name=name)
        for _ in range(count):
            person = make_employee(session, unit_id=unit, position_id=position)
            make_evaluation(
                session, employee_id=person.id, rater_id=rater.id, period="2025",
                work_result_rating=rating, behavior_rating=rating,
            )  # fmt: skip
    session.commit()
    client = app.test_client()  # type: ignore[attr-defined]
    assert sign_in(client, "hr").status_code in (302, 303)
    needs = client.get(f"/units/{world.units['A']}/training-needs?period=2025")
    assert f"/units/{world.units['A']}/rater-calibration" in needs.get_data(as_text=True)
    page = client.get(f"/units/{world.units['A']}/rater-calibration?period=2025")
    assert page.status_code == 200
    rows = [
        line for line in page.get_data(as_text=True).splitlines() if '<th scope="row">' in line
    ]
    assert "Pak Longgar" in rows[0] and "longgar" in page.get_data(as_text=True)
    assert len(rows) == 3


def test_a_year_without_yearly_evaluations_points_to_its_quarters(
    app: object, world: World, session: Session
) -> None:
    """The page (and the training-needs page's link) opens on last year; an agency that rates
    per quarter, as the demo's does, saw only 'no rater rated at least 5 people', with
    nothing saying that the year's quarters hold the evaluations."""
    unit, position = world.units["A1"], world.position_id
    rater = make_employee(session, unit_id=unit, position_id=position, name="Bu Triwulan")
    for _ in range(6):
        person = make_employee(session, unit_id=unit, position_id=position)
        make_evaluation(session, employee_id=person.id, rater_id=rater.id, period="2025-Q4")
    session.commit()
    client = app.test_client()  # type: ignore[attr-defined]
    sign_in(client, "hr")
    base = f"/units/{world.units['A']}/rater-calibration"
    year = client.get(f"{base}?period=2025").get_data(as_text=True)
    assert "Bu Triwulan" not in year
    for quarter in ("2025-Q1", "2025-Q2", "2025-Q3", "2025-Q4"):
        assert f'href="{base}?period={quarter}"' in year
    quarter = client.get(f"{base}?period=2025-Q4").get_data(as_text=True)
    assert "Bu Triwulan" in quarter and "?period=2025-Q1" not in quarter
