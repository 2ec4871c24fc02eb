"""Use cases for the performance plan (SKP): the employee drafts and submits it with its RHK
and indicators, the appointed rater approves it, then realisations with evidence are recorded
per period on its indicators.

Status flow: draft -> diajukan (submitted by the employee) -> ditetapkan (approved by the
rater). Realisations need an approved plan.
"""

from __future__ import annotations

from collections.abc import Collection
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC
from datetime import date
from datetime import datetime
from typing import Any

from sqlalchemy import insert
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import flag_modified

from service.auth import policy
from service.db.models import AuditEntry
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
from service.domain.audit import entry
from service.domain.audit import record
from service.domain.audit import record_read
from service.domain.entities import RhkKind
from service.domain.entities import SkpStatus
from service.domain.entry_windows import WindowSettings
from service.domain.entry_windows import check_evidence_open
from service.domain.errors import Conflict
from service.domain.errors import Forbidden
from service.domain.errors import Invalid
from service.domain.errors import NotFound
from service.domain.errors import Reason
from service.domain.errors import ReasonId
from service.domain.evaluation_input import ensure_period
from service.domain.organisation import check_version
from service.domain.periods import Period
from service.domain.periods import not_started
from service.domain.periods import parse_period

RESOURCE = "skp"


@dataclass(frozen=True)
class RhkDetail:
    rhk: Rhk
    indicators: list[Indicator]


@dataclass(frozen=True)
class SkpDetail:
    """An SKP with its RHK, each with its indicators, and its employee's hire date (the
    plan's deadline runs from it for someone hired during the year), read with the plan or
    its employee's access check, so that answering it costs no query of its own."""

    skp: Skp
    rhks: list[RhkDetail]
    hired_on: date | None


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
    check_results(rhks)
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
    )
    return add_drafts(session, actor, [(skp, rhks)], {employee.id: employee.hire_date})[0]


def add_drafts(
    session: Session,
    actor: Actor,
    plans: Sequence[tuple[Skp, list[Mapping[str, Any]]]],
    hired_on: Mapping[int, date | None],
) -> list[SkpDetail]:
    """Store each `(skp, rhks)` as a draft SKP with its RHK, their indicators and one audit
    row, in a few statements for them all (a unit's bulk drafting stores thousands).
    `hired_on`: each plan's employee's hire date, by employee id (for the details).

    The caller has checked each RHK list (`check_results`), the position, the rater and that
    the employee has no such plan yet; a parent RHK is checked here, by `_may_support`.
    """
    if not plans:
        return []
    for skp, _ in plans:
        skp.status = SkpStatus.DRAFT
        session.add(skp)
    session.flush()
    parents = {item.get("parent_rhk_id") for _, items in plans for item in items}
    owners = repo.rhk_owners(session, parents - {None})
    rhks = []
    for skp, items in plans:
        for ordinal, item in enumerate(items, 1):
            parent_id = item.get("parent_rhk_id")
            if parent_id is not None and not _may_support(session, skp, owners.get(parent_id)):
                field = f"rhks[{ordinal - 1}].parent_rhk_id"
                raise Invalid.field(field, f"no RHK {parent_id} of your rater or a superior")
            rhk = Rhk(skp_id=skp.id, ordinal=ordinal, parent_rhk_id=parent_id)
            rhk.kind, rhk.description = item["kind"], item["description"]
            rhks.append((rhk, item))
            session.add(rhk)
    session.flush()
    indicators = {id(rhk): _indicators(session, rhk, item) for rhk, item in rhks}
    session.flush()
    session.execute(
        insert(AuditEntry),
        [
            entry(actor, AuditAction.CREATE, RESOURCE, resource_id=skp.id)
            | {"employee_id": skp.employee_id}
            for skp, _ in plans
        ],
    )
    details: dict[int, list[RhkDetail]] = {skp.id: [] for skp, _ in plans}
    for rhk, _ in rhks:
        details[rhk.skp_id].append(RhkDetail(rhk, indicators[id(rhk)]))
    return [SkpDetail(skp, details[skp.id], hired_on[skp.employee_id]) for skp, _ in plans]


def submit_skp(session: Session, actor: Actor, skp_id: int, expected: int | None) -> SkpDetail:
    """Submit a draft SKP to the rater (only its employee)."""
    skp, employee = _visible_skp(session, actor, skp_id)
    policy.own_employee(session, actor, employee.id)
    moved = _move(session, actor, skp, expected, SkpStatus.DRAFT, SkpStatus.DIAJUKAN)
    return skp_detail(session, moved, employee.hire_date)


