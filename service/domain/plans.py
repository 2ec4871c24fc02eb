"""Use cases for the performance plan (SKP): the employee drafts and submits it with its RHK
and indicators, the appointed rater approves it, then realisations with evidence are recorded
per period on its indicators.

Status flow: draft -> diajukan (submitted by the employee) -> ditetapkan (approved by the
rater). Realisations need an approved plan.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from service.auth import policy
from service.db.models import Employee
from service.db.models import Evidence
from service.db.models import Indicator
from service.db.models import Realisation
from service.db.models import Rhk
from service.db.models import Skp
from service.db.repositories import Page
from service.db.repositories import organisation as org_repo
from service.db.repositories import performance as repo
from service.domain.audit import Actor
from service.domain.audit import AuditAction
from service.domain.audit import record
from service.domain.audit import record_read
from service.domain.entities import SkpStatus
from service.domain.errors import Conflict
from service.domain.errors import Forbidden
from service.domain.errors import Invalid
from service.domain.evaluation_input import ensure_period
from service.domain.organisation import check_version
from service.domain.periods import parse_period

RESOURCE = "skp"


@dataclass(frozen=True)
class RhkDetail:
    rhk: Rhk
    indicators: list[Indicator]


@dataclass(frozen=True)
class SkpDetail:
    """An SKP with its RHK, each with its indicators."""

    skp: Skp
    rhks: list[RhkDetail]


@dataclass(frozen=True)
class RealisationDetail:
    realisation: Realisation
    evidence: list[Evidence]


def create_skp(
    session: Session,
    actor: Actor,
    employee_id: int,
    year: int,
    rhks: list[Mapping[str, Any]],
    **options: Any,
) -> SkpDetail:
    """Draft the caller's own SKP for `year` (rater defaults to the direct supervisor)."""
    employee = policy.own_employee(session, actor, employee_id)
    position_id = options.get("position_id") or employee.position_id
    rater_id = options.get("rater_id") or employee.supervisor_id
    _check_plan_refs(session, employee, position_id, rater_id)
    if repo.skp_exists(session, employee.id, year, position_id):
        raise Conflict(f"employee {employee.id} already has an SKP for {year} in this position")
    skp = Skp(
        employee_id=employee.id,
        position_id=position_id,
        year=year,
        model=options["model"],
        approach=options["approach"],
        rater_id=rater_id,
        status=SkpStatus.DRAFT,
    )
    session.add(skp)
    session.flush()
    details = [_add_rhk(session, skp, ordinal, item) for ordinal, item in enumerate(rhks, 1)]
    record(
        session, actor, AuditAction.CREATE, RESOURCE, employee_id=employee.id, resource_id=skp.id
    )
    return SkpDetail(skp, details)


def submit_skp(session: Session, actor: Actor, skp_id: int, expected: int | None) -> SkpDetail:
    """Submit a draft SKP to the rater (only its employee)."""
    skp = _visible_skp(session, actor, skp_id)
    policy.own_employee(session, actor, skp.employee_id)
    return _move(session, actor, skp, expected, SkpStatus.DRAFT, SkpStatus.DIAJUKAN)


def approve_skp(session: Session, actor: Actor, skp_id: int, expected: int | None) -> SkpDetail:
    """Approve (tetapkan) a submitted SKP (only its appointed rater)."""
    skp = _visible_skp(session, actor, skp_id)
    if actor.employee_id is None or skp.rater_id != actor.employee_id:
        raise Forbidden(f"only the appointed rater of SKP {skp_id} may approve it")
    skp.approved_at = datetime.now(UTC)
    return _move(session, actor, skp, expected, SkpStatus.DIAJUKAN, SkpStatus.DITETAPKAN)


def read_skp(session: Session, actor: Actor, skp_id: int) -> SkpDetail:
    """Return one visible SKP with its RHK and indicators."""
    skp = _visible_skp(session, actor, skp_id)
    record_read(session, actor, RESOURCE, skp.employee_id)
    return skp_detail(session, skp)


def list_skps(
    session: Session, actor: Actor, employee_id: int, limit: int, offset: int
) -> Page[SkpDetail]:
    """List a visible employee's SKPs."""
    policy.visible_employee(session, actor, employee_id)
    record_read(session, actor, RESOURCE, employee_id)
    page = repo.list_skps(session, employee_id, limit, offset)
    return Page([skp_detail(session, skp) for skp in page.items], page.total)


