"""Risk of a poor next period: one employee's answer, and a supervisor's team with coaching.

GET /employees/{id}/risk: self, supervisors above, hr, admin; reads of someone else's risk
are audited. GET /teams/me?limit=&offset=: one page of the caller's direct reports, highest
risk first, each with coaching suggestions that cite the person's own evidence; `total`
counts the whole team. The team is ranked from fresh batch scores (`kinerja score`) or in
one live batch (`service.serving.team`); only the page's members are audited.

A single read reads the change counter first (`allow(fresh=True)`): its token, the access
decision and the stored answer are reused from this worker's memo at that generation, and
its audit row is committed on its own as the answer is made (no session transaction).
When all of that is in the memo, `service.api.fast_risk` answers in front of Flask with the
same functions, and the same bytes.
"""

from __future__ import annotations

from typing import Any

from service.api import bp
from service.api.fast_risk import risk_out
from service.api.http import EMPLOYEE_ID
from service.api.http import listing
from service.api.http import rule_settings
from service.api.http import run
from service.api.openapi import responses
from service.api.openapi import spec
from service.api.schemas.common import PageQuery
from service.api.schemas.risk import RiskOut
from service.api.schemas.risk import TeamMemberOut
from service.api.schemas.risk import TeamOut
from service.auth.decorators import allow
from service.auth.decorators import request_memo
from service.auth.policy import PEOPLE
from service.domain.risk import TEAM_ROLES
from service.domain.risk import employee_risk
from service.domain.risk import team_risk
from service.serving import provider

TAGS = ["risk"]


@bp.get(f"/employees/{EMPLOYEE_ID}/risk")
@allow(*PEOPLE, fresh=True)
@spec.validate(resp=responses(HTTP_200=RiskOut), tags=TAGS)
def get_risk(employee_id: int) -> Any:
    """Probability of a poor next-period predikat, the flag and the drivers behind it."""
    answer = run(employee_risk, employee_id, provider(), request_memo(), audit_now=True)
    return risk_out(answer)


@bp.get("/teams/me")
@allow(*TEAM_ROLES)
@spec.validate(resp=responses(HTTP_200=TeamOut), tags=TAGS)
def get_team(query: PageQuery) -> Any:
    """One page of the caller's direct reports by risk, each with coaching suggestions."""
    page = run(team_risk, provider(), query.limit, query.offset, settings=rule_settings())
    return listing(TeamOut, page, TeamMemberOut.model_validate)
