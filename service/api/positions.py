"""Positions (jabatan) with their competency standard (standar kompetensi jabatan)."""

from __future__ import annotations

from typing import Any

from flask import Response

from service.api import bp
from service.api.http import POSITION_ID
from service.api.http import etag
from service.api.http import if_match
from service.api.http import run
from service.api.idempotency import create
from service.api.openapi import responses
from service.api.openapi import spec
from service.api.schemas.common import IdempotencyHeader
from service.api.schemas.common import IfMatchHeader
from service.api.schemas.common import PageQuery
from service.api.schemas.organisation import PositionIn
from service.api.schemas.organisation import PositionList
from service.api.schemas.organisation import PositionOut
from service.api.schemas.organisation import PositionPatch
from service.api.schemas.organisation import position_out
from service.auth.decorators import allow
from service.db import get_session
from service.db.repositories import organisation as repo
from service.domain.entities import Role
from service.domain.errors import NotFound
from service.domain.organisation import PositionDetail
from service.domain.organisation import create_position
from service.domain.organisation import position_detail
from service.domain.organisation import position_details
from service.domain.organisation import update_position

TAGS = ["positions"]


def _out(detail: PositionDetail) -> PositionOut:
    return position_out(detail.position, detail.standards)


@bp.get("/positions")
@allow(Role.ADMIN, Role.HR)
@spec.validate(resp=responses(HTTP_200=PositionList), tags=TAGS)
def get_positions(query: PageQuery) -> Any:
    """List positions with their competency standards."""
    session = get_session()
    page = repo.list_positions(session, query.limit, query.offset)
    items = [_out(detail) for detail in position_details(session, page.items)]
    return PositionList(items=items, total=page.total)


@bp.post("/positions")
@allow(Role.ADMIN, Role.HR)
@spec.validate(
    headers=IdempotencyHeader, resp=responses(errors=(409,), HTTP_201=PositionOut), tags=TAGS
)
def post_position(json: PositionIn) -> Response:
    """Add a position with its competency standard."""
    fields = json.model_dump()
    return create(lambda s, a: _out(create_position(s, a, **fields)))


@bp.get(f"/positions/{POSITION_ID}")
@allow(Role.ADMIN, Role.HR)
@spec.validate(resp=responses(HTTP_200=PositionOut), tags=TAGS)
def get_position(position_id: int) -> Any:
    """Return one position with its standard and ETag."""
    detail = position_detail(get_session(), position_id)
    if detail is None:
        raise NotFound(f"no position {position_id}")
    return _out(detail), 200, etag(detail.position.version)


@bp.patch(f"/positions/{POSITION_ID}")
@allow(Role.ADMIN, Role.HR)
@spec.validate(
    headers=IfMatchHeader,
    resp=responses(errors=(412, 428), HTTP_200=PositionOut),
    tags=TAGS,
)
def patch_position(position_id: int, json: PositionPatch) -> Any:
    """Change a position; `competency_standards` replaces its standard. Needs If-Match."""
    changes = json.model_dump(exclude_unset=True)
    detail = run(update_position, position_id, if_match(), changes)
    return _out(detail), 200, etag(detail.position.version)
