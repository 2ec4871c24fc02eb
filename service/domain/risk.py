"""Use cases of the risk model: one employee's risk, a supervisor's team, retrain jobs.

Reads of someone else's risk are audited (one row per employee). The answers come from the
model provider (`service.serving`), which falls back to the rule when no model is served.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any
from typing import Protocol

from sqlalchemy import event
from sqlalchemy.orm import Session

from service.auth import policy
from service.auth.memo import MemoAt
from service.db.models import ModelJob
from service.db.repositories import Page
from service.db.repositories import development as development_repo
from service.db.repositories import risk as repo
from service.domain.audit import Actor
from service.domain.audit import AuditAction
from service.domain.audit import record
from service.domain.audit import record_read
from service.domain.audit import record_read_now
from service.domain.audit import record_reads
from service.domain.coaching import coaching_for
from service.domain.development import jp_minimum
from service.domain.entities import Role
from service.domain.errors import Forbidden
from service.domain.errors import Invalid
from service.domain.errors import NotFound
from service.domain.periods import today_in_indonesia
from service.domain.retrain_params import checked_params
from service.domain.settings import RuleSettings
from service.serving.history import Person
from service.serving.team import rank_key

RESOURCE = "risk"
JOB_RESOURCE = "model_job"
TEAM_ROLES = (Role.SUPERVISOR, Role.HR, Role.ADMIN)
MODEL_ROLES = (Role.DATA, Role.ADMIN)
#: Members per page of a team (API.md: lists default to at least 50).
TEAM_PAGE_SIZE = 50


class TeamRanking(Protocol):
    """A team in risk order (highest first): its size, pages of it, answers on demand."""

    total: int

    def page(self, limit: int, offset: int) -> list[Any]:
        """Members (`id`, `name`) of one page, in risk order."""
        ...

    def assess(self, employee_ids: list[int]) -> list[tuple[dict[str, Any], dict[str, float]]]:
        """The risk answer and the feature values of each of `employee_ids`, in order."""
        ...


class RiskModels(Protocol):
    """What the use cases need from the model provider.

    `risk_for` reads the employee's `id` (and, answering live, `hire_date` and `grade`), so
    it is handed the employee's card row (`policy.visible_employee_card`), not the ORM object.
    """

    def risk_for(
        self, session: Session, employee: Person, memo: MemoAt | None = None
    ) -> dict[str, Any]: ...

    def rank(self, session: Session, supervisor_id: int) -> TeamRanking: ...


def employee_risk(
    session: Session,
    actor: Actor,
    employee_id: int,
    models: RiskModels,
    memo: MemoAt | None = None,
    audit_now: bool = False,
) -> dict[str, Any]:
    """The risk answer of a visible employee (self, supervisors above, hr, admin).

    `memo`: this worker's access decisions and stored answers at the change generation the
    request read (`service.auth.memo`). Every read of someone else's risk is audited
    (UU 27/2022): with `audit_now` (the API's read, which has nothing else to commit) the row
    is committed once the answer is made, without a session transaction; otherwise it is
    queued for the caller's commit (a page that shows the risk among other things).
    """
    answer = visible_risk(session, actor, employee_id, models, memo)
    audit_risk_read(session, actor, employee_id, now=audit_now)
    return answer


def visible_risk(
    session: Session,
    actor: Actor,
    employee_id: int,
    models: RiskModels,
    memo: MemoAt | None = None,
) -> dict[str, Any]:
    """`employee_risk` before its audit: every access decision, then the answer.

    Apart for the API's fast path (`service.api.fast_risk`), which makes the body before it
    audits so that any failure before the row hands the request, untouched, to Flask.
    """
    policy.require_role(actor, policy.PERSONAL_DATA_ROLES)
    card = policy.visible_employee_card(session, actor, employee_id, memo)
    return models.risk_for(session, card, memo)


def audit_risk_read(session: Session, actor: Actor, employee_id: int, now: bool) -> None:
    """Audit a risk read of `employee_id` (none for one's own): committed `now`, or queued
    for the session's commit."""
    audit = record_read_now if now else record_read
    audit(session, actor, RESOURCE, employee_id)


def _item_key(item: dict[str, Any]) -> tuple[int, float, str]:
    return rank_key(item["risk"]["probability"], item["name"])


def team_risk(
    session: Session,
    actor: Actor,
    models: RiskModels,
    limit: int = TEAM_PAGE_SIZE,
    offset: int = 0,
    *,
    settings: RuleSettings | None = None,
) -> Page[dict[str, Any]]:
    """One page of the caller's direct reports, highest risk first, with coaching.

    The whole team is ranked (from stored batch scores or one live batch, see
    `service.serving.team`); only the page's members are explained, given coaching and
    audited (one row each, one INSERT): their answers are what the caller reads. Coaching
    holds each member to their own yearly JP minimum under `settings` (none for PPPK), and
    counts the JP of the year up to today: the features stop at the answered quarter's end,
    so a programme completed since would not show.
    """
    policy.require_role(actor, TEAM_ROLES)
    if actor.employee_id is None:
        raise Forbidden("your login is not linked to an employee, so you have no team")
    if limit < 1:
        raise Invalid.field("limit", f"must be at least 1; got {limit}")
    if offset < 0:
        raise Invalid.field("offset", f"must be at least 0; got {offset}")
    ranking = models.rank(session, actor.employee_id)
    page = ranking.page(limit, offset)
    assessed = ranking.assess([member.id for member in page])
    record_reads(session, actor, RESOURCE, [member.id for member in page])
    ids = [member.id for member in page]
    statuses = development_repo.employment_statuses(session, ids)
    today = today_in_indonesia()
    jp_year = development_repo.jp_completed(session, ids, today - timedelta(days=364), today)
    settings = settings or RuleSettings()
    items = [
        _member(
            member.id,
            member.name,
            answer,
            {**features, "jp_last_year": jp_year.get(member.id, 0.0)},
            jp_minimum(statuses[member.id], settings),
        )
        for member, (answer, features) in zip(page, assessed, strict=True)
    ]
    return Page(sorted(items, key=_item_key), ranking.total)


def _member(
    employee_id: int,
    name: str,
    answer: dict[str, Any],
    features: dict[str, float],
    jp_required: float,
) -> dict[str, Any]:
    """One team list item: the risk answer and coaching that cites the member's evidence."""
    coaching = (
        coaching_for(features, answer["drivers"], jp_minimum=jp_required)
        if answer["status"] == "ok"
        else []
    )
    return {"employee_id": employee_id, "name": name, "risk": answer, "coaching": coaching}


def request_retrain(
    session: Session, actor: Actor, params: dict[str, Any], launch: Callable[[int], None]
) -> ModelJob:
    """Queue a retrain job; `launch(job_id)` runs once the job row is committed."""
    policy.require_role(actor, MODEL_ROLES)
    job = repo.add_job(session, actor.user_id, checked_params(params))
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
