"""The HR unit page (distribution check, export) and the data team's model page."""

from __future__ import annotations

import html
import io
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.db.models import AuditEntry
from service.db.models import Employee
from service.db.models import ModelJob
from service.db.models import Training
from service.domain.allowance_report import COLUMNS
from service.domain.audit import Actor
from service.domain.distribution import check_distribution
from service.domain.entities import OrganisationGrade
from service.domain.entities import Predikat
from service.domain.entities import Role
from service.domain.exports import EXPORT_COLUMNS
from service.domain.settings import RuleSettings
from service.domain.training_plan import unit_training_plan
from service.domain.unit_grades import set_unit_grade
from tests.factories import make_evaluation
from tests.service.api.test_risk_reviews import scored_quarter  # noqa: F401 (the fixture)
from tests.service.api.world import World
from tests.service.web.conftest import add_gaps
from tests.service.web.conftest import post_form
from tests.service.web.conftest import sign_in

UNIT_ACCESS = [
    ("hr", "A", 200),
    ("hr", "A1", 200),
    ("hr", "B", 404),
    ("admin", "B", 200),
    ("supervisor", "A1", 403),
    ("employee", "A1", 403),
    ("data", "A1", 403),
]


@pytest.mark.parametrize(("role", "unit", "status"), UNIT_ACCESS)
def test_unit_page_follows_the_access_policy(
    client: FlaskClient, world: World, role: str, unit: str, status: int
) -> None:
    sign_in(client, role)
    assert client.get(f"/units/{world.units[unit]}/training-needs").status_code == status


def _graded_unit(session: Session, world: World, grade: OrganisationGrade) -> None:
    """Rate everyone in A1 `baik` for 2025 and give A1 the organisation `grade`."""
    for person in ("S", "E1", "E2", "T"):
        make_evaluation(session, employee_id=world.employees[person], period="2025")
    admin = Actor(world.users["admin"], "user-admin", Role.ADMIN, world.employees["AD"])
    set_unit_grade(session, admin, world.units["A1"], "2025", grade, RuleSettings())
    session.commit()


@pytest.mark.parametrize("grade", [OrganisationGrade.ISTIMEWA, OrganisationGrade.BAIK])
def test_distribution_check_shows_counts_and_the_domain_warnings(
    client: FlaskClient, world: World, session: Session, grade: OrganisationGrade
) -> None:
    _graded_unit(session, world, grade)
    counts = {Predikat.BAIK: 4}
    warnings = check_distribution(grade, counts, RuleSettings())
    sign_in(client, "hr")
    body = client.get(f"/units/{world.units['A1']}/training-needs?period=2025").get_data(
        as_text=True
    )
    assert 'class="num">4</td>' in body  # four employees rated baik
    assert body.count("message message-warning") == len(warnings)
    for warning in warnings:
        assert html.escape(warning.message_id) in body
    assert ("message message-success" in body) == (not warnings)


def test_distribution_without_a_grade_says_so(client: FlaskClient, world: World) -> None:
    sign_in(client, "hr")
    body = client.get(f"/units/{world.units['A1']}/training-needs?period=2025").get_data(
        as_text=True
    )
    assert "Belum ada predikat organisasi" in body


def test_bad_period_is_refused(client: FlaskClient, world: World) -> None:
    sign_in(client, "hr")
    answer = client.get(f"/units/{world.units['A1']}/training-needs?period=kemarin")
    assert answer.status_code == 422


def _exported_workbook(client: FlaskClient, world: World, session: Session) -> Any:
    """HR's download of graded unit A1's 2025 evaluations (the answer, checked 200)."""
    _graded_unit(session, world, OrganisationGrade.BAIK)
    sign_in(client, "hr")
    answer = client.get(f"/units/{world.units['A1']}/evaluations.xlsx?period=2025")
    assert answer.status_code == 200
    return answer


