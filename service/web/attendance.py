"""`/imports/attendance`: HR uploads an attendance machine's daily export (CSV or XLSX).

The form sends the file to `import_attendance_file`, the use case behind
`POST /api/v1/imports/attendance`: all rows or none, each refused row listed with its file
row, hr only for employees of its units, the monthly summaries rebuilt.
"""

from __future__ import annotations

from flask import flash
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from service.api.attendance_import import attendance_rule
from service.db import get_session
from service.domain.attendance_import import COLUMNS
from service.domain.attendance_import import import_attendance_file
from service.domain.entities import Role
from service.domain.errors import FieldError
from service.domain.errors import Invalid
from service.web import bp
from service.web.session import actor
from service.web.session import login_required

#: Refused rows listed on the page; the rest are counted.
SHOWN_ERRORS = 50
IMPORTERS = (Role.ADMIN, Role.HR)


@bp.get("/imports/attendance")
@login_required(*IMPORTERS)
def attendance_import() -> str:
    """Show the upload form."""
    return render_template("web/attendance_import.html", errors=[], hidden=0)


@bp.post("/imports/attendance")
@login_required(*IMPORTERS)
def submit_attendance_import() -> Response | tuple[str, int]:
    """Import the uploaded file, or list why no row was stored."""
    session = get_session()
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        missing = [_("Choose the CSV or XLSX file of the attendance machine.")]
        return render_template("web/attendance_import.html", errors=missing, hidden=0), 422
    try:
        result = import_attendance_file(
            session, actor(), upload.read(), upload.filename, attendance_rule()
        )
    except Invalid as exc:
        session.rollback()
        errors = [describe(error) for error in exc.errors[:SHOWN_ERRORS]]
        hidden = len(exc.errors) - len(errors)
        page = render_template("web/attendance_import.html", errors=errors, hidden=hidden)
        return page, exc.status
    session.commit()
    flash(
        _(
            "%(count)s attendance days of %(employees)s employees imported; %(months)s monthly "
            "summaries rebuilt.",
            count=result.count,
            employees=result.employees,
            months=result.months,
        ),
        "success",
    )
    return redirect(url_for("web.attendance_import"), code=303)


def describe(error: FieldError) -> str:
    """One refused field or row as the page lists it (the domain's words, with its row and
    column: a row can have several refused cells)."""
    if error.row is not None and error.field in COLUMNS:
        return _(
            "Row %(row)s, column %(column)s: %(message)s",
            row=error.row,
            column=error.field,
            message=error.message,
        )
    if error.row is not None:
        return _("Row %(row)s: %(message)s", row=error.row, message=error.message)
    return error.message
