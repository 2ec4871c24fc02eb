"""The activity log's forms when the entry changed under them: said in the user's language."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from service.db.models import ActivityLog
from tests.service.api.world import World
from tests.service.continuous.continuous_objects import continuous_objects
from tests.service.web.conftest import post_form
from tests.service.web.conftest import sign_in

STALE_ID = "Data ini sudah diubah orang lain. Muat ulang lalu coba lagi."
ACKNOWLEDGED_ID = "Kegiatan ini sudah diketahui atasan dan tidak dapat diubah lagi."
COMMENT_HELP_ID = "Tulis komentar paling banyak 5.000 karakter, atau kosongkan."
EXPIRED_ID = "Formulir sudah kedaluwarsa atau tidak dikirim dari situs ini."


@pytest.fixture
def objects(world: World, session: Session) -> dict[str, dict[int, int]]:
    found = continuous_objects(session, world)
    session.commit()
    return found


def _signed_in(app: Flask, role: str) -> FlaskClient:
    client = app.test_client()
    sign_in(client, role)
    return client


@pytest.mark.parametrize(
    ("role", "action", "kind", "version", "status", "text"),
    [
        ("supervisor", "acknowledge", "activity_ack", "7", 412, STALE_ID),
        ("supervisor", "acknowledge", "activity_ack", "", 428, EXPIRED_ID),
        ("employee", "edit", "activity", "7", 412, STALE_ID),
        ("employee", "edit", "activity", "", 428, EXPIRED_ID),
    ],
)
def test_a_form_on_a_changed_entry_says_so_and_changes_nothing(
    app: Flask,
    world: World,
    session: Session,
    objects: dict[str, dict[int, int]],
    role: str,
    action: str,
    kind: str,
    version: str,
    status: int,
    text: str,
) -> None:
    entry_id = objects[kind][world.employees["E1"]]
    form = {"version": version, "activity_date": "2025-03-04", "description": "Diubah"}
    answer = post_form(_signed_in(app, role), f"/activities/{entry_id}/{action}", form)
    body = answer.get_data(as_text=True)
    assert answer.status_code == status
    assert text in body
    assert "If-Match" not in body and "GET it again" not in body
    entry = session.get(ActivityLog, entry_id)
    session.refresh(entry)
    assert (entry.version, entry.description) != (2, "Diubah")
    assert entry.version == 1


@pytest.mark.parametrize("comment", ["a\x00b", "x" * 5001])
def test_a_bad_acknowledgement_comment_is_refused_and_acknowledges_nothing(
    app: Flask,
    world: World,
    session: Session,
    objects: dict[str, dict[int, int]],
    comment: str,
) -> None:
    """The API's schema refuses it; a NUL would even fail PostgreSQL's INSERT (a 500)."""
    entry_id = objects["activity_ack"][world.employees["E1"]]
    form = {"version": "1", "comment": comment}
    answer = post_form(_signed_in(app, "supervisor"), f"/activities/{entry_id}/acknowledge", form)
    assert answer.status_code == 422
    assert COMMENT_HELP_ID in answer.get_data(as_text=True)
    entry = session.get(ActivityLog, entry_id)
    session.refresh(entry)
    assert (entry.version, entry.supervisor_comment) == (1, None)


@pytest.mark.parametrize(("role", "action"), [("supervisor", "acknowledge"), ("employee", "edit")])
def test_a_form_on_an_acknowledged_entry_says_so_in_the_users_language(
    app: Flask, world: World, objects: dict[str, dict[int, int]], role: str, action: str
) -> None:
    entry_id = objects["activity_ack"][world.employees["E1"]]
    assert (
        post_form(
            _signed_in(app, "supervisor"), f"/activities/{entry_id}/acknowledge", {"version": "1"}
        ).status_code
        == 303
    )
    form = {"version": "2", "activity_date": "2025-03-04", "description": "Diubah"}
    answer = post_form(_signed_in(app, role), f"/activities/{entry_id}/{action}", form)
    assert answer.status_code == 409
    assert ACKNOWLEDGED_ID in answer.get_data(as_text=True)


def test_a_refused_acknowledgement_keeps_the_comment_typed(
    app: Flask, world: World, objects: dict[str, dict[int, int]]
) -> None:
    """The acknowledgement form came back with an empty comment box: a supervisor who had
    written a comment on an entry someone changed meanwhile had to write it again."""
    entry_id = objects["activity_ack"][world.employees["E1"]]
    form = {"version": "7", "comment": "Bukti sudah saya periksa"}
    answer = post_form(_signed_in(app, "supervisor"), f"/activities/{entry_id}/acknowledge", form)
    assert answer.status_code == 412
    assert ">Bukti sudah saya periksa</textarea>" in answer.get_data(as_text=True)
