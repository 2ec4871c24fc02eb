"""The message after saving an activity or a dialogue names its day as the reader's
language writes dates, like every other date on the pages (it said 2025-04-10)."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from tests.service.api.world import World
from tests.service.web.conftest import post_form
from tests.service.web.conftest import sign_in

SAVED = {
    "id": ("Kegiatan tanggal 10 Apr 2025 tersimpan.", "Dialog tanggal 10 Apr 2025 tersimpan."),
    "en": ("Activity of Apr 10, 2025 saved.", "Dialogue of Apr 10, 2025 saved."),
}


@pytest.mark.parametrize("language", sorted(SAVED))
def test_saved_messages_write_the_day_for_the_reader(
    client: FlaskClient, world: World, language: str
) -> None:
    client.set_cookie("kinerja_lang", language)
    activity, dialogue = SAVED[language]
    log = f"/employees/{world.employees['E1']}/activities"
    sign_in(client, "employee")
    form = {"activity_date": "2025-04-10", "description": "Menyusun laporan"}
    saved = post_form(client, log, form, log)
    assert saved.status_code == 303
    assert activity in client.get(log).get_data(as_text=True)
    dialogues = f"/employees/{world.employees['E1']}/dialogues"
    sign_in(client, "supervisor")
    form = {"held_on": "2025-04-10", "kind": "coaching", "topics": "Tindak lanjut"}
    assert post_form(client, dialogues, form, dialogues).status_code == 303
    assert dialogue in client.get(dialogues).get_data(as_text=True)
