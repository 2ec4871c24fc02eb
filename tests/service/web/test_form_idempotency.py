"""The forms the offline outbox resends write once per idempotency key: the same key again
answers as the first time (same redirect, same message) with nothing written; another form
or other values under a used key are refused; a refused form stores nothing."""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy import update
from sqlalchemy.orm import Session

from service.db.models import ActivityLog
from service.db.models import Evaluation
from service.db.models import FeedbackNote
from service.db.models import IdempotencyRecord
from service.db.models import Indicator
from service.db.models import PerformanceDialogue
from service.db.models import Realisation
from service.db.models import Rhk
from service.db.models import Skp
from service.domain.entities import PeriodKind
from service.domain.entities import SkpStatus
from service.domain.periods import period_of
from service.domain.periods import today_in_indonesia
from service.web.idempotency import ANSWER_WAIT_S
from service.web.idempotency import PENDING
from tests.service.api.world import World
from tests.service.api.world import add_indicator
from tests.service.api.world import add_skp
from tests.service.web.conftest import csrf_token
from tests.service.web.conftest import sign_in

KEY = re.compile(r'name="idempotency_key" value="([0-9a-f-]{36})"')


@dataclass(frozen=True)
class Form:
    """One protected form: who sends it, where, with what, and the rows it writes."""

    role: str
    path: Callable[[World, Session], str]
    fields: Callable[[World, Session], dict[str, str]]
    model: Any
    page: Callable[[World], str]


def _realisation_plan(world: World, session: Session) -> tuple[int, int]:
    """E1's approved plan of this year (rated by S) and its indicator, made once per test."""
    found = session.scalar(select(Skp).where(Skp.employee_id == world.employees["E1"]))
    if found is not None:
        query = select(Indicator.id).join(Rhk).where(Rhk.skp_id == found.id)
        return found.id, session.scalars(query).one()
    skp_id = add_skp(session, world, "E1", today_in_indonesia().year, "S")
    session.get(Skp, skp_id).status = SkpStatus.DITETAPKAN  # type: ignore[union-attr]
    indicator = add_indicator(session, skp_id).id
    session.commit()
    return skp_id, indicator


def _realisation(world: World, session: Session) -> dict[str, str]:
    month = period_of(today_in_indonesia(), PeriodKind.MONTH).code
    indicator = _realisation_plan(world, session)[1]
    return {"indicator_id": str(indicator), "period": month, "value": "4"}


FORMS = {
    "feedback": Form(
        "supervisor",
        lambda w, s: "/team/feedback",
        lambda w, s: {
            "employee_id": str(w.employees["E1"]),
            "period": "2025-Q1",
            "target": "perilaku",
            "body": "Rapat dipimpin dengan baik",
        },
        FeedbackNote,
        lambda w: "/team",
    ),
    "evaluation": Form(
        "supervisor",
        lambda w, s: "/team/evaluation",
        lambda w, s: {
            "employee_id": str(w.employees["E1"]),
            "period": "2025-Q2",
            "work_result_rating": "sesuai_ekspektasi",
            "behavior_rating": "sesuai_ekspektasi",
        },
        Evaluation,
        lambda w: "/team",
    ),
    "dialogue": Form(
        "supervisor",
        lambda w, s: f"/employees/{w.employees['E1']}/dialogues",
        lambda w, s: {"held_on": "2025-03-05", "kind": "dialog", "topics": "Target triwulan"},
        PerformanceDialogue,
        lambda w: f"/employees/{w.employees['E1']}/dialogues",
    ),
    "realisation": Form(
        "employee",
        lambda w, s: f"/skps/{_realisation_plan(w, s)[0]}/realisations",
        _realisation,
        Realisation,
        lambda w: f"/employees/{w.employees['E1']}",
    ),
    "activity": Form(
        "employee",
        lambda w, s: f"/employees/{w.employees['E1']}/activities",
        lambda w, s: {"activity_date": "2025-03-04", "description": "Menyusun laporan"},
        ActivityLog,
        lambda w: f"/employees/{w.employees['E1']}/activities",
    ),
}


def _count(session: Session, model: Any) -> int:
    session.expire_all()
    return session.scalar(select(func.count()).select_from(model)) or 0


def _send(client: FlaskClient, path: str, fields: dict[str, str], key: str | None) -> Any:
    data = {**fields, "csrf_token": csrf_token(client, "/")}
    if key is not None:
        data["idempotency_key"] = key
    return client.post(path, data=data)


@pytest.mark.parametrize("name", sorted(FORMS))
def test_the_same_key_twice_writes_once_and_answers_as_the_first_time(
    name: str, client: FlaskClient, world: World, session: Session
) -> None:
    form = FORMS[name]
    path, fields = form.path(world, session), form.fields(world, session)
    sign_in(client, form.role)
    key = str(uuid.uuid4())
    first = _send(client, path, fields, key)
    assert first.status_code == 303, first.get_data(as_text=True)[:300]
    saved = client.get(first.headers["Location"]).get_data(as_text=True)
    message = re.search(r'class="message message-success">([^<]+)<', saved)
    assert message, "the first answer says what was saved"
    again = _send(client, path, fields, key)  # the outbox resends after a lost answer
    assert (again.status_code, again.headers.get("Location")) == (303, first.headers["Location"])
    assert again.headers["Idempotent-Replayed"] == "true"
    replayed = client.get(again.headers["Location"]).get_data(as_text=True)
    assert message.group(0) in replayed and "message-error" not in replayed
    assert _count(session, form.model) == 1


