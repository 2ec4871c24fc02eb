"""GET /units/{id}/allowance (JSON) and /units/{id}/allowance/export (CSV, XLSX) for payroll."""

from __future__ import annotations

from typing import Any

from flask import Response

from service.api import bp
from service.api.exports import MEDIA_TYPES
from service.api.http import UNIT_ID
from service.api.http import app_setting
from service.api.http import run
from service.api.openapi import responses
from service.api.openapi import spec
from service.api.schemas.attendance_allowance import AllowanceExportQuery
from service.api.schemas.attendance_allowance import AllowanceLineOut
from service.api.schemas.attendance_allowance import AllowanceList
from service.api.schemas.attendance_allowance import AllowanceQuery
from service.auth.decorators import allow
from service.domain.allowance import AllowanceRules
from service.domain.allowance import load_rules
from service.domain.allowance_report import export_allowance
from service.domain.allowance_report import unit_allowance
from service.domain.entities import Role

TAGS = ["allowance"]


def allowance_rules() -> AllowanceRules:
    """Return the app's allowance rules, read once from KINERJA_ALLOWANCE_RULES."""
    return app_setting("allowance_rules", load_rules)


@bp.get(f"/units/{UNIT_ID}/allowance")
@allow(Role.ADMIN, Role.HR)
@spec.validate(resp=responses(HTTP_200=AllowanceList), tags=TAGS)
def get_allowance(unit_id: int, query: AllowanceQuery) -> Any:
    """The performance part of the allowance, in %, per employee of the unit and subunits.

    From the predikat and the attendance of the period under the agency's configured rule;
    a null percentage comes with the status saying what is missing (a person decides).
    """
    rules = allowance_rules()
    page = run(unit_allowance, unit_id, query.period, rules, query.limit, query.offset)
    items = [AllowanceLineOut.model_validate(line) for line in page.items]
    return AllowanceList(
        unit_id=unit_id,
        period=query.period,
        rules_source=rules.source,
        items=items,
        total=page.total,
    )


@bp.get(f"/units/{UNIT_ID}/allowance/export")
@allow(Role.ADMIN, Role.HR)
@spec.validate(resp=responses(HTTP_200=None), tags=TAGS)
def export_unit_allowance(unit_id: int, query: AllowanceExportQuery) -> Response:
    """Download every line of the unit for payroll as CSV or XLSX (percentages, no amounts)."""
    fmt = query.format.value
    content = run(export_allowance, unit_id, query.period, fmt, allowance_rules())
    response = Response(content, mimetype=MEDIA_TYPES[fmt])
    filename = f"allowance-unit{unit_id}-{query.period}.{fmt}"
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
