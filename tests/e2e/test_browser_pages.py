"""Every page in a real browser: sign in per role, the evaluation with its live predikat,
the language switch, a refused stranger, a phone screen and the keyboard."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select

from service.auth import policy
from service.db import make_database
from service.db.models import Employee
from service.db.models import Evaluation
from service.domain.audit import Actor
from service.domain.entities import Rating
from service.domain.entities import Role
from service.domain.predikat import predikat_for
from tests.e2e.conftest import Site
from tests.e2e.conftest import screenshot
from tests.e2e.conftest import sign_in
from tests.service.serving.samples import shared_sample
from training.sample import Sample

pytestmark = pytest.mark.slow

HOMES = {
    "supervisor": "/team",
    "employee": "/employees/",
    "hr": "/training-needs",
    "data": "/models",
    "admin": "/",
}


@pytest.mark.parametrize("role", sorted(HOMES))
def test_each_role_signs_in_to_its_page(page: Any, site: Site, role: str) -> None:
    sign_in(page, site, role)
    assert HOMES[role] in page.url
    assert page.locator("h1").count() == 1
    assert page.locator("main#main").count() == 1
    screenshot(page, f"{role}-home")
    page.get_by_role("button", name="Keluar").click()
    page.wait_for_url("**/login")
    page.goto("/")
    assert "/login" in page.url


def _first_member(page: Any) -> Any:
    member = page.locator("li.person").first
    member.get_by_role("link", name="Nilai satu periode").click()
    page.wait_for_load_state()
    return page.locator("form.evaluation-form")


def test_supervisor_evaluates_with_a_live_predikat(page: Any, site: Site) -> None:
    sign_in(page, site, "supervisor")
    form = _first_member(page)
    preview = form.locator("output.predikat-preview")
    assert preview.inner_text() == "pilih kedua penilaian"
    work, behavior = Rating.DI_BAWAH_EKSPEKTASI, Rating.SESUAI_EKSPEKTASI
    expected = predikat_for(work, behavior)
    form.locator('[data-role="work"]').select_option(work.value)
    form.locator('[data-role="behavior"]').select_option(behavior.value)
    assert preview.get_attribute("data-predikat") == expected.value
    form.locator('select[name="value_kolaboratif"]').select_option(behavior.value)
    form.locator('input[name="period"]').fill("2026-Q1")
    with page.expect_navigation():
        form.get_by_role("button", name="Simpan penilaian").click()
    screenshot(page, "supervisor-team-saved")
    message = page.locator(".message-success")
    assert "2026-Q1" in message.inner_text()
    assert expected_label(page, expected.value) in message.inner_text()
    database = make_database(site.database_url)
    with database.sessions() as session:
        stored = session.scalars(select(Evaluation).where(Evaluation.period == "2026-Q1")).one()
        assert stored.predikat == expected
    database.engine.dispose()


def test_a_refused_evaluation_comes_back_in_view(page: Any, site: Site) -> None:
    """The evaluation form sits below the whole team: a refused one came back at the top of
    the page with its alert thousands of pixels below, out of sight."""
    sign_in(page, site, "supervisor")
    form = _first_member(page)
    form.locator('[data-role="work"]').select_option(Rating.SESUAI_EKSPEKTASI.value)
    form.locator('[data-role="behavior"]').select_option(Rating.SESUAI_EKSPEKTASI.value)
    form.locator('input[name="period"]').fill("2099-Q1")  # not started: refused
    with page.expect_navigation():
        form.get_by_role("button", name="Simpan penilaian").click()
    alert = page.locator("form.evaluation-form .message-error")
    box, height = alert.bounding_box(), page.viewport_size["height"]
    assert box is not None and 0 <= box["y"] and box["y"] + box["height"] <= height, box
    assert "2099-Q1" in page.locator("#e-period-error").inner_text()


def expected_label(page: Any, predikat: str) -> str:
    """The page's own label of `predikat` (from the embedded matrix data)."""
    cells = page.evaluate("JSON.parse(document.getElementById('predikat-matrix').textContent)")
    return next(cell["label"] for cell in cells.values() if cell["value"] == predikat)


