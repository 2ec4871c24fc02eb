"""GET /units/{id}/evaluations/export: a unit's evaluations of a period as CSV or XLSX."""

from __future__ import annotations

from flask import Response

from service.api import bp
from service.api.http import UNIT_ID
from service.api.http import run
from service.api.openapi import responses
from service.api.openapi import spec
from service.api.schemas.access import ExportQuery
from service.auth.decorators import allow
from service.domain.entities import Role
from service.domain.evaluations import export_unit_evaluations

MEDIA_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


@bp.get(f"/units/{UNIT_ID}/evaluations/export")
@allow(Role.ADMIN, Role.HR)
@spec.validate(resp=responses(HTTP_200=None), tags=["exports"])
def export_unit(unit_id: int, query: ExportQuery) -> Response:
    """Download the unit's (and its subunits') evaluations; the file imports back as is."""
    fmt = query.format.value
    content = run(export_unit_evaluations, unit_id, query.period, fmt)
    filename = f"evaluations-unit{unit_id}-{query.period}.{fmt}"
    response = Response(content, content_type=MEDIA_TYPES[fmt])  # CSV's names its charset
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
