"""Offline in a real browser: a supervisor whose connection drops writes a dialogue, sees it
waiting in the outbox, and when the connection is back sees it sent; the server has it once.
The pages seen before open offline as dated, read-only copies."""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest
from sqlalchemy import func
from sqlalchemy import select

from service.db import make_database
from service.db.models import PerformanceDialogue
from tests.e2e.conftest import Site
from tests.e2e.conftest import screenshot
from tests.e2e.conftest import sign_in

pytestmark = pytest.mark.slow

CONTROLLED = """() => navigator.serviceWorker.controller ? true : new Promise(resolve =>
  navigator.serviceWorker.addEventListener("controllerchange", () => resolve(true)))"""


def _dialogues_stored(site: Site, topics: str) -> int:
    database = make_database(site.database_url)
    with database.sessions() as session:
        query = select(func.count()).where(PerformanceDialogue.topics == topics)
        count = session.scalar(query.select_from(PerformanceDialogue)) or 0
    database.engine.dispose()
    return count


def _member_dialogues(page: Any) -> str:
    """The address of the first team member's dialogues, from the team page."""
    link = page.locator("li.person h2 a").first.get_attribute("href")
    return f"{link}/dialogues"


def test_a_dialogue_written_offline_is_sent_once_when_back_online(page: Any, site: Site) -> None:
    from playwright.sync_api import expect

    sign_in(page, site, "supervisor")
    assert page.evaluate(CONTROLLED)  # the worker is active: pages seen from now are kept
    page.reload()
    dialogues = _member_dialogues(page)
    page.goto(dialogues)
    topics = f"Dialog luring {uuid.uuid4().hex[:8]}"
    page.context.set_offline(True)
    form = page.locator("form[data-outbox]")
    form.locator('textarea[name="topics"]').fill(topics)
    form.get_by_role("button", name="Simpan dialog").click()
    status = page.locator("#outbox .outbox-status")
    expect(status).to_have_text(re.compile(r"^1 menunggu dikirim\. Anda sedang luring"))
    assert topics in page.locator("#outbox .outbox-items").inner_text()
    screenshot(page, "supervisor-outbox-waiting")
    assert _dialogues_stored(site, topics) == 0
    page.goto("/team")
    banner = page.locator("#offline-banner")
    expect(banner).to_be_visible()
    screenshot(page, "supervisor-team-offline-copy")
    page.context.set_offline(False)
    expect(status).to_have_text("Semua yang menunggu sudah dikirim.")
    assert page.locator("#outbox .outbox-items li").count() == 0
    assert _dialogues_stored(site, topics) == 1
    page.goto(dialogues)
    assert topics in page.locator("ol.dialogues").inner_text()
    assert page.locator("#outbox").is_hidden()


def test_a_refused_item_stays_with_the_reason_until_discarded(page: Any, site: Site) -> None:
    """An evaluation of a period that has not started, written offline: the server refuses it
    when it is sent, and it stays, with the server's words, until the user discards it."""
    from playwright.sync_api import expect

    sign_in(page, site, "supervisor")
    page.locator("li.person").first.get_by_role("link", name="Nilai satu periode").click()
    page.wait_for_load_state()
    page.context.set_offline(True)
    form = page.locator("form.evaluation-form")
    form.locator('[data-role="work"]').select_option("sesuai_ekspektasi")
    form.locator('[data-role="behavior"]').select_option("sesuai_ekspektasi")
    form.locator('input[name="period"]').fill("2099-Q1")
    form.get_by_role("button", name="Simpan penilaian").click()
    status = page.locator("#outbox .outbox-status")
    expect(status).to_have_text(re.compile(r"^1 menunggu dikirim\."))
    page.context.set_offline(False)
    expect(status).to_have_text("1 tidak diterima server: lihat di bawah.")
    item = page.locator("#outbox .outbox-items li")
    expect(item.locator(".outbox-reason")).to_contain_text("Tidak diterima: ")
    expect(item.locator(".outbox-reason")).to_contain_text("2099-Q1")
    screenshot(page, "supervisor-outbox-refused")
    page.reload()  # still there on the next page
    expect(item.locator(".outbox-reason")).to_contain_text("2099-Q1")
    page.once("dialog", lambda dialog: dialog.accept())
    item.get_by_role("button", name="Buang").click()
    expect(page.locator("#outbox")).to_be_hidden()


#: How the session ends while offline, and what the kept item then says.
ENDINGS = {
    # the idle timeout: the form is answered by the sign-in page
    "idle": "Masuk lagi untuk mengirimnya: sesi Anda sudah berakhir.",
    # the session cookie is gone (signed out elsewhere, browser data cleared): CSRF refuses
    "cookie": (
        "Formulirnya sudah kedaluwarsa (atau Anda sudah keluar): akan dikirim ulang dari "
        "halaman berikutnya yang Anda buka setelah masuk."
    ),
}


@pytest.mark.parametrize("ending", sorted(ENDINGS))
def test_an_ended_session_keeps_the_item_until_signed_in_again(
    page: Any, site: Site, ending: str
) -> None:
    from playwright.sync_api import expect

    sign_in(page, site, "supervisor")
    dialogues = _member_dialogues(page)
    page.goto(dialogues)
    page.context.set_offline(True)
    topics = f"Dialog setelah sesi berakhir {uuid.uuid4().hex[:8]}"
    form = page.locator("form[data-outbox]")
    form.locator('textarea[name="topics"]').fill(topics)
    form.get_by_role("button", name="Simpan dialog").click()
    status = page.locator("#outbox .outbox-status")
    expect(status).to_have_text(re.compile(r"^1 menunggu dikirim\."))
    idle = site.app.config["WEB_IDLE_TIMEOUT_SECONDS"]
    if ending == "idle":
        site.app.config["WEB_IDLE_TIMEOUT_SECONDS"] = -1
    else:
        page.context.clear_cookies()
    try:
        page.context.set_offline(False)
        expect(page.locator("#outbox .outbox-reason")).to_have_text(ENDINGS[ending])
    finally:
        site.app.config["WEB_IDLE_TIMEOUT_SECONDS"] = idle
    assert _dialogues_stored(site, topics) == 0
    sign_in(page, site, "supervisor")  # the new session's page sends it with its own token
    expect(status).to_have_text("Semua yang menunggu sudah dikirim.")
    assert _dialogues_stored(site, topics) == 1