@pytest.mark.parametrize("name", sorted(FORMS))
def test_each_form_renders_a_fresh_key(
    name: str, client: FlaskClient, world: World, session: Session
) -> None:
    form = FORMS[name]
    action = form.path(world, session)
    sign_in(client, form.role)
    keys = []
    for _ in range(2):
        body = client.get(form.page(world)).get_data(as_text=True)
        opening = rf'<form method="post" action="{re.escape(action)}(#[\w-]+)?"'
        start = re.search(opening, body).start()  # type: ignore[union-attr]
        tag = body[start : body.index("</form>", start)]
        assert "data-outbox=" in tag
        keys.append(KEY.search(tag).group(1))  # type: ignore[union-attr]
    assert keys[0] != keys[1]


def test_a_key_sent_with_other_values_is_refused(
    client: FlaskClient, world: World, session: Session
) -> None:
    form = FORMS["feedback"]
    fields = form.fields(world, session)
    sign_in(client, "supervisor")
    key = str(uuid.uuid4())
    assert _send(client, "/team/feedback", fields, key).status_code == 303
    changed = _send(client, "/team/feedback", {**fields, "body": "Lain"}, key)
    assert changed.status_code == 422
    other_form = _send(client, f"/employees/{world.employees['E1']}/dialogues", fields, key)
    assert other_form.status_code == 422
    assert _count(session, FeedbackNote) == 1
    assert _count(session, PerformanceDialogue) == 0


def test_a_refused_form_stores_nothing_and_its_key_works_once_fixed(
    client: FlaskClient, world: World, session: Session
) -> None:
    fields = FORMS["feedback"].fields(world, session)
    sign_in(client, "supervisor")
    key = str(uuid.uuid4())
    refused = _send(client, "/team/feedback", {**fields, "body": ""}, key)
    assert refused.status_code == 422
    assert _count(session, IdempotencyRecord) == 0
    assert _send(client, "/team/feedback", fields, key).status_code == 303
    assert _count(session, FeedbackNote) == 1


def test_a_record_left_without_its_answer_answers_generically_after_the_wait(
    client: FlaskClient, world: World, session: Session
) -> None:
    """A crash between the view's commit and its answer's leaves the record PENDING: a
    resend waits `ANSWER_WAIT_S` for the answer (the other tab's request may be between
    its commits; tests/service/api/test_form_outbox_race.py), then says the form was saved
    and leads home, writing nothing."""
    fields = FORMS["feedback"].fields(world, session)
    sign_in(client, "supervisor")
    key = str(uuid.uuid4())
    assert _send(client, "/team/feedback", fields, key).status_code == 303
    session.execute(update(IdempotencyRecord).values(response_body=PENDING))
    session.commit()
    started = time.monotonic()
    again = _send(client, "/team/feedback", fields, key)
    assert time.monotonic() - started >= ANSWER_WAIT_S
    assert (again.status_code, again.headers["Location"]) == (303, "/")
    replayed = client.get("/", follow_redirects=True).get_data(as_text=True)
    assert "Formulir ini sudah pernah dikirim dan isinya tersimpan." in replayed
    assert _count(session, FeedbackNote) == 1


def test_a_new_session_and_csrf_token_still_find_the_first_answer(
    app: Flask, world: World, session: Session
) -> None:
    """The outbox resends with the token of the page it runs on, perhaps after signing in
    again: the key is the user's, not the session's."""
    fields = FORMS["dialogue"].fields(world, session)
    path = FORMS["dialogue"].path(world, session)
    key = str(uuid.uuid4())
    first, second = app.test_client(), app.test_client()
    sign_in(first, "supervisor")
    assert _send(first, path, fields, key).status_code == 303
    sign_in(second, "supervisor")
    again = _send(second, path, fields, key)
    assert (again.status_code, again.headers["Idempotent-Replayed"]) == (303, "true")
    other = app.test_client()
    sign_in(other, "hr")  # another user's key of the same value is theirs
    assert _send(other, path, {**fields, "topics": "Lain"}, key).status_code == 303
    assert _count(session, PerformanceDialogue) == 2


def test_a_form_without_a_key_works_as_before(
    client: FlaskClient, world: World, session: Session
) -> None:
    fields = FORMS["activity"].fields(world, session)
    sign_in(client, "employee")
    for _ in range(2):
        assert (
            _send(client, FORMS["activity"].path(world, session), fields, None).status_code == 303
        )
    assert _count(session, ActivityLog) == 2


@pytest.mark.parametrize("key", ["", "x" * 201, "kunci dengan spasi"])
def test_a_malformed_key_is_refused_without_a_write(
    client: FlaskClient, world: World, session: Session, key: str
) -> None:
    fields = FORMS["feedback"].fields(world, session)
    sign_in(client, "supervisor")
    answer = _send(client, "/team/feedback", fields, key)
    if key:
        assert answer.status_code == 422
        assert _count(session, FeedbackNote) == 0
    else:  # an empty field is no key: the form is sent as before
        assert answer.status_code == 303
