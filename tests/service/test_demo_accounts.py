"""The demo's logins (`kinerja demo`, service/demo.py) each open what their role promises.

The `employee` login was the busiest supervisor's first report, who in the demo's own agency
(400 people, seed 7) leads seven people: the employee role sees no direct reports (the access
policy's supervisor chain is the supervisor's and hr's), so that login had reports it could
neither see nor reach (no 'Tim saya', /team 403). The employee login is now someone without
reports; the supervisor login keeps the team.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.orm import Session

from service import create_app
from service.api.schemas.skp_templates import SkpTemplateIn
from service.db import make_database
from service.db import session_scope
from service.db.migrate import upgrade
from service.db.models import Employee
from service.db.models import Skp
from service.db.models import SkpTemplate
from service.db.models import Unit
from service.db.models import User
from service.db.reference_data import load_reference_data
from service.demo import DEMO_PASSWORD
from service.demo import DemoAccount
from service.demo import ensure_demo_users
from service.demo import pick_demo_accounts
from service.demo import seed_demo_templates
from service.domain.users import create_user
from tests.factories import make_employee
from tests.factories import make_unit

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
#: A small synthetic agency whose busiest supervisor's first report leads people too.
SEED_EMPLOYEES, SEED = 50, 9


def _reports(session: Session, employee_id: int | None) -> int:
    query = select(func.count(Employee.id)).where(Employee.supervisor_id == employee_id)
    return session.scalar(query) or 0


def test_the_employee_login_leads_nobody(session: Session) -> None:
    unit = make_unit(session)
    boss = make_employee(session, unit_id=unit.id)
    lead = make_employee(session, unit_id=unit.id, supervisor_id=boss.id)  # the first report
    plain = make_employee(session, unit_id=unit.id, supervisor_id=boss.id)
    make_employee(session, unit_id=unit.id, supervisor_id=boss.id)
    make_employee(session, unit_id=unit.id, supervisor_id=lead.id)
    session.commit()

    accounts = {account.role: account for account in pick_demo_accounts(session)}

    assert accounts["supervisor"].employee_id == boss.id
    assert accounts["employee"].employee_id == plain.id


def test_a_second_run_moves_an_employee_login_that_leads_people(session: Session) -> None:
    """A demo database made before keeps its logins: its `employee` login, which leads people,
    moves to the member picked now (a second run of the demo reuses what exists)."""
    unit = make_unit(session)
    boss = make_employee(session, unit_id=unit.id)
    lead = make_employee(session, unit_id=unit.id, supervisor_id=boss.id)
    plain = make_employee(session, unit_id=unit.id, supervisor_id=boss.id)
    make_employee(session, unit_id=unit.id, supervisor_id=lead.id)
    create_user(session, "employee", DEMO_PASSWORD, "employee", employee_id=lead.id)
    create_user(session, "supervisor", DEMO_PASSWORD, "supervisor", employee_id=boss.id)
    session.commit()

    ensure_demo_users(session)
    session.commit()

    logins = dict(session.execute(select(User.username, User.employee_id)).all())
    assert logins["employee"] == plain.id and logins["supervisor"] == boss.id
    assert set(logins) == {"admin", "hr-unit", "supervisor", "employee", "data"}


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[tuple[Flask, list[DemoAccount]]]:
    """A small demo database built as `kinerja demo` builds it, and the app over it."""
    from training.synthetic.config import SyntheticConfig
    from training.synthetic.seed import run_seed

    url = f"sqlite:///{tmp_path / 'kinerja.db'}"
    database = make_database(url)
    upgrade(database.engine)
    with session_scope(database) as session:
        load_reference_data(session)
    run_seed(database.engine, SyntheticConfig(employees=SEED_EMPLOYEES, seed=SEED))
    with session_scope(database) as session:
        accounts = ensure_demo_users(session)
        seed_demo_templates(session)
    database.engine.dispose()
    config = {
        "KINERJA_ENV": "demo",
        "KINERJA_HOME": str(tmp_path),
        "KINERJA_MODELS_DIR": str(tmp_path / "models"),
        "DATABASE_URL": url,
        "MLFLOW_TRACKING_URI": f"sqlite:///{tmp_path / 'mlflow.db'}",
        "RISK_JOBS_SPAWN": False,
    }
    app = create_app(config, use_env=False)
    yield app, accounts
    app.extensions["db"].engine.dispose()


def _signed_in(app: Flask, username: str) -> FlaskClient:
    client = app.test_client()
    match = _CSRF.search(client.get("/login").get_data(as_text=True))
    assert match
    form = {"username": username, "password": DEMO_PASSWORD, "csrf_token": match.group(1)}
    assert client.post("/login", data=form).status_code in (302, 303)
    return client


def _menu(client: FlaskClient) -> str:
    page = client.get("/", follow_redirects=True).get_data(as_text=True)
    return page[page.index('<nav class="site-nav"') : page.index("</nav>")]


def test_each_demo_login_opens_what_its_role_promises(
    demo: tuple[Flask, list[DemoAccount]],
) -> None:
    app, accounts = demo
    logins = {account.username: account for account in accounts}
    assert list(logins) == ["admin", "hr-unit", "supervisor", "employee", "data"]
    with session_scope(app.extensions["db"]) as session:
        assert _reports(session, logins["employee"].employee_id) == 0
        assert _reports(session, logins["supervisor"].employee_id) > 0

    supervisor = _signed_in(app, "supervisor")
    assert "Tim saya" in _menu(supervisor)
    assert supervisor.get("/team").status_code == 200

    employee = _signed_in(app, "employee")
    menu = _menu(employee)
    assert "Pengembangan saya" in menu and "Tim saya" not in menu
    own = f"/employees/{logins['employee'].employee_id}"
    assert employee.get(own).status_code == 200

    assert "Kebutuhan pelatihan" in _menu(_signed_in(app, "hr-unit"))
    admin = _menu(_signed_in(app, "admin"))
    assert "Ikhtisar" in admin and "Model" in admin
    assert "Model" in _menu(_signed_in(app, "data"))


def test_the_demo_drafts_skps_from_its_templates(
    demo: tuple[Flask, list[DemoAccount]],
) -> None:
    """The demo seeded no SKP template, so the unit page's drafting form drafted nothing
    (0 drafts, everyone 'has no template'). Its most held positions have one now, valid as
    the API takes them; hr at the root drafts a year's SKPs from them, and a second seeding
    writes none again."""
    app, _accounts = demo
    with session_scope(app.extensions["db"]) as session:
        templates = session.scalars(select(SkpTemplate)).all()
        assert templates
        for template in templates:
            body = {"model": template.model, "approach": template.approach}
            SkpTemplateIn.model_validate(body | {"rhks": template.rhks})
            assert template.rhks[0]["description"].startswith("Ter")  # Indonesian RHK
        assert seed_demo_templates(session) == 0
        root = session.scalar(select(Unit.id).where(Unit.parent_id.is_(None)).order_by(Unit.id))

    hr = _signed_in(app, "hr-unit")
    page = hr.get(f"/units/{root}/training-needs").get_data(as_text=True)
    token = _CSRF.search(page)
    assert token and "skp-drafting" in page
    form = {"year": "2026", "include_subunits": "on", "csrf_token": token.group(1)}
    assert hr.post(f"/units/{root}/skps", data=form).status_code == 303
    with session_scope(app.extensions["db"]) as session:
        drafted = session.scalar(select(func.count(Skp.id)).where(Skp.year == 2026)) or 0
    assert drafted > 0
