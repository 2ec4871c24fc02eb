"""The personal-data export: each table's rows about one employee."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from service.api.schemas.common import Moment
from service.api.schemas.common import Out


class PersonalDataOut(Out):
    employee_id: int
    generated_at: Moment
    sections: dict[str, list[dict[str, Any]]] = Field(
        description="per table (employee, skps, evaluations, objections, attendance_days, "
        "risk_scores, ...), its rows about the employee, column -> value"
    )
