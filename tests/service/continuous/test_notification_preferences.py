"""Email preferences by notification kind through the API: every kind on until switched off,
If-Match like every edit, objections mandatory, each login's own; in the personal-data
export of its person; and switched on the notifications page."""

from __future__ import annotations

import re

from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.db.models import AuditEntry
from service.domain.entities import NotificationKind
from service.web.notifications import KIND_LABELS
from tests.service.api.world import World
from tests.service.web.conftest import post_form
from tests.service.web.conftest import sign_in

PATH = "/api/v1/users/me/notification-preferences"
KINDS = [kind.value for kind in NotificationKind]
MANDATORY_MESSAGE = "is mandatory and cannot be switched off"


def _put(client: FlaskClient, world: World, role: str, body: object, tag: str | None) -> object:
    headers = world.headers(role) | ({"If-Match": tag} if tag is not None else {})
    return client.put(PATH, json=body, headers=headers)


def test_every_kind_is_emailed_until_switched_off(client: FlaskClient, world: World) -> None:
    first = client.get(PATH, headers=world.headers("employee"))
    assert first.status_code == 200, first.get_json()
    assert first.get_json() == {
        "email_on": dict.fromkeys(KINDS, True),
        "mandatory": ["objection_decided", "objection_filed"],
        "version": 1,
    }
    assert first.headers["ETag"] == '"1"'

    off = {"evaluation_due": False, "realisation_due": False}
    changed = _put(client, world, "employee", {"email_on": off}, '"1"')
    assert changed.status_code == 200, changed.get_json()
    assert changed.headers["ETag"] == '"2"'
    expected = dict.fromkeys(KINDS, True) | off
    assert changed.get_json()["email_on"] == expected
    again = client.get(PATH, headers=world.headers("employee"))
    assert (again.get_json()["email_on"], again.headers["ETag"]) == (expected, '"2"')

    # Kinds left out keep their setting; switching one back on leaves the other off.
    back = _put(client, world, "employee", {"email_on": {"evaluation_due": True}}, '"2"')
    assert back.get_json()["email_on"] == dict.fromkeys(KINDS, True) | {"realisation_due": False}
    # Another login's set is its own.
    other = client.get(PATH, headers=world.headers("supervisor")).get_json()
    assert other["email_on"] == dict.fromkeys(KINDS, True)


def test_an_edit_needs_the_current_version(client: FlaskClient, world: World) -> None:
    body = {"email_on": {"evaluation_due": False}}
    assert _put(client, world, "hr", body, None).status_code == 428
    assert _put(client, world, "hr", body, '"1"').status_code == 200
    stale = _put(client, world, "hr", {"email_on": {"evaluation_due": True}}, '"1"')
    assert stale.status_code == 412
    assert _put(client, world, "hr", body, "*").status_code == 200
    stored = client.get(PATH, headers=world.headers("hr")).get_json()
    assert stored["email_on"]["evaluation_due"] is False


def test_objection_kinds_cannot_be_switched_off(
    client: FlaskClient, world: World, session: Session
) -> None:
    body = {"email_on": {"objection_decided": False, "evaluation_due": False}}
    refused = _put(client, world, "employee", body, '"1"')
    assert refused.status_code == 422
    [error] = refused.get_json()["errors"]
    assert error == {"field": "email_on.objection_decided", "message": MANDATORY_MESSAGE}
    now = client.get(PATH, headers=world.headers("employee"))
    assert now.get_json()["email_on"] == dict.fromkeys(KINDS, True)  # nothing stored
    assert now.headers["ETag"] == '"1"'
    on = _put(client, world, "employee", {"email_on": {"objection_filed": True}}, '"1"')
    assert on.status_code == 200  # switching a mandatory kind on is harmless
    unknown = _put(client, world, "employee", {"email_on": {"birthday": False}}, '"1"')
    assert unknown.status_code == 422
    audited = session.scalars(
        select(AuditEntry.resource).where(AuditEntry.resource == "notification_preferences")
    )
    assert list(audited) == []  # only real changes leave a row


def test_a_change_is_audited_under_the_person(
    client: FlaskClient, world: World, session: Session
) -> None:
    _put(client, world, "supervisor", {"email_on": {"feedback_round_waiting": False}}, '"1"')
    rows = session.execute(
        select(AuditEntry.action, AuditEntry.employee_id, AuditEntry.resource_id).where(
            AuditEntry.resource == "notification_preferences"
        )
    ).all()
    assert [tuple(row) for row in rows] == [
        ("update", world.employees["S"], str(world.users["supervisor"]))
    ]


def test_the_preferences_are_in_the_personal_data_export(
    client: FlaskClient, world: World
) -> None:
    _put(client, world, "employee", {"email_on": {"development_jp_low": False}}, '"1"')
    _put(client, world, "supervisor", {"email_on": {"evaluation_due": False}}, '"1"')
    path = f"/api/v1/employees/{world.employees['E1']}/personal-data"
    answer = client.get(path, headers=world.headers("employee"))
    assert answer.status_code == 200, answer.get_json()
    rows = answer.get_json()["sections"]["notification_preferences"]
    assert [(row["user_id"], row["email_off"], row["version"]) for row in rows] == [
        (world.users["employee"], ["development_jp_low"], 2)
    ]


def test_the_notifications_page_switches_the_emails(
    client: FlaskClient, world: World, session: Session
) -> None:
    assert set(KIND_LABELS) == set(NotificationKind)  # every kind has its label
    sign_in(client, "employee")
    page = client.get("/notifications").get_data(as_text=True)
    assert "Surel" in page and "Kirimi saya surel tentang" in page
    assert re.search(r'id="email-objection_decided" checked disabled', page)
    assert 'name="email_on" value="objection_decided"' not in page
    assert re.search(r'name="email_on" value="evaluation_due" checked>', page)

    form = {"version": "1", "email_on": ["realisation_due"]}
    saved = post_form(client, "/notifications/preferences", form, "/notifications")
    assert saved.status_code == 303
    assert saved.headers["Location"].endswith("/notifications#email")
    stored = client.get(PATH, headers=world.headers("employee")).get_json()
    assert stored["version"] == 2
    assert [kind for kind, on in stored["email_on"].items() if on] == [
        "realisation_due",
        "objection_filed",
        "objection_decided",
    ]
    page = client.get("/notifications").get_data(as_text=True)
    assert "Pilihan surel Anda tersimpan." in page
    assert re.search(r'name="email_on" value="evaluation_due">', page)  # unticked now

    stale = post_form(client, "/notifications/preferences", form, "/notifications")
    assert stale.status_code == 412  # the page showed version 1; it is at 2
    missing = post_form(client, "/notifications/preferences", {}, "/notifications")
    assert missing.status_code == 428


def test_the_document_names_the_etag_and_if_match(client: FlaskClient) -> None:
    """Like every editable object's: GET and PUT answer the ETag, PUT takes If-Match."""
    operations = client.get("/api/v1/openapi.json").get_json()["paths"][PATH]
    for method in ("get", "put"):
        assert "ETag" in operations[method]["responses"]["200"]["headers"], method
    headers = {p["name"] for p in operations["put"]["parameters"] if p["in"] == "header"}
    assert "If-Match" in headers
    assert {"412", "422", "428"} <= set(operations["put"]["responses"])