def record_realisation(
    session: Session, actor: Actor, skp_id: int, data: Mapping[str, Any]
) -> RealisationDetail:
    """Record what was achieved on an indicator of an approved SKP in one period."""
    skp = _visible_skp(session, actor, skp_id)
    if not (actor.is_self(skp.employee_id) or skp.rater_id == actor.employee_id):
        raise Forbidden(f"only the employee or the rater of SKP {skp_id} records realisations")
    if skp.status is not SkpStatus.DITETAPKAN:
        raise Conflict(f"SKP {skp_id} is {skp.status.value}; realisations need it approved")
    period = parse_period(data["period"])
    indicator = repo.indicator_of_skp(session, skp_id, data["indicator_id"])
    if indicator is None:
        raise Invalid.field("indicator_id", f"no indicator {data['indicator_id']} in SKP {skp_id}")
    if repo.realisation_exists(session, indicator.id, period.code):
        raise Conflict(f"indicator {indicator.id} already has a realisation for {period.code}")
    ensure_period(session, period)
    realisation = Realisation(
        indicator_id=indicator.id,
        period=period.code,
        value=data.get("value"),
        text=data.get("text"),
        recorded_by_id=actor.employee_id,
    )
    session.add(realisation)
    session.flush()
    evidence = [_add_evidence(session, realisation, actor, item) for item in data["evidence"]]
    record(
        session,
        actor,
        AuditAction.CREATE,
        "realisation",
        employee_id=skp.employee_id,
        resource_id=realisation.id,
    )
    return RealisationDetail(realisation, evidence)


def list_realisations(
    session: Session, actor: Actor, skp_id: int, limit: int, offset: int
) -> Page[RealisationDetail]:
    """List the realisations of a visible SKP with their evidence."""
    skp = _visible_skp(session, actor, skp_id)
    record_read(session, actor, "realisation", skp.employee_id)
    page = repo.list_realisations(session, skp_id, limit, offset)
    evidence = repo.evidence_of(session, [r.id for r in page.items])
    items = [
        RealisationDetail(r, [e for e in evidence if e.realisation_id == r.id]) for r in page.items
    ]
    return Page(items, page.total)


def skp_detail(session: Session, skp: Skp) -> SkpDetail:
    """Load the RHK and indicators of an SKP (two queries)."""
    rhks = repo.rhks_of(session, skp.id)
    indicators = repo.indicators_of(session, [rhk.id for rhk in rhks])
    return SkpDetail(
        skp, [RhkDetail(rhk, [i for i in indicators if i.rhk_id == rhk.id]) for rhk in rhks]
    )


def _visible_skp(session: Session, actor: Actor, skp_id: int) -> Skp:
    return policy.owned_record(session, actor, repo.get_skp(session, skp_id), f"SKP {skp_id}")


def _move(
    session: Session,
    actor: Actor,
    skp: Skp,
    expected: int | None,
    source: SkpStatus,
    target: SkpStatus,
) -> SkpDetail:
    check_version(skp.version, expected)
    if skp.status is not source:
        raise Conflict(f"SKP {skp.id} is {skp.status.value}, not {source.value}")
    skp.status = target
    session.flush()
    record(
        session,
        actor,
        AuditAction.UPDATE,
        RESOURCE,
        employee_id=skp.employee_id,
        resource_id=skp.id,
    )
    return skp_detail(session, skp)


def _check_plan_refs(
    session: Session, employee: Employee, position_id: int, rater_id: int | None
) -> None:
    if org_repo.get_position(session, position_id) is None:
        raise Invalid.field("position_id", f"no position {position_id}")
    if rater_id is None:
        raise Invalid.field("rater_id", "is required when the employee has no supervisor")
    if rater_id == employee.id or org_repo.get_employee(session, rater_id) is None:
        raise Invalid.field("rater_id", f"no other employee {rater_id} to act as rater")


def _add_rhk(session: Session, skp: Skp, ordinal: int, item: Mapping[str, Any]) -> RhkDetail:
    parent_id = item.get("parent_rhk_id")
    if parent_id is not None and repo.get_rhk(session, parent_id) is None:
        raise Invalid.field(f"rhks[{ordinal - 1}].parent_rhk_id", f"no RHK {parent_id}")
    rhk = Rhk(
        skp_id=skp.id,
        kind=item["kind"],
        description=item["description"],
        parent_rhk_id=parent_id,
        ordinal=ordinal,
    )
    session.add(rhk)
    session.flush()
    indicators = []
    for position, data in enumerate(item["indicators"]):
        if data.get("target_value") is None and data.get("target_text") is None:
            field = f"rhks[{ordinal - 1}].indicators[{position}]"
            raise Invalid.field(field, "needs a target_value or a target_text")
        indicator = Indicator(rhk_id=rhk.id, **data)
        session.add(indicator)
        indicators.append(indicator)
    session.flush()
    return RhkDetail(rhk, indicators)


def _add_evidence(
    session: Session, realisation: Realisation, actor: Actor, item: Mapping[str, Any]
) -> Evidence:
    evidence = Evidence(realisation_id=realisation.id, uploaded_by_id=actor.employee_id, **item)
    session.add(evidence)
    session.flush()
    return evidence