def approve_skp(session: Session, actor: Actor, skp_id: int, expected: int | None) -> SkpDetail:
    """Approve (tetapkan) a submitted SKP (only its appointed rater)."""
    skp, employee = _visible_skp(session, actor, skp_id)
    if actor.employee_id is None or skp.rater_id != actor.employee_id:
        raise Forbidden(f"only the appointed rater of SKP {skp_id} may approve it")
    skp.approved_at = datetime.now(UTC)
    moved = _move(session, actor, skp, expected, SkpStatus.DIAJUKAN, SkpStatus.DITETAPKAN)
    return skp_detail(session, moved, employee.hire_date)


def update_skp(
    session: Session,
    actor: Actor,
    skp_id: int,
    expected: int | None,
    changes: Mapping[str, Any],
) -> SkpDetail:
    """Edit a draft SKP (only its employee): model, approach, rater, and its RHK list.

    `changes["rhks"]` is the whole new list (see `_rewrite_rhks`). Once submitted, a plan is
    the rater's to approve and can no longer be edited (409).
    """
    skp, employee = _visible_skp(session, actor, skp_id)
    policy.own_employee(session, actor, employee.id)
    check_version(skp.version, expected)
    if skp.status is not SkpStatus.DRAFT:
        raise Conflict(f"SKP {skp_id} is {skp.status.value}; only a draft plan can be edited")
    if "rater_id" in changes:
        _check_plan_refs(session, employee, skp.position_id, changes["rater_id"])
    if "rhks" in changes:
        check_results(changes["rhks"])
    for name in ("model", "approach", "rater_id"):
        if name in changes:
            setattr(skp, name, changes[name])
    flag_modified(skp, "status")  # one new version (ETag), also when only the RHK change
    session.flush()
    if "rhks" in changes:
        _rewrite_rhks(session, skp, changes["rhks"])
    _audit_update(session, actor, skp)
    return skp_detail(session, skp, employee.hire_date)


def read_skp(session: Session, actor: Actor, skp_id: int) -> SkpDetail:
    """Return one visible SKP with its RHK and indicators."""
    skp, employee = _visible_skp(session, actor, skp_id)
    record_read(session, actor, RESOURCE, skp.employee_id)
    return skp_detail(session, skp, employee.hire_date)


def list_skps(
    session: Session, actor: Actor, employee_id: int, limit: int, offset: int
) -> Page[SkpDetail]:
    """List a visible employee's SKPs."""
    hired_on = policy.visible_employee(session, actor, employee_id).hire_date
    record_read(session, actor, RESOURCE, employee_id)
    page = repo.list_skps(session, employee_id, limit, offset)
    return Page([skp_detail(session, skp, hired_on) for skp in page.items], page.total)


def record_realisation(
    session: Session,
    actor: Actor,
    skp_id: int,
    data: Mapping[str, Any],
    settings: WindowSettings,
) -> RealisationDetail:
    """Record what was achieved (a value or a text) on an indicator of an approved SKP in one
    period of its year that has started, while the period's evidence may change
    (`entry_windows.evidence_standing`: not behind a given evaluation, inside the window)."""
    skp = _visible_skp(session, actor, skp_id)[0]
    _check_realisable(actor, skp)
    period = _realised_period(skp, data)
    check_evidence_open(session, skp.employee_id, period, settings)
    indicator = repo.indicator_of_skp(session, skp_id, data["indicator_id"])
    if indicator is None:
        raise Invalid.field(
            "indicator_id",
            f"no indicator {data['indicator_id']} in SKP {skp_id}",
            reason=Reason(ReasonId.INDICATOR_NOT_IN_PLAN),
        )
    if repo.realisation_exists(session, indicator.id, period.code):
        raise Conflict(
            f"indicator {indicator.id} already has a realisation for {period.code}",
            reason=Reason(ReasonId.REALISATION_EXISTS, {"period": period.code}),
        )
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


def _check_realisable(actor: Actor, skp: Skp) -> None:
    """Only the plan's employee or rater records realisations, and only on an approved plan.
    The refusals carry their `Reason` for the page's message."""
    if not (actor.is_self(skp.employee_id) or skp.rater_id == actor.employee_id):
        raise Forbidden(f"only the employee or the rater of SKP {skp.id} records realisations")
    if skp.status is not SkpStatus.DITETAPKAN:
        raise Conflict(
            f"SKP {skp.id} is {skp.status.value}; realisations need it approved",
            reason=Reason(ReasonId.PLAN_NOT_APPROVED, {"status": skp.status}),
        )


