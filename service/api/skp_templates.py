"""A position's SKP template (PUT, GET, DELETE) and the bulk drafting of a unit's SKPs."""

from __future__ import annotations

from typing import Any

from flask import Response

from service.api import bp
from service.api.http import POSITION_ID
from service.api.http import UNIT_ID
from service.api.http import etag
from service.api.http import if_match
from service.api.http import run
from service.api.idempotency import create
from service.api.openapi import responses
from service.api.openapi import spec
from service.api.schemas.common import IdempotencyHeader
from service.api.schemas.common import IfMatchHeader
from service.api.schemas.skp_templates import SkpTemplateIn
from service.api.schemas.skp_templates import SkpTemplateOut
from service.api.schemas.skp_templates import UnitSkpsIn
from service.api.schemas.skp_templates import UnitSkpsOut
from service.auth.decorators import allow
from service.domain.entities import Role
from service.domain.skp_templates import Drafting
from service.domain.skp_templates import delete_template
from service.domain.skp_templates import draft_unit_skps
from service.domain.skp_templates import put_template
from service.domain.skp_templates import read_template

TAGS = ["skp"]
TEMPLATE = f"/positions/{POSITION_ID}/skp-template"


def drafting_out(result: Drafting) -> UnitSkpsOut:
    skipped = [{"employee_id": s.employee_id, "reason": s.reason} for s in result.skipped]
    return UnitSkpsOut.model_validate(
        {"id": result.id, "created": result.created, "skipped": skipped}
    )


@bp.get(TEMPLATE)
@allow(Role.ADMIN, Role.HR)
@spec.validate(resp=responses(HTTP_200=SkpTemplateOut), tags=TAGS)
def get_skp_template(position_id: int) -> Any:
    """Return the position's SKP template with its ETag (404 when it has none)."""
    template = run(read_template, position_id)
    return SkpTemplateOut.model_validate(template), 200, etag(template.version)


@bp.put(TEMPLATE)
@allow(Role.ADMIN, Role.HR)
@spec.validate(
    headers=IfMatchHeader,
    resp=responses(errors=(412, 428), HTTP_200=SkpTemplateOut, HTTP_201=SkpTemplateOut),
    tags=TAGS,
)
def put_skp_template(position_id: int, json: SkpTemplateIn) -> Any:
    """Write the SKP the position's holders start from: model, approach, and the RHK with
    their indicators, checked as an SKP's own (a main RHK; a target on every indicator).

    201 when the position had none (If-Match optional), 200 when it replaces one (needs
    If-Match). hr writes the templates of positions in its units or of no unit.
    """
    fields = json.model_dump(mode="json")
    template, created = run(put_template, position_id, if_match(), fields)
    return SkpTemplateOut.model_validate(template), 201 if created else 200, etag(template.version)


@bp.delete(TEMPLATE)
@allow(Role.ADMIN, Role.HR)
@spec.validate(headers=IfMatchHeader, resp=responses(errors=(412, 428), HTTP_204=None), tags=TAGS)
def delete_skp_template(position_id: int) -> Response:
    """Remove the position's SKP template (needs If-Match); plans drafted from it stay."""
    run(delete_template, position_id, if_match())
    return Response(status=204)


@bp.post(f"/units/{UNIT_ID}/skps")
@allow(Role.ADMIN, Role.HR)
@spec.validate(headers=IdempotencyHeader, resp=responses(HTTP_201=UnitSkpsOut), tags=TAGS)
def post_unit_skps(unit_id: int, json: UnitSkpsIn) -> Response:
    """Draft the year's SKP of every active employee of the unit (and, by default, of the
    units below it) who has none, from their position's template, rated by their direct
    supervisor; all in one transaction, one audit row per plan.

    The answer is the stored run (`id`): it counts the plans made and names everyone
    skipped with the reason (`has_skp`, `no_template`, `no_supervisor`,
    `supervisor_inactive`): a second run drafts nothing.
    """
    return create(
        lambda s, a: drafting_out(draft_unit_skps(s, a, unit_id, json.year, json.include_subunits))
    )