def test_language_switch_persists(page: Any, site: Site) -> None:
    sign_in(page, site, "supervisor")
    assert page.locator("h1").inner_text() == "Tim saya"
    page.get_by_role("button", name="English").click()
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == "My team"
    page.goto("/employees/" + str(site.accounts["supervisor"].employee_id))
    assert page.locator("html").get_attribute("lang") == "en"
    screenshot(page, "supervisor-own-page-en")
    page.get_by_role("button", name="Bahasa Indonesia").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "id"


def _stranger(site: Site) -> int:
    """An employee the demo supervisor may not see, found with the access policy itself."""
    supervisor = Actor(
        1, "web-supervisor", Role.SUPERVISOR, site.accounts["supervisor"].employee_id
    )
    database = make_database(site.database_url)
    with database.sessions() as session:
        for employee in session.scalars(select(Employee).order_by(Employee.id.desc())):
            if not policy.can_see(session, supervisor, employee):
                found = employee.id
                break
    database.engine.dispose()
    return found


def test_supervisor_cannot_open_another_teams_member(page: Any, site: Site) -> None:
    sign_in(page, site, "supervisor")
    answer = page.goto(f"/employees/{_stranger(site)}")
    assert answer.status == 404
    screenshot(page, "supervisor-refused")


@pytest.mark.parametrize(
    ("role", "path"),
    [("employee", None), ("hr", None), ("data", "/models"), ("admin", "/models")],
)
def test_pages_render_for_their_roles(page: Any, site: Site, role: str, path: str | None) -> None:
    sign_in(page, site, role)
    if path:
        page.goto(path)
    assert page.locator("h1").count() == 1
    assert page.locator(".message-error").count() == 0
    screenshot(page, f"{role}-{(path or 'home').strip('/')}")


def test_team_page_fits_a_phone_screen(browser: Any, site: Site) -> None:
    context = browser.new_context(base_url=site.url, viewport={"width": 390, "height": 844})
    phone = context.new_page()
    sign_in(phone, site, "supervisor")
    overflow = phone.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    screenshot(phone, "supervisor-team-phone")
    context.close()
    assert overflow <= 0


def test_keyboard_reaches_the_skip_link_first(page: Any, site: Site) -> None:
    sign_in(page, site, "employee")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip-link"
    page.keyboard.press("Enter")
    # The jump to the fragment lands after the key press returns: wait for it (5 s at most).
    page.wait_for_url("**#main", timeout=5_000)
    assert page.url.endswith("#main")


def test_data_team_starts_a_retrain_and_sees_its_job(page: Any, site: Site) -> None:
    sign_in(page, site, "data")
    with page.expect_navigation():
        page.get_by_role("button", name="Mulai latih ulang").click()
    status = page.locator(".job-status")
    assert status.get_attribute("data-status") == "queued"
    assert status.inner_text() == "dalam antrean"
    screenshot(page, "data-models-retrain")


def test_employee_sees_progress_toward_the_yearly_jp(page: Any, site: Site) -> None:
    sign_in(page, site, "employee")
    section = page.locator("section.jp-progress")
    assert section.locator("h2").inner_text().startswith("Jam pelajaran (JP)")
    assert " JP " in section.inner_text()
    section.scroll_into_view_if_needed()
    screenshot(page, "employee-jp-progress")


@pytest.fixture
def trained_registry(site: Site, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sample]:
    """Point the site's /models page at the session's trained sample for one test."""
    sample = shared_sample(tmp_path_factory)
    before = site.app.config["MLFLOW_TRACKING_URI"]
    site.app.config["MLFLOW_TRACKING_URI"] = sample.tracking_uri
    yield sample
    site.app.config["MLFLOW_TRACKING_URI"] = before


def test_data_team_reads_calibration_roc_fairness_and_card(
    page: Any, site: Site, trained_registry: Sample
) -> None:
    sign_in(page, site, "data")
    report = page.locator("#report")
    assert f"versi {trained_registry.version}" in report.locator("h2").inner_text()
    assert report.locator("svg.line-chart").count() == 2
    assert report.locator("table.fairness tbody tr").count() >= 4  # gender and age bands
    assert "Model card: kinerja-risk" in report.locator(".model-card h3").inner_text()
    report.scroll_into_view_if_needed()
    screenshot(page, "data-models-report")
