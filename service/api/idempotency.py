"""`Idempotency-Key` on POSTs that create: a retry gets the first answer, with no second write.

The first answer (status, body, ETag) is stored in `idempotency_keys` by the same session and
the same commit as the rows it describes, so after a crash either both exist or neither does.
The key is scoped to the user; the record also holds the method, path and a hash of the body,
and a retry whose request differs is refused with 422. Two concurrent requests with one key
race on the table's unique constraint: the loser rolls back and replays the winner's answer.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable

from flask import Response
from flask import request
from pydantic import BaseModel
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from service.api.http import etag
from service.api.http import raw_json
from service.auth.decorators import current_actor
from service.db import get_session
from service.db.models import IdempotencyRecord
from service.db.repositories import access as repo
from service.domain.audit import Actor
from service.domain.errors import Invalid

HEADER = "Idempotency-Key"


def create(
    produce: Callable[[Session, Actor], BaseModel], status: int = 201
) -> Response | tuple[BaseModel, int, dict[str, str]]:
    """Run a create use case once per key and answer with its serialized result.

    Without a key the model itself is returned for spectree to serialize: given the declared
    response model, spectree dumps it as is, where a serialized body is parsed back and
    validated (and a second Response built), a twentieth of an evaluation POST's CPU.
    """
    session, actor = get_session(), current_actor()
    key = request.headers.get(HEADER)
    fingerprint = _fingerprint() if key is not None else ""
    if key is not None and actor.user_id is not None:
        stored = repo.idempotency_record(session, actor.user_id, key)
        if stored is not None:
            return _replay(stored, fingerprint)
    result = produce(session, actor)
    tag = etag(result.version)["ETag"] if hasattr(result, "version") else None
    body = None
    if key is not None and actor.user_id is not None:
        body = result.model_dump_json()
        session.add(new_record(actor.user_id, key, fingerprint, status, body, tag))
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        stored = repo.idempotency_record(session, actor.user_id, key) if key else None
        if stored is None:
            raise
        return _replay(stored, fingerprint)
    if body is None:  # serialized after the commit: the write lock is held no longer
        return result, status, {"ETag": tag} if tag else {}
    return raw_json(body, status, [("ETag", tag)] if tag else [])


def new_record(
    user_id: int, key: str, fingerprint: str, status: int, body: str, tag: str | None
) -> IdempotencyRecord:
    """The stored first answer to this request (the pages' forms keep theirs here too)."""
    return IdempotencyRecord(
        user_id=user_id,
        key=key,
        method=request.method,
        path=request.path[:500],
        body_hash=fingerprint,
        status=status,
        response_body=body,
        etag=tag,
    )


def check_same_request(stored: IdempotencyRecord, fingerprint: str, field: str = HEADER) -> None:
    """Refuse a key reused for another address, method or body: its stored answer would
    not be this request's."""
    if stored.method != request.method or stored.path != request.path[:500]:
        raise Invalid.field(field, "was already used for another request; use a new key")
    if stored.body_hash != fingerprint:
        raise Invalid.field(field, "was already used with another body; use a new key")


def _replay(stored: IdempotencyRecord, fingerprint: str) -> Response:
    check_same_request(stored, fingerprint)
    headers = [("Idempotent-Replayed", "true")]
    if stored.etag:
        headers.append(("ETag", stored.etag))
    return raw_json(stored.response_body, stored.status, headers)


def _fingerprint() -> str:
    """Hash the request body: canonical JSON, or the uploaded file's bytes, or the raw body."""
    digest = hashlib.sha256()
    parsed = request.get_json(silent=True) if request.is_json else None
    if parsed is not None:
        digest.update(json.dumps(parsed, sort_keys=True, separators=(",", ":")).encode())
    elif "file" in request.files:
        upload = request.files["file"]
        digest.update((upload.filename or "").encode("utf-8", "surrogatepass") + b"\0")
        upload.stream.seek(0)  # the view may have read the file already: hash all of it
        digest.update(upload.stream.read())
        upload.stream.seek(0)
    else:
        digest.update(request.get_data())
    return digest.hexdigest()
