"""POST /imports/attendance: daily attendance (CSV or XLSX), all rows or none."""

from __future__ import annotations

from flask import Response

from service.api import bp
from service.api.http import app_setting
from service.api.idempotency import create
from service.api.imports import ImportForm
from service.api.imports import file_import
from service.api.imports import uploaded_file
from service.api.openapi import responses
from service.api.openapi import spec
from service.api.schemas.attendance_allowance import AttendanceImportOut
from service.api.schemas.common import IdempotencyHeader
from service.auth.decorators import allow
from service.domain.attendance_import import import_attendance_file
from service.domain.attendance_rules import AttendanceRule
from service.domain.entities import Role


def attendance_rule() -> AttendanceRule:
    """Return the app's working-day rule, parsed once from its config."""
    return app_setting("attendance_rule", AttendanceRule.from_mapping)


@bp.post("/imports/attendance")
@allow(Role.ADMIN, Role.HR)
@spec.validate(
    form=ImportForm,
    headers=IdempotencyHeader,
    resp=responses(errors=(409,), HTTP_201=AttendanceImportOut),
    tags=["imports"],
)
@file_import
def post_attendance_import() -> Response:
    """Import daily attendance (`nip,date,check_in,check_out`); rebuilds the monthly summaries.

    422 lists every problem with its file row (header = row 1); a re-import of the same days
    replaces them. hr imports only for employees of its units.
    """
    content, filename = uploaded_file()
    rule = attendance_rule()
    return create(
        lambda s, a: AttendanceImportOut.model_validate(
            import_attendance_file(s, a, content, filename, rule)
        )
    )