def _realised_period(skp: Skp, data: Mapping[str, Any]) -> Period:
    """The period of a realisation with something in it: of the plan's year, started."""
    if data.get("value") is None and data.get("text") is None:
        raise Invalid.field(
            "value",
            "give a value or a text: what was achieved",
            reason=Reason(ReasonId.REALISATION_EMPTY),
        )
    period = parse_period(data["period"])
    if period.year != skp.year:
        values = {"period": period.code, "year": skp.year}
        raise Invalid.field(
            "period",
            f"{period.code} is outside the plan's year {skp.year}",
            reason=Reason(ReasonId.PERIOD_OUTSIDE_PLAN, values),
        )
    if problem := not_started(period):
        values = {"period": period.code, "day": period.starts_on}
        raise Invalid.field("period", problem, reason=Reason(ReasonId.PERIOD_NOT_STARTED, values))
    return period


def list_realisations(
    session: Session, actor: Actor, skp_id: int, limit: int, offset: int
) -> Page[RealisationDetail]:
    """List the realisations of a visible SKP with their evidence."""
    skp = _visible_skp(session, actor, skp_id)[0]
    record_read(session, actor, "realisation", skp.employee_id)
    page = repo.list_realisations(session, skp_id, limit, offset)
    evidence = repo.evidence_of(session, [r.id for r in page.items])
    items = [
        RealisationDetail(r, [e for e in evidence if e.realisation_id == r.id]) for r in page.items
    ]
    return Page(items, page.total)


def skp_detail(session: Session, skp: Skp, hired_on: date | None) -> SkpDetail:
    """The SKP with its RHK and indicators (two queries) and its employee's hire date."""
    return SkpDetail(skp, rhk_details(session, skp), hired_on)


def rhk_details(session: Session, skp: Skp) -> list[RhkDetail]:
    """Load the RHK and indicators of an SKP (two queries)."""
    rhks = repo.rhks_of(session, skp.id)
    indicators = repo.indicators_of(session, [rhk.id for rhk in rhks])
    return [RhkDetail(rhk, [i for i in indicators if i.rhk_id == rhk.id]) for rhk in rhks]


def _visible_skp(session: Session, actor: Actor, skp_id: int) -> tuple[Skp, Employee]:
    """The SKP and its employee, read in one query, when `actor` sees them (404 else)."""
    found = repo.skp_and_employee(session, skp_id)
    if found is None:
        raise NotFound(f"no SKP {skp_id} visible to you")
    skp, employee = found
    return policy.owned_record(session, actor, skp, f"SKP {skp_id}", employee), employee


def _move(
    session: Session,
    actor: Actor,
    skp: Skp,
    expected: int | None,
    source: SkpStatus,
    target: SkpStatus,
) -> Skp:
    check_version(skp.version, expected)
    if skp.status is not source:
        raise Conflict(f"SKP {skp.id} is {skp.status.value}, not {source.value}")
    skp.status = target
    session.flush()
    _audit_update(session, actor, skp)
    return skp


def _audit_update(session: Session, actor: Actor, skp: Skp) -> None:
    record(
        session,
        actor,
        AuditAction.UPDATE,
        RESOURCE,
        employee_id=skp.employee_id,
        resource_id=skp.id,
    )


def _check_plan_refs(
    session: Session, employee: Employee, position_id: int, rater_id: int | None
) -> None:
    if org_repo.get_position(session, position_id) is None:
        raise Invalid.field("position_id", f"no position {position_id}")
    if rater_id is None:
        raise Invalid.field("rater_id", "is required when the employee has no supervisor")
    if rater_id == employee.id or org_repo.get_employee(session, rater_id) is None:
        raise Invalid.field("rater_id", f"no other employee {rater_id} to act as rater")
    # The rater (pejabat penilai) is a superior; the plan's employee cannot pick a peer or
    # anyone else, who would then see their records and rate them. Only someone without a
    # supervisor (the top of the chain) names a rater outside it.
    if employee.supervisor_id is not None and not org_repo.is_subordinate(
        session, employee.id, rater_id
    ):
        raise Invalid.field("rater_id", f"employee {rater_id} is not above you in the chain")


