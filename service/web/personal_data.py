"""`/employees/<id>/personal-data.json`: the personal-data export of
`GET /api/v1/employees/{id}/personal-data` as a file to keep, from the employee page."""

from __future__ import annotations

from flask import Response

from service.api.schemas.personal_data import PersonalDataOut
from service.auth.policy import PEOPLE
from service.db import get_session
from service.domain.personal_data import export_personal_data
from service.routing import id_segment
from service.web import bp
from service.web.session import actor
from service.web.session import login_required

EMPLOYEE_ID = id_segment("employee_id")


@bp.get(f"/employees/{EMPLOYEE_ID}/personal-data.json")
@login_required(*PEOPLE)
def personal_data(employee_id: int) -> Response:
    """Download every record about oneself (an admin: anyone's, on their request)."""
    session = get_session()
    data = export_personal_data(session, actor(), employee_id)
    session.commit()  # the export's audit row
    body = PersonalDataOut.model_validate(data).model_dump_json(indent=1)
    name = f"kinerja-personal-data-{employee_id}.json"
    headers = {"Content-Disposition": f'attachment; filename="{name}"'}
    return Response(body, mimetype="application/json", headers=headers)
