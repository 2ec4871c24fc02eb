"""Where an objection may no longer be filed, the pages say why instead of offering the form:
the employee page links 'Ajukan keberatan' only while filing would be accepted (the domain's
`filing_standing`), names the closed window's date or the objection already filed (its status,
linking to it), and the form names its deadline. S rates E1; the window is 14 days."""

from __future__ import annotations

import re
from datetime import UTC
from datetime import datetime
from datetime import timedelta

from babel.dates import format_date
from babel.dates import format_time
from babel.dates import get_timezone
from sqlalchemy import select
from sqlalchemy import update
from sqlalchemy.orm import Session

from service.db.models import Evaluation
from service.db.models import Objection
from tests.service.api.world import World
from tests.service.api.world import add_objection
from tests.service.web.conftest import post_form
from tests.service.web.test_objection_pages import REASON
from tests.service.web.test_objection_pages import _evaluation
from tests.service.web.test_objection_pages import _signed_in

JAKARTA = get_timezone("Asia/Jakarta")


def _changed_at(session: Session, evaluation_id: int, moment: datetime) -> None:
    session.execute(
        update(Evaluation)
        .where(Evaluation.id == evaluation_id)
        .values(created_at=moment, updated_at=moment)
    )
    session.commit()


def test_a_closed_window_shows_its_date_instead_of_the_link(
    app: object, world: World, session: Session
) -> None:
    """The link stayed after the window closed and the form then refused with 'no longer'."""
    evaluation_id = _evaluation(session, world)
    _changed_at(session, evaluation_id, datetime(2026, 1, 5, 3, 0, tzinfo=UTC))  # +14 days
    client = _signed_in(app, "employee")
    form_path = f"/evaluations/{evaluation_id}/objection"

    page = client.get(f"/employees/{world.employees['E1']}").get_data(as_text=True)
    assert form_path not in page
    assert "Masa keberatan berakhir 19 Jan 2026" in page

    form = client.get(form_path).get_data(as_text=True)
    assert 'name="reason"' not in form
    assert "Masa keberatan atas evaluasi ini berakhir 19 Jan 2026, 10.00" in form

    late = post_form(client, form_path, {"reason": REASON}, page="/objections")
    text = late.get_data(as_text=True)
    assert late.status_code == 409 and 'role="alert"' in text
    assert "Keberatan tidak diajukan." in text and "berakhir 19 Jan 2026, 10.00" in text
    assert session.scalar(select(Objection.id)) is None


def test_a_filed_objection_shows_its_status_instead_of_the_link(
    app: object, world: World, session: Session
) -> None:
    evaluation_id = _evaluation(session, world)
    client = _signed_in(app, "employee")
    form_path = f"/evaluations/{evaluation_id}/objection"
    assert post_form(client, form_path, {"reason": REASON}, page="/objections").status_code == 303
    objection_id = session.scalar(select(Objection.id))
    link = f'href="/objections/{objection_id}"'

    page = client.get(f"/employees/{world.employees['E1']}").get_data(as_text=True)
    assert form_path not in page
    assert link in page and "Keberatan sudah diajukan: menunggu keputusan" in page

    form = client.get(form_path).get_data(as_text=True)
    assert 'name="reason"' not in form
    assert link in form and "Keberatan sudah diajukan: menunggu keputusan" in form


def test_the_form_names_its_deadline(app: object, world: World, session: Session) -> None:
    evaluation_id = _evaluation(session, world)
    changed = datetime.now(UTC).replace(microsecond=0) - timedelta(days=2)
    _changed_at(session, evaluation_id, changed)
    closes = (changed + timedelta(days=14)).astimezone(JAKARTA)
    deadline = f"{format_date(closes, locale='id')}, {format_time(closes, 'short', locale='id')}"
    client = _signed_in(app, "employee")
    form_path = f"/evaluations/{evaluation_id}/objection"

    page = client.get(f"/employees/{world.employees['E1']}").get_data(as_text=True)
    assert f'href="{form_path}"' in page and "Ajukan keberatan" in page

    form = client.get(form_path).get_data(as_text=True)
    assert 'name="reason"' in form
    assert f"Anda dapat mengajukan keberatan sampai {deadline}" in form


def test_only_the_evaluated_employee_is_offered_the_form(
    app: object, world: World, session: Session
) -> None:
    """The rater sees the evaluation on E1's page, but no link to object to it."""
    evaluation_id = _evaluation(session, world)
    rater = _signed_in(app, "supervisor")
    page = rater.get(f"/employees/{world.employees['E1']}").get_data(as_text=True)
    assert "2025" in page and f"/evaluations/{evaluation_id}/objection" not in page
    form = rater.get(f"/evaluations/{evaluation_id}/objection").get_data(as_text=True)
    assert 'name="reason"' not in form


def test_the_link_to_a_filed_objection_lands_on_it_past_the_first_page(
    app: object, world: World, session: Session
) -> None:
    """The list is paged newest first (20 a page): the link to an older objection led to
    page 1 of /objections, where it was not. It lands on the objection's own page, with its
    form; a decision there comes back to it."""
    evaluation_id = _evaluation(session, world)
    client = _signed_in(app, "employee")
    form_path = f"/evaluations/{evaluation_id}/objection"
    assert post_form(client, form_path, {"reason": REASON}, page="/objections").status_code == 303
    objection_id = session.scalar(select(Objection.id))
    for year in range(2000, 2021):  # 21 newer objections of E1 fill page 1
        add_objection(session, world.employees["E1"], str(year))
    session.commit()
    assert f'id="objection-{objection_id}"' not in client.get("/objections").get_data(as_text=True)

    page = client.get(f"/employees/{world.employees['E1']}").get_data(as_text=True)
    link = re.search(r'href="([^"]+)">Keberatan sudah diajukan', page)
    assert link is not None
    landed = client.get(link.group(1))
    text = landed.get_data(as_text=True)
    assert landed.status_code == 200 and f'id="objection-{objection_id}"' in text
    assert REASON in text and 'value="withdrawn"' in text

    withdraw = {"status": "withdrawn", "version": "1"}
    done = post_form(client, f"/objections/{objection_id}", withdraw, page="/objections")
    assert done.status_code == 303 and done.headers["Location"] == f"/objections/{objection_id}"
    assert client.get("/objections/999999").status_code == 404
