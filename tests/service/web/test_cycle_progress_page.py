"""The cycle progress page (/units/<id>/progress): hr reads its unit's counts in Indonesian,
reaches it from the menu, and a bad year is refused with a message."""

from __future__ import annotations

from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from service.db.models import Skp
from service.domain.entities import SkpStatus
from tests.factories import make_evaluation
from tests.service.api.world import World
from tests.service.api.world import add_skp
from tests.service.web.conftest import sign_in


def _hr(app: object) -> FlaskClient:
    client = app.test_client()  # type: ignore[attr-defined]
    assert sign_in(client, "hr").status_code in (302, 303)
    return client


def test_hr_sees_the_years_counts(app: object, world: World, session: Session) -> None:
    skp = session.get(Skp, add_skp(session, world, "E1", 2025, "S"))
    assert skp is not None
    skp.status = SkpStatus.DITETAPKAN
    make_evaluation(session, employee_id=world.employees["E1"], period="2025-Q2")
    session.commit()
    client = _hr(app)
    home = client.get("/notifications").get_data(as_text=True)
    path = f"/units/{world.units['A']}/progress"
    assert "Pemantauan pengisian" in home and path in home  # the menu links it
    page = client.get(f"{path}?year=2025")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "SKP, realisasi dan evaluasi tahun 2025" in text
    assert "Seluruh " in text and "2025-Q4" in text and "ditetapkan" in text.lower()
    # One approved SKP and one evaluation of 2025-Q2 (E1's): of 5 in all of A, of 4 in A1.
    assert text.count("(20%)") == 2 and text.count("(25%)") == 2


def test_a_bad_year_is_refused(app: object, world: World) -> None:
    answer = _hr(app).get(f"/units/{world.units['A']}/progress?year=20x5")
    assert answer.status_code in (400, 422)
    assert "year" in answer.get_data(as_text=True)
