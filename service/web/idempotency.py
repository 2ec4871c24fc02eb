"""Forms that create something are done once per key: the outbox can resend them safely.

Each such form carries a hidden `idempotency_key`, fresh on every rendering
(`idempotency_field`). The first time a key comes, the view runs as before; when it saved
something, its answer (the redirect and the flashed message) is stored in the API's
`idempotency_keys` table (`service.api.idempotency`), in the same commit as the rows it wrote,
so either both exist or neither does. The same key again gets that answer, with nothing
written: an offline outbox (static/offline.js) that resends a form whose answer was lost
never writes it twice. A refused form stores nothing (its transaction is rolled back with the
view's), so the same key can be sent again once the cause is fixed. As in the API, the key
is the user's, and a key reused for another form or other values is refused (422).

Two tabs resending one form at once both find no record; the key's unique index lets one
write, and the other answers with what the first stored. Between the first one's commits the
record holds no answer yet, so a repeated key waits for it (`ANSWER_WAIT_S` at most) instead of
answering with the generic message at once: both tabs then show the same redirect and message.

A form without the field (an older page, a script) works as before, with no protection.
"""

from __future__ import annotations

import hashlib
import json
import time
import uuid
from collections.abc import Callable
from functools import wraps
from typing import Any
from typing import TypeVar

from flask import flash
from flask import redirect
from flask import request
from flask import session as cookie_session
from flask import url_for
from flask_babel import gettext as _
from markupsafe import Markup
from pydantic import ValidationError
from sqlalchemy import inspect
from sqlalchemy.exc import IntegrityError
from werkzeug.wrappers import Response

from service.api.idempotency import check_same_request
from service.api.idempotency import new_record
from service.api.schemas.common import IdempotencyHeader
from service.db import get_session
from service.db.models import IdempotencyRecord
from service.db.repositories import access as repo
from service.domain.errors import Invalid
from service.web import bp
from service.web.session import actor

F = TypeVar("F", bound=Callable[..., Any])
FIELD = "idempotency_key"
#: Fields left out of the form's fingerprint: a resent form may carry a newer CSRF token.
UNHASHED = frozenset({FIELD, "csrf_token"})
#: What a record holds between the view's commit and its answer's (see `once`).
PENDING = ""
#: Seconds a repeated key waits for the answer of a record still PENDING (the first request
#: between its two commits), and between two looks: then the generic answer (a crash).
ANSWER_WAIT_S = 2.0
ANSWER_POLL_S = 0.02


@bp.app_template_global()
def idempotency_field() -> Markup:
    """The hidden field with a fresh key for a form that `once` protects."""
    return Markup('<input type="hidden" name="{}" value="{}">').format(FIELD, uuid.uuid4())


def once(view: F) -> F:
    """Run a form's view once per (user, key); answer a repeated key as the first time.

    The record is added before the view runs, so the view's own commit stores it with the
    rows; a view that refuses the form rolls it back with everything else. The answer is
    written into the record after the view (a second, small commit): a crash between the two
    leaves a record that still blocks a duplicate and, after `ANSWER_WAIT_S`, answers with a
    generic message.
    """

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        key, user_id = request.form.get(FIELD), actor().user_id
        if not key or user_id is None:
            return view(*args, **kwargs)
        _check_key(key)
        session, fingerprint = get_session(), _fingerprint()
        stored = repo.idempotency_record(session, user_id, key)
        if stored is not None:
            return _replay(stored, fingerprint)
        record = new_record(user_id, key, fingerprint, 303, PENDING, None)
        session.add(record)
        flashed = len(cookie_session.get("_flashes", []))
        try:
            answer = view(*args, **kwargs)
        except IntegrityError:  # the same key sent twice at once: the other one won
            session.rollback()
            stored = repo.idempotency_record(session, user_id, key)
            if stored is None:
                raise
            return _replay(stored, fingerprint)
        _keep_answer(record, answer, cookie_session.get("_flashes", [])[flashed:])
        return answer

    return wrapper  # type: ignore[return-value]


def _keep_answer(record: IdempotencyRecord, answer: Any, flashes: list[Any]) -> None:
    """Store the view's answer in its committed record; drop a record it did not commit."""
    state, session = inspect(record), get_session()
    if state.pending:  # the view neither committed nor rolled back: it saved nothing
        session.expunge(record)
        return
    if not state.persistent or not isinstance(answer, Response) or not answer.location:
        return
    record.status = answer.status_code
    record.response_body = json.dumps({"location": answer.location, "flashes": flashes})
    session.commit()


def _replay(stored: IdempotencyRecord, fingerprint: str) -> Response:
    """The first answer again: the same messages and the same redirect."""
    check_same_request(stored, fingerprint, FIELD)
    stored = _answered(stored)
    if stored.response_body == PENDING:
        flash(_("This form was sent before and its content is saved."), "success")
        answer = redirect(url_for("web.home"), code=303)
    else:
        first = json.loads(stored.response_body)
        for category, message in first["flashes"]:
            flash(message, category)
        answer = redirect(first["location"], code=stored.status)
    answer.headers["Idempotent-Replayed"] = "true"
    return answer


def _answered(stored: IdempotencyRecord) -> IdempotencyRecord:
    """`stored`, read again until its answer is written or `ANSWER_WAIT_S` passed: a record
    still PENDING is the first request between its commits (a crash leaves it so for good)."""
    session, deadline = get_session(), time.monotonic() + ANSWER_WAIT_S
    while stored.response_body == PENDING and time.monotonic() < deadline:
        session.rollback()  # a fresh snapshot each look; no lock held while waiting
        time.sleep(ANSWER_POLL_S)
        session.refresh(stored)
    return stored


def _check_key(key: str) -> None:
    """Refuse a key the API would refuse in its header (1-200 printable ASCII characters)."""
    try:
        IdempotencyHeader.model_validate({"Idempotency-Key": key})
    except ValidationError:
        raise Invalid.field(FIELD, "1 to 200 printable ASCII characters") from None


def _fingerprint() -> str:
    """Hash the form's fields, in order, without the key and the CSRF token."""
    fields = [(k, v) for k, v in request.form.items(multi=True) if k not in UNHASHED]
    return hashlib.sha256(json.dumps(fields, ensure_ascii=False).encode()).hexdigest()
