"""Closing (locking) the calibration of a unit for a period, and reopening it with a reason.

POST /units/{id}/calibration-closings closes it (201; 409 when a closing of the unit and
period stands); GET lists the unit's closings (`?period=`), each with the distribution at
closing beside the distribution now and the changes upheld objections made since;
POST /units/{id}/calibration-closings/{closing_id}/reopen reopens it with a reason. While a
closing stands, evaluation writes of its period for its unit's employees answer 409.
"""

from __future__ import annotations

from typing import Any

from flask import Response

from service.api import bp
from service.api.http import UNIT_ID
from service.api.http import listing
from service.api.http import rule_settings
from service.api.http import run
from service.api.idempotency import create
from service.api.openapi import responses
from service.api.openapi import spec
from service.api.schemas.calibration_closings import ClosingIn
from service.api.schemas.calibration_closings import ClosingList
from service.api.schemas.calibration_closings import ClosingOut
from service.api.schemas.calibration_closings import ClosingQuery
from service.api.schemas.calibration_closings import ReopenIn
from service.api.schemas.calibration_closings import closing_out
from service.api.schemas.common import IdempotencyHeader
from service.api.units import READERS
from service.auth.decorators import allow
from service.domain.calibration_closings import close_calibration
from service.domain.calibration_closings import list_closings
from service.domain.calibration_closings import reopen_calibration
from service.domain.entities import Role
from service.routing import id_segment

TAGS = ["units"]
CLOSING_ID = id_segment("closing_id")


@bp.post(f"/units/{UNIT_ID}/calibration-closings")
@allow(Role.ADMIN, Role.HR)
@spec.validate(
    headers=IdempotencyHeader, resp=responses(errors=(409,), HTTP_201=ClosingOut), tags=TAGS
)
def post_calibration_closing(unit_id: int, json: ClosingIn) -> Response:
    """Close the calibration of the unit and the units below it for a period (hr over the
    unit, admin): evaluations of that period of their employees are refused (409) until it
    is reopened, except an upheld objection's decision, recorded against the closing."""
    settings = rule_settings()
    return create(
        lambda s, a: closing_out(
            close_calibration(s, a, unit_id, json.period, json.note, settings)
        )
    )


@bp.get(f"/units/{UNIT_ID}/calibration-closings")
@allow(*READERS)
@spec.validate(resp=responses(HTTP_200=ClosingList), tags=TAGS)
def get_calibration_closings(unit_id: int, query: ClosingQuery) -> Any:
    """The unit's closings, the latest first: the distribution at closing and now, and the
    changes upheld objections made after closing (the data team: counts of at least five)."""
    page = run(list_closings, unit_id, query.period, query.limit, query.offset)
    return listing(ClosingList, page, closing_out)


@bp.post(f"/units/{UNIT_ID}/calibration-closings/{CLOSING_ID}/reopen")
@allow(Role.ADMIN, Role.HR)
@spec.validate(
    headers=IdempotencyHeader, resp=responses(errors=(409,), HTTP_200=ClosingOut), tags=TAGS
)
def post_calibration_reopening(unit_id: int, closing_id: int, json: ReopenIn) -> Response:
    """Reopen a standing closing with the reason (hr over the unit, admin); the closing is
    kept with who reopened it, when and why (409 when reopened already)."""
    return create(
        lambda s, a: closing_out(reopen_calibration(s, a, unit_id, closing_id, json.reason)),
        200,
    )