def check_results(items: list[Mapping[str, Any]]) -> None:
    """Refuse a list of RHK that no plan may hold (an SKP's, or a position's template).

    An SKP's results are main (*hasil kerja utama*) and optionally additional (*tambahan*):
    it needs a main one. Every indicator needs a target, a value or a text.
    """
    if all(RhkKind(item["kind"]) is not RhkKind.UTAMA for item in items):
        raise Invalid.field("rhks", "needs at least one RHK of kind utama (hasil kerja utama)")
    for ordinal, item in enumerate(items):
        for position, data in enumerate(item["indicators"]):
            if data.get("target_value") is None and data.get("target_text") is None:
                field = f"rhks[{ordinal}].indicators[{position}]"
                raise Invalid.field(field, "needs a target_value or a target_text")


def _rewrite_rhks(session: Session, skp: Skp, items: list[Mapping[str, Any]]) -> None:
    """Make the plan's RHK list `items`, in order.

    An item with `id` rewrites that RHK of the plan (its id, which others may refer to,
    stays); one without adds an RHK. Every kept RHK gets the item's indicators instead of its
    own (a draft has no realisations). RHKs left out are deleted, unless another row (an RHK
    of another plan, a feedback note, an activity entry) still refers to one: 409.
    """
    current = {rhk.id: rhk for rhk in repo.rhks_of(session, skp.id)}
    kept = [item.get("id") for item in items if item.get("id") is not None]
    for position, rhk_id in enumerate(item.get("id") for item in items):
        if rhk_id is not None and (rhk_id not in current or kept.count(rhk_id) > 1):
            raise Invalid.field(f"rhks[{position}].id", f"no RHK {rhk_id} of SKP {skp.id} (once)")
    removed = [rhk_id for rhk_id in current if rhk_id not in kept]
    repo.delete_indicators(session, list(current))
    for ordinal, item in enumerate(items, 1):
        _add_rhk(session, skp, ordinal, item, current.get(item.get("id")), removed)
    references = repo.rhk_references(session, removed) if removed else []
    if references:
        table, rhk_id = references[0]
        raise Conflict(f"RHK {rhk_id} is still referred to by {table}; keep it in the list")
    if removed:
        repo.delete_rhks(session, removed)


def _add_rhk(
    session: Session,
    skp: Skp,
    ordinal: int,
    item: Mapping[str, Any],
    rhk: Rhk | None = None,
    removed: Collection[int] = (),
) -> RhkDetail:
    """Add an RHK with its indicators to `skp`, or rewrite `rhk` (its indicators are gone)."""
    parent_id = item.get("parent_rhk_id")
    field = f"rhks[{ordinal - 1}].parent_rhk_id"
    if parent_id is not None and (
        parent_id in removed
        or not _may_support(session, skp, repo.rhk_owners(session, [parent_id]).get(parent_id))
    ):
        raise Invalid.field(field, f"no RHK {parent_id} of your rater or a superior")
    if rhk is not None and parent_id == rhk.id:
        raise Invalid.field(field, "an RHK cannot support itself")
    if rhk is None:
        rhk = Rhk(skp_id=skp.id)
        session.add(rhk)
    rhk.kind = item["kind"]
    rhk.description = item["description"]
    rhk.parent_rhk_id = parent_id
    rhk.ordinal = ordinal
    session.flush()
    indicators = _indicators(session, rhk, item)
    session.flush()
    return RhkDetail(rhk, indicators)


def _indicators(session: Session, rhk: Rhk, item: Mapping[str, Any]) -> list[Indicator]:
    """Add the item's indicators to `rhk` (flushed with the caller's next flush)."""
    indicators = [Indicator(rhk_id=rhk.id, **data) for data in item["indicators"]]
    session.add_all(indicators)
    return indicators


def _may_support(session: Session, skp: Skp, owner: int | None) -> bool:
    """Whether an RHK of `owner` (None: no such RHK) is one the plan may support (*RHK
    atasan yang diintervensi*): an RHK of the plan's rater or of someone above its employee
    in the supervisor chain. Anyone else's is refused as if it did not exist (it is not the
    caller's to see, and a link would stop its owner from deleting it)."""
    if owner is None or owner == skp.employee_id:
        return False
    return owner == skp.rater_id or org_repo.is_subordinate(session, skp.employee_id, owner)


def _add_evidence(
    session: Session, realisation: Realisation, actor: Actor, item: Mapping[str, Any]
) -> Evidence:
    evidence = Evidence(realisation_id=realisation.id, uploaded_by_id=actor.employee_id, **item)
    session.add(evidence)
    session.flush()
    return evidence
