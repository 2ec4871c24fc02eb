"""The personal-data export (UU 27/2022: access, copy, portability): everything the service
holds about one employee, for the employee or an admin on their request."""

from __future__ import annotations

from typing import Any

from service.api import bp
from service.api.http import EMPLOYEE_ID
from service.api.http import run
from service.api.openapi import responses
from service.api.openapi import spec
from service.api.schemas.personal_data import PersonalDataOut
from service.auth.decorators import allow
from service.auth.policy import PEOPLE
from service.domain.personal_data import export_personal_data

TAGS = ["personal-data"]


@bp.get(f"/employees/{EMPLOYEE_ID}/personal-data")
@allow(*PEOPLE)
@spec.validate(resp=responses(HTTP_200=PersonalDataOut), tags=TAGS)
def get_personal_data(employee_id: int) -> Any:
    """Your own records, table by table, machine-readable (an admin: anyone's, on their
    recorded request); audited as an export. Password hashes, the risk model's feature
    bytes and who answered what in 360 feedback are left out."""
    data = run(export_personal_data, employee_id)
    return PersonalDataOut.model_validate(data)
