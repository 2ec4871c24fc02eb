"""Organisation units (a tree) and their grade per period with the distribution check."""

from __future__ import annotations

from typing import Any

from flask import Response

from service.api import bp
from service.api.http import UNIT_ID
from service.api.http import etag
from service.api.http import if_match
from service.api.http import listing
from service.api.http import rule_settings
from service.api.http import run
from service.api.idempotency import create
from service.api.openapi import responses
from service.api.openapi import spec
from service.api.schemas.common import IdempotencyHeader
from service.api.schemas.common import IfMatchHeader
from service.api.schemas.common import PageQuery
from service.api.schemas.organisation import UnitIn
from service.api.schemas.organisation import UnitList
from service.api.schemas.organisation import UnitOut
from service.api.schemas.organisation import UnitPatch
from service.api.schemas.performance import UnitGradeIn
from service.api.schemas.performance import UnitGradeOut
from service.api.schemas.performance import UnitGradePatch
from service.auth import policy
from service.auth.decorators import allow
from service.domain.entities import Role
from service.domain.organisation import create_unit
from service.domain.organisation import list_units
from service.domain.organisation import update_unit
from service.domain.unit_grades import GradeReport
from service.domain.unit_grades import set_unit_grade
from service.domain.unit_grades import unit_grade_report
from service.domain.unit_grades import update_unit_grade

READERS = (Role.ADMIN, Role.HR, Role.DATA)
TAGS = ["units"]


@bp.get("/units")
@allow(*READERS)
@spec.validate(resp=responses(HTTP_200=UnitList), tags=TAGS)
def get_units(query: PageQuery) -> Any:
    """List the units you see (hr: its unit and the units below it)."""
    page = run(list_units, query.limit, query.offset)
    return listing(UnitList, page, UnitOut.model_validate)


@bp.post("/units")
@allow(Role.ADMIN, Role.HR)
@spec.validate(
    headers=IdempotencyHeader, resp=responses(errors=(409,), HTTP_201=UnitOut), tags=TAGS
)
def post_unit(json: UnitIn) -> Response:
    """Add a unit (hr: only below one of its units)."""
    fields = json.model_dump()
    return create(lambda s, a: UnitOut.model_validate(create_unit(s, a, **fields)))


@bp.get(f"/units/{UNIT_ID}")
@allow(*READERS)
@spec.validate(resp=responses(HTTP_200=UnitOut), tags=TAGS)
def get_unit(unit_id: int) -> Any:
    """Return one unit with its ETag."""
    unit = run(policy.visible_unit, unit_id)
    return UnitOut.model_validate(unit), 200, etag(unit.version)


@bp.patch(f"/units/{UNIT_ID}")
@allow(Role.ADMIN, Role.HR)
@spec.validate(
    headers=IfMatchHeader,
    resp=responses(errors=(409, 412, 428), HTTP_200=UnitOut),
    tags=TAGS,
)
def patch_unit(unit_id: int, json: UnitPatch) -> Any:
    """Rename, recode or move a unit (hr: within its units); needs If-Match."""
    changes = json.model_dump(exclude_unset=True)
    unit = run(update_unit, unit_id, if_match(), changes)
    return UnitOut.model_validate(unit), 200, etag(unit.version)


@bp.post(f"/units/{UNIT_ID}/grades")
@allow(Role.ADMIN, Role.HR)
@spec.validate(
    headers=IdempotencyHeader, resp=responses(errors=(409,), HTTP_201=UnitGradeOut), tags=TAGS
)
def post_unit_grade(unit_id: int, json: UnitGradeIn) -> Response:
    """Set the unit's organisation grade for a period; the answer lists distribution warnings."""
    settings = rule_settings()
    return create(
        lambda s, a: grade_out(
            set_unit_grade(s, a, unit_id, json.period, json.grade, settings, json.basis)
        )
    )


@bp.get(f"/units/{UNIT_ID}/grades/<period>")
@allow(*READERS)
@spec.validate(resp=responses(HTTP_200=UnitGradeOut), tags=TAGS)
def get_unit_grade(unit_id: int, period: str) -> Any:
    """Return the unit's grade, its employees' predikat counts and the distribution warnings,
    with the grade's ETag."""
    report = run(unit_grade_report, unit_id, period, rule_settings())
    return grade_out(report), 200, etag(report.grade.version)


@bp.patch(f"/units/{UNIT_ID}/grades/<period>")
@allow(Role.ADMIN, Role.HR)
@spec.validate(
    headers=IfMatchHeader,
    resp=responses(errors=(412, 428), HTTP_200=UnitGradeOut),
    tags=TAGS,
)
def patch_unit_grade(unit_id: int, period: str, json: UnitGradePatch) -> Any:
    """Correct the unit's grade or its basis (hr: within its units); needs If-Match. The
    answer lists the distribution warnings against the corrected grade."""
    changes = json.model_dump(exclude_unset=True)
    report = run(update_unit_grade, unit_id, period, if_match(), changes, rule_settings())
    return grade_out(report), 200, etag(report.grade.version)


def grade_out(report: GradeReport) -> UnitGradeOut:
    """Serialize a grade report (aggregated: counts only, no names)."""
    row = report.grade
    return UnitGradeOut(
        id=row.id,
        unit_id=row.unit_id,
        period=row.period,
        grade=row.grade,
        basis=row.basis,
        set_by_id=row.set_by_id,
        version=row.version,
        size=report.size,
        counts=report.counts,
        warnings=[warning.__dict__ for warning in report.warnings],
        withheld=report.withheld,
    )
