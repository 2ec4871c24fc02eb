"""The dialogue history names the coaching suggestion a dialogue started from, in words."""

from __future__ import annotations

import html

import pytest
from flask.testing import FlaskClient

from service.domain.coaching import load_catalogue
from tests.service.api.world import World
from tests.service.web.conftest import post_form
from tests.service.web.conftest import sign_in


@pytest.mark.parametrize(
    ("language", "sentence"),
    [
        ("id", "Dimulai dari saran coaching: {action}."),
        ("en", "Started from the coaching suggestion: {action_en}."),
    ],
)
def test_a_dialogue_started_from_a_suggestion_names_it(
    client: FlaskClient, world: World, language: str, sentence: str
) -> None:
    rule = load_catalogue()[0]
    page = f"/employees/{world.employees['E1']}/dialogues"
    sign_in(client, "supervisor")
    form = {
        "held_on": "2025-04-10",
        "kind": "coaching",
        "topics": "Tindak lanjut",
        "coaching_action": rule.code,
    }
    assert post_form(client, page, form, page).status_code == 303
    client.set_cookie("kinerja_lang", language)
    body = html.unescape(client.get(page).get_data(as_text=True))
    assert sentence.format(action=rule.action, action_en=rule.action_en) in body
