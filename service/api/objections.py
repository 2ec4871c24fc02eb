"""Objections (*keberatan*): the employee objects to an evaluation, the rater's superior
decides (upheld with new ratings, or rejected), or the employee withdraws it."""

from __future__ import annotations

from typing import Any

from flask import Response

from service.api import bp
from service.api.http import EVALUATION_ID
from service.api.http import app_setting
from service.api.http import etag
from service.api.http import if_match
from service.api.http import listing
from service.api.http import run
from service.api.idempotency import create
from service.api.openapi import responses
from service.api.openapi import spec
from service.api.schemas.common import IdempotencyHeader
from service.api.schemas.common import IfMatchHeader
from service.api.schemas.objections import ObjectionIn
from service.api.schemas.objections import ObjectionList
from service.api.schemas.objections import ObjectionOut
from service.api.schemas.objections import ObjectionPatch
from service.api.schemas.objections import ObjectionQuery
from service.api.schemas.objections import objection_out
from service.auth.decorators import allow
from service.auth.policy import PEOPLE
from service.domain.objection_terms import ObjectionStatus
from service.domain.objections import ObjectionSettings
from service.domain.objections import close_objection
from service.domain.objections import file_objection
from service.domain.objections import list_objections
from service.domain.objections import read_objection
from service.routing import id_segment

TAGS = ["objections"]
OBJECTION_ID = id_segment("objection_id")


def objection_settings() -> ObjectionSettings:
    """The app's objection window, parsed once from its config."""
    return app_setting("objection_settings", ObjectionSettings.from_mapping)


@bp.post(f"/evaluations/{EVALUATION_ID}/objections")
@allow(*PEOPLE)
@spec.validate(
    headers=IdempotencyHeader, resp=responses(errors=(409,), HTTP_201=ObjectionOut), tags=TAGS
)
def post_objection(evaluation_id: int, json: ObjectionIn) -> Response:
    """Object to your own evaluation, with reasons, within KINERJA_OBJECTION_WINDOW_DAYS of
    its last change (409 after, or when it already has an objection)."""
    settings = objection_settings()
    return create(
        lambda s, a: objection_out(file_objection(s, a, evaluation_id, json.reason, settings))
    )


@bp.get("/objections")
@allow(*PEOPLE)
@spec.validate(resp=responses(HTTP_200=ObjectionList), tags=TAGS)
def get_objections(query: ObjectionQuery) -> Any:
    """Objections you see (your own, of the people you see) or decide, newest first;
    `?status=pending` is a decider's inbox."""
    page = run(list_objections, query.status, query.limit, query.offset)
    return listing(ObjectionList, page, objection_out)


@bp.get(f"/objections/{OBJECTION_ID}")
@allow(*PEOPLE)
@spec.validate(resp=responses(HTTP_200=ObjectionOut), tags=TAGS)
def get_objection(objection_id: int) -> Any:
    """One objection with the evaluation as it stands, and its ETag."""
    view = run(read_objection, objection_id)
    return objection_out(view), 200, etag(view.found.objection.version)


@bp.patch(f"/objections/{OBJECTION_ID}")
@allow(*PEOPLE)
@spec.validate(
    headers=IfMatchHeader,
    resp=responses(errors=(409, 412, 428), HTTP_200=ObjectionOut),
    tags=TAGS,
)
def patch_objection(objection_id: int, json: ObjectionPatch) -> Any:
    """Decide (the rater's superior: `upheld` with the new ratings, or `rejected`, each with
    a `decision_note`) or withdraw (the employee) a pending objection; needs If-Match."""
    view = run(
        close_objection,
        objection_id,
        if_match(),
        ObjectionStatus(json.status),
        json.decision_note,
        json.ratings(),
    )
    return objection_out(view), 200, etag(view.found.objection.version)
