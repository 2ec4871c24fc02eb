"""Use cases of the risk model: one employee's risk, a supervisor's team, retrain jobs.

Reads of someone else's risk are audited (one row per employee). The answers come from the
model provider (`service.serving`), which falls back to the rule when no model is served.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from typing import Protocol

from sqlalchemy import event
from sqlalchemy.orm import Session

from service.auth import policy
from service.db.models import Employee
from service.db.models import ModelJob
from service.db.repositories import risk as repo
from service.domain.audit import Actor
from service.domain.audit import AuditAction
from service.domain.audit import record
from service.domain.audit import record_read
from service.domain.coaching import coaching_for
from service.domain.entities import Role
from service.domain.errors import Forbidden
from service.domain.errors import NotFound

RESOURCE = "risk"
JOB_RESOURCE = "model_job"
TEAM_ROLES = (Role.SUPERVISOR, Role.HR, Role.ADMIN)
MODEL_ROLES = (Role.DATA, Role.ADMIN)


class RiskModels(Protocol):
    """What the use cases need from the model provider."""

    def risk_for(self, session: Session, employee: Employee) -> dict[str, Any]: ...

    def assess(
        self, session: Session, employee: Employee
    ) -> tuple[dict[str, Any], dict[str, float]]: ...


def employee_risk(
    session: Session, actor: Actor, employee_id: int, models: RiskModels
) -> dict[str, Any]:
    """The risk answer of a visible employee (self, supervisors above, hr, admin)."""
    policy.require_role(actor, policy.PERSONAL_DATA_ROLES)
    employee = policy.visible_employee(session, actor, employee_id)
    record_read(session, actor, RESOURCE, employee.id)
    return models.risk_for(session, employee)


def _sort_key(item: dict[str, Any]) -> tuple[float, str]:
    probability = item["risk"]["probability"]
    return (-1.0 if probability is None else -probability, item["name"])


def team_risk(session: Session, actor: Actor, models: RiskModels) -> list[dict[str, Any]]:
    """The caller's direct reports, highest risk first, each with coaching suggestions."""
    policy.require_role(actor, TEAM_ROLES)
    if actor.employee_id is None:
        raise Forbidden("your login is not linked to an employee, so you have no team")
    items = []
    for employee in repo.direct_reports(session, actor.employee_id):
        answer, features = models.assess(session, employee)
        record_read(session, actor, RESOURCE, employee.id)
        coaching = coaching_for(features, answer["drivers"]) if answer["status"] == "ok" else []
        items.append(
            {
                "employee_id": employee.id,
                "name": employee.name,
                "risk": answer,
                "coaching": coaching,
            }
        )
    return sorted(items, key=_sort_key)


def request_retrain(
    session: Session, actor: Actor, params: dict[str, Any], launch: Callable[[int], None]
) -> ModelJob:
    """Queue a retrain job; `launch(job_id)` runs once the job row is committed."""
    policy.require_role(actor, MODEL_ROLES)
    job = repo.add_job(session, actor.user_id, params)
    record(session, actor, AuditAction.CREATE, JOB_RESOURCE, resource_id=job.id)
    event.listen(session, "after_commit", lambda _session: launch(job.id), once=True)
    return job


def read_job(session: Session, actor: Actor, job_id: int) -> ModelJob:
    """One retrain job (data, admin); 404 when unknown."""
    policy.require_role(actor, MODEL_ROLES)
    job = repo.get_job(session, job_id)
    if job is None:
        raise NotFound(f"no model job {job_id}")
    return job
