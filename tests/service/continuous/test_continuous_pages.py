"""The pages of issue 8: the activity log and its section on the employee page, the
dialogue form started from a coaching suggestion, and the notifications with their badge."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.db.models import ActivityLog
from service.db.models import DialogueAction
from service.db.models import Notification
from service.domain.coaching import load_catalogue
from service.domain.entities import ActivityStatus
from service.domain.entities import NotificationKind
from tests.service.api.world import World
from tests.service.web.conftest import post_form
from tests.service.web.conftest import sign_in


@pytest.fixture
def database_url(tmp_path: Path, sqlite_template: Path) -> Iterator[str]:
    """Pages run on SQLite only, as in tests/service/web: their use cases are tested on both."""
    path = tmp_path / "kinerja.db"
    shutil.copyfile(sqlite_template, path)
    yield f"sqlite:///{path}"


def test_employee_logs_and_supervisor_acknowledges_on_the_pages(
    app: Flask, client: FlaskClient, world: World, session: Session
) -> None:
    e1 = world.employees["E1"]
    sign_in(client, "employee")
    page = f"/employees/{e1}/activities"
    refused = post_form(client, page, {"activity_date": "2999-01-01", "description": "x"}, page)
    assert refused.status_code == 422
    assert "Isi tanggal hari ini atau sebelumnya." in refused.get_data(as_text=True)
    saved = post_form(
        client, page, {"activity_date": "2025-03-04", "description": "Rapat koordinasi"}, page
    )
    assert saved.status_code == 303
    entry = session.scalar(select(ActivityLog).where(ActivityLog.employee_id == e1))
    assert entry is not None and entry.description == "Rapat koordinasi"
    section = client.get(f"/employees/{e1}").get_data(as_text=True)
    assert "Rapat koordinasi" in section and 'id="activity-title"' in section
    client = app.test_client()  # another browser: the supervisor's
    sign_in(client, "supervisor")
    waiting = client.get("/team/activities").get_data(as_text=True)
    assert "Rapat koordinasi" in waiting
    done = post_form(
        client,
        f"/activities/{entry.id}/acknowledge",
        {"version": str(entry.version), "comment": "Baik", "back": "team"},
        "/team/activities",
    )
    assert (done.status_code, done.headers["Location"]) == (303, "/team/activities")
    session.expire_all()
    assert session.get(ActivityLog, entry.id).status is ActivityStatus.ACKNOWLEDGED  # type: ignore[union-attr]


def test_dialogue_form_starts_from_a_suggestion_and_reviews_open_actions(
    client: FlaskClient, world: World, session: Session
) -> None:
    e1, rule = world.employees["E1"], load_catalogue()[0]
    sign_in(client, "supervisor")
    page = f"/employees/{e1}/dialogues"
    form = client.get(f"{page}?coaching={rule.code}").get_data(as_text=True)
    assert f'name="coaching_action" value="{rule.code}"' in form
    assert rule.action in form  # the topic starts as the suggestion (Indonesian by default)
    assert re.search(r'<option value="coaching" selected', form)
    first = {
        "held_on": "2025-04-10",
        "kind": "coaching",
        "topics": rule.action,
        "coaching_action": rule.code,
        "action_1": "Selesaikan laporan",
        "action_1_due": "2025-05-01",
    }
    assert post_form(client, page, first, page).status_code == 303
    action = session.scalar(select(DialogueAction))
    assert action is not None and action.done is None
    review_form = client.get(page).get_data(as_text=True)
    assert f'name="review_{action.id}" value="done"' in review_form
    second = {
        "held_on": "2025-05-12",
        "kind": "dialog",
        "topics": "Tindak lanjut",
        f"review_{action.id}": "done",
    }
    assert post_form(client, page, second, page).status_code == 303
    session.expire_all()
    assert session.get(DialogueAction, action.id).done is True  # type: ignore[union-attr]


def test_notifications_page_badge_and_marking(
    client: FlaskClient, world: World, session: Session
) -> None:
    row = Notification(
        recipient_user_id=world.users["employee"],
        kind=NotificationKind.DEVELOPMENT_JP_LOW,
        subject_key=f"jp:{date.today().year}:employee:1",
        message="Baru 5 dari 20 JP",
        message_en="Only 5 of 20 JP",
    )
    session.add(row)
    session.commit()
    sign_in(client, "employee")
    listing = client.get("/notifications").get_data(as_text=True)
    assert "Baru 5 dari 20 JP" in listing
    assert re.search(r'<span class="badge risk-flagged">1<span class="visually-hidden">', listing)
    marked = post_form(client, f"/notifications/{row.id}/read", {}, "/notifications")
    assert marked.status_code == 303
    assert 'class="badge risk-flagged">1' not in client.get("/notifications").get_data(
        as_text=True
    )
    unknown = post_form(client, f"/notifications/{row.id + 1000}/read", {}, "/notifications")
    assert unknown.status_code == 404