def test_evaluations_export_is_a_workbook_the_import_reads(
    client: FlaskClient, world: World, session: Session
) -> None:
    answer = _exported_workbook(client, world, session)
    assert "attachment" in answer.headers["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(answer.data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == list(EXPORT_COLUMNS)
    assert sorted(r[0] for r in rows[1:]) == sorted(world.nips[p] for p in ("S", "E1", "E2", "T"))


def test_evaluations_export_audits_a_read_of_each_exported_employee(
    client: FlaskClient, world: World, session: Session
) -> None:
    """As GET /units/{id}/evaluations/export: each person's log shows the export."""
    _exported_workbook(client, world, session)
    reads = session.scalars(
        select(AuditEntry.employee_id).where(
            AuditEntry.action == "read", AuditEntry.resource == "evaluation"
        )
    ).all()
    assert sorted(reads) == sorted(world.employees[p] for p in ("S", "E1", "E2", "T"))


def test_export_outside_the_units_is_not_found(client: FlaskClient, world: World) -> None:
    sign_in(client, "hr")
    assert client.get(f"/units/{world.units['B']}/evaluations.xlsx?period=2025").status_code == 404


def test_allowance_export_is_the_apis_file(client: FlaskClient, world: World) -> None:
    sign_in(client, "hr")
    unit = world.units["A"]
    page = client.get(f"/units/{unit}/training-needs?period=2025").get_data(as_text=True)
    assert html.escape(f"/units/{unit}/allowance.csv?period=2025") in page
    for fmt in ("csv", "xlsx"):
        download = client.get(f"/units/{unit}/allowance.{fmt}?period=2025")
        assert download.status_code == 200
        assert f"allowance-unit{unit}-2025.{fmt}" in download.headers["Content-Disposition"]
        api = client.get(
            f"/api/v1/units/{unit}/allowance/export?period=2025&format={fmt}",
            headers=world.headers("hr"),
        )
        assert download.mimetype == api.mimetype
        if fmt == "csv":  # the same lines as the API's file (XLSX differs in its timestamps)
            assert download.data == api.data
            header = download.data.decode("utf-8-sig").splitlines()[0].split(",")
            assert tuple(header) == COLUMNS
    assert client.get(f"/units/{world.units['B']}/allowance.csv?period=2025").status_code == 404


@pytest.mark.parametrize(
    ("role", "status"),
    [("data", 200), ("admin", 200), ("supervisor", 403), ("employee", 403), ("hr", 403)],
)
def test_model_page_is_for_the_data_team(
    client: FlaskClient, world: World, role: str, status: int
) -> None:
    sign_in(client, role)
    answer = client.get("/models")
    assert answer.status_code == status
    if status == 200:
        assert "<h1>Model</h1>" in answer.get_data(as_text=True)


def _plan(session: Session, world: World, unit: str) -> object:
    hr = Actor(world.users["hr"], "user-hr", Role.HR, world.employees["H"], world.units["A"])
    plan = unit_training_plan(session, hr, world.units[unit], year=2025)
    session.rollback()
    return plan


def test_training_needs_show_the_gaps_programmes_and_jp(
    client: FlaskClient, world: World, session: Session
) -> None:
    add_gaps(session, world)
    plan = _plan(session, world, "A1")
    sign_in(client, "hr")
    body = client.get(f"/units/{world.units['A1']}/training-needs?period=2025").get_data(
        as_text=True
    )
    assert plan.needs and plan.programs
    assert 'Kerja Sama <span class="muted">M.02</span>' in body
    assert body.count('class="heat-') == 2 * len(plan.needs)
    for program in plan.programs:
        assert html.escape(program.title) in body
        for person in program.participants:
            assert f'/employees/{person.employee_id}">{person.name}</a>' in body
    assert body.count("<progress") == 1
    for person in plan.below_minimum:
        assert f'/employees/{person.employee_id}">' in body


def test_long_lists_are_paginated(
    client: FlaskClient, app: Flask, world: World, session: Session
) -> None:
    app.config["WEB_PAGE_SIZE"] = 2
    plan = _plan(session, world, "A")
    assert len(plan.below_minimum) > 2
    sign_in(client, "hr")
    first = client.get(f"/units/{world.units['A']}/training-needs?period=2025")
    body = first.get_data(as_text=True)
    assert 'rel="next"' in body and 'rel="prev"' not in body
    rows = [p for p in plan.below_minimum if f'/employees/{p.employee_id}">' in body]
    assert len(rows) == 2
    second = client.get(
        f"/units/{world.units['A']}/training-needs?period=2025&below_offset=2"
    ).get_data(as_text=True)
    assert 'rel="prev"' in second
    assert f'/employees/{plan.below_minimum[2].employee_id}">' in second


def test_training_plan_downloads_as_a_workbook(
    client: FlaskClient, world: World, session: Session
) -> None:
    add_gaps(session, world)
    sign_in(client, "hr")
    answer = client.get(f"/units/{world.units['A1']}/training-needs.xlsx?period=2025")
    assert answer.status_code == 200
    book = load_workbook(io.BytesIO(answer.data))
    plan = _plan(session, world, "A1")
    assert book.worksheets[0].max_row == 1 + len(plan.needs)
    participants = sum(len(p.participants) for p in plan.programs)
    assert book.worksheets[1].max_row == 1 + participants


def test_training_plan_workbook_runs_no_name_as_a_formula(
    client: FlaskClient, world: World, session: Session
) -> None:
    add_gaps(session, world)
    for person in ("E1", "E2", "S", "T"):
        session.get(Employee, world.employees[person]).name = '=HYPERLINK("http://x.test","a")'
    session.commit()
    sign_in(client, "hr")
    answer = client.get(f"/units/{world.units['A1']}/training-needs.xlsx?period=2025")
    book = load_workbook(io.BytesIO(answer.data))
    names = [
        cell
        for sheet in book.worksheets[1:]
        for row in sheet.iter_rows(min_row=2)
        for cell in row
        if isinstance(cell.value, str) and "HYPERLINK" in cell.value
    ]
    assert names, "the participants and the people below 20 JP are listed"
    assert {(cell.data_type, cell.value[0]) for cell in names} == {("s", "'")}


def test_plan_follows_the_budget_and_seats_asked_for(
    client: FlaskClient, world: World, session: Session
) -> None:
    add_gaps(session, world)
    sign_in(client, "hr")
    path = f"/units/{world.units['A1']}/training-needs?period=2025"
    assert "<details><summary>" in client.get(path).get_data(as_text=True)
    nothing = client.get(f"{path}&jp_budget=0").get_data(as_text=True)
    assert "<details><summary>" not in nothing  # no programme fits a budget of 0 JP
    assert client.get(f"{path}&max_seats=0").status_code == 422


def test_retrain_queues_a_job_and_the_page_follows_it(
    client: FlaskClient, app: Flask, world: World, session: Session
) -> None:
    app.config["RISK_JOBS_SPAWN"] = False  # the job waits for `kinerja retrain-schedule`
    sign_in(client, "data")
    answer = post_form(client, "/models/retrain", {}, page="/models")
    assert answer.status_code == 303
    job = session.scalars(select(ModelJob)).one()
    assert (job.status, job.requested_by_user_id) == ("queued", world.users["data"])
    assert answer.headers["Location"].endswith(f"/models?job={job.id}#job")
    page = client.get(f"/models?job={job.id}").get_data(as_text=True)
    assert 'data-status="queued"' in page and "jobs.js" in page
    status = client.get(f"/models/jobs/{job.id}")
    assert status.get_json()["status"] == "queued"
    assert client.get("/models/jobs/999999").status_code == 404


def test_retrain_is_for_the_data_team(
    client: FlaskClient, app: Flask, world: World, session: Session
) -> None:
    app.config["RISK_JOBS_SPAWN"] = False
    sign_in(client, "hr")
    assert post_form(client, "/models/retrain", {}, page="/login").status_code == 403
    assert session.scalars(select(ModelJob)).all() == []


def test_model_page_says_when_no_version_is_registered(client: FlaskClient, world: World) -> None:
    sign_in(client, "data")
    body = client.get("/models").get_data(as_text=True)
    assert "cadangan berbasis aturan" in body  # the fallback answers
    assert "Registri model tidak dapat dibaca" in body  # the test's tracking store is empty


def test_allowance_csv_names_its_charset_once(client: FlaskClient, world: World) -> None:
    """The CSV download said `text/csv; charset=utf-8; charset=utf-8` (the charset given in
    the mimetype and added again by Flask)."""
    sign_in(client, "hr")
    download = client.get(f"/units/{world.units['A']}/allowance.csv?period=2025")
    assert download.headers["Content-Type"] == "text/csv; charset=utf-8"


def test_proposed_programmes_are_named_in_english_too(
    client: FlaskClient, world: World, session: Session
) -> None:
    """In English the proposed programmes kept their Indonesian titles ('Pelatihan ...'),
    while the employee page names the same programmes in English."""
    add_gaps(session, world)
    plan = _plan(session, world, "A1")
    english = {t.code: t.title_en for t in session.scalars(select(Training)) if t.title_en}
    client.set_cookie("kinerja_lang", "en")
    sign_in(client, "hr")
    body = client.get(f"/units/{world.units['A1']}/training-needs?period=2025")
    page = body.get_data(as_text=True)
    named = [p for p in plan.programs if english.get(p.training_code, p.title) != p.title]
    assert named
    for program in named:
        assert html.escape(english[program.training_code]) in page
        assert html.escape(program.title) not in page


def test_model_page_shows_how_past_flags_turned_out(
    client: FlaskClient,
    world: World,
    scored_quarter: None,  # noqa: F811 (the fixture)
) -> None:
    """The track record's period as a row: of 5 evaluated flagged 4 poor, of 5 unflagged 1,
    precision 0,8 in Indonesian; the two disagreed flags are too few for the data team."""
    sign_in(client, "data")
    body = client.get("/models").get_data(as_text=True)
    assert "Bagaimana tanda risiko yang lalu terbukti" in body
    row = body[body.index("2025-Q1 → 2025-Q2") :].split("</tr>")[0]
    cells = [html.unescape(c.split("</td>")[0]).strip() for c in row.split("<td>")[1:]]
    assert cells == ["4 / 5", "1 / 5", "0,8", "0,8", "0,35 / 0,5", ""]


def test_model_page_says_when_no_period_is_scored(client: FlaskClient, world: World) -> None:
    sign_in(client, "admin")
    body = client.get("/models").get_data(as_text=True)
    assert "Belum ada periode yang dinilai (kinerja score)." in body
