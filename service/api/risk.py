"""Risk of a poor next period: one employee's answer, and a supervisor's team with coaching.

GET /employees/{id}/risk: self, supervisors above, hr, admin; reads of someone else's risk
are audited. GET /teams/me: the caller's direct reports, highest risk first, each with
coaching suggestions that cite the person's own evidence.
"""

from __future__ import annotations

from typing import Any

from flask import current_app

from service import serving
from service.api import bp
from service.api.http import EMPLOYEE_ID
from service.api.http import run
from service.api.openapi import responses
from service.api.openapi import spec
from service.api.schemas.risk import RiskOut
from service.api.schemas.risk import TeamOut
from service.auth.decorators import allow
from service.auth.policy import PEOPLE
from service.domain.risk import TEAM_ROLES
from service.domain.risk import employee_risk
from service.domain.risk import team_risk

TAGS = ["risk"]


def models() -> Any:
    """The app's model provider (created on first use if create_app did not add one)."""
    if "models" not in current_app.extensions:
        serving.init_app(current_app)
    return current_app.extensions["models"]


@bp.get(f"/employees/{EMPLOYEE_ID}/risk")
@allow(*PEOPLE)
@spec.validate(resp=responses(HTTP_200=RiskOut), tags=TAGS)
def get_risk(employee_id: int) -> Any:
    """Probability of a poor next-period predikat, the flag and the drivers behind it."""
    return RiskOut.model_validate(run(employee_risk, employee_id, models()))


@bp.get("/teams/me")
@allow(*TEAM_ROLES)
@spec.validate(resp=responses(HTTP_200=TeamOut), tags=TAGS)
def get_team() -> Any:
    """The caller's direct reports by risk, each with coaching suggestions."""
    items = run(team_risk, models())
    return TeamOut.model_validate({"items": items, "total": len(items)})
