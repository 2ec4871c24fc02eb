"""Use cases for a position's SKP template and the bulk drafting of a unit's SKPs from them.

hr (over the position's unit) or an admin writes, for a position, the SKP its holders start
from: model, approach and the RHK with their indicators, checked by the rules of an SKP's own
RHK (`plans.check_results`). For a unit and a year, hr over the unit or an admin then drafts
in one transaction an SKP for every active employee of the unit (and the units below it) who
has none for that year, from their position's template, rated by their direct supervisor as
an employee's own draft is (`plans.add_drafts`, one audit row per plan). Whoever gets none is
named with the reason; a second run finds every plan there and drafts nothing. Each run is
kept (`skp_drafting_runs`, with whom it skipped and why): the page of a run shows what that
run decided, which later changes to the data (a template added, a supervisor named) do not
rewrite. Both pages name people (NIP, name, and where their SKP stands): each audits a read
of the SKP of every person on it (`record_reads`), as a list page of people does.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy import Row
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import flag_modified

from service.auth import policy
from service.db.models import Skp
from service.db.models import SkpDraftingRun
from service.db.models import SkpTemplate
from service.db.models import Unit
from service.db.repositories import organisation as org_repo
from service.db.repositories import skp_templates as repo
from service.domain.audit import Actor
from service.domain.audit import AuditAction
from service.domain.audit import record
from service.domain.audit import record_reads
from service.domain.errors import NotFound
from service.domain.errors import PreconditionFailed
from service.domain.organisation import ANY_VERSION
from service.domain.organisation import check_version
from service.domain.organisation import managed_position
from service.domain.plans import RESOURCE as SKP_RESOURCE
from service.domain.plans import add_drafts
from service.domain.plans import check_results

RESOURCE = "skp_template"


class SkipReason(StrEnum):
    """Why bulk drafting made no SKP for an employee."""

    HAS_SKP = "has_skp"  # an SKP of the year exists (drafted before, or their own)
    NO_TEMPLATE = "no_template"  # their position has no template
    NO_SUPERVISOR = "no_supervisor"  # no direct supervisor to rate the plan
    SUPERVISOR_INACTIVE = "supervisor_inactive"  # the supervisor has left


@dataclass(frozen=True)
class Skipped:
    employee_id: int
    reason: SkipReason


@dataclass(frozen=True)
class Drafting:
    """The outcome of a bulk drafting: the stored run's id, how many plans were made, and
    who got none."""

    id: int
    created: int
    skipped: list[Skipped]


@dataclass(frozen=True)
class SkippedGroup:
    """The employees one reason leaves without a draft: how many, and one page of them
    (rows with `id`, `nip` and `name`, by name) from `offset`."""

    reason: SkipReason
    total: int
    offset: int
    people: list[Row[Any]]


def read_template(session: Session, actor: Actor, position_id: int) -> SkpTemplate:
    """Return the position's template (404 when the position or its template is unknown)."""
    if org_repo.get_position(session, position_id) is None:
        raise NotFound(f"no position {position_id}")
    return _template(session, position_id)


def put_template(
    session: Session,
    actor: Actor,
    position_id: int,
    expected: int | None,
    fields: Mapping[str, Any],
) -> tuple[SkpTemplate, bool]:
    """Write the position's template whole; returns it and whether it is new.

    A new template needs no If-Match (any but `*` is 412: there is no version to match); a
    stored one is replaced only at the version of the caller's If-Match (428 without).
    """
    position = managed_position(session, actor, position_id)
    check_results(fields["rhks"])
    template = repo.get_template(session, position.id)
    created = template is None
    if template is None:
        if expected not in (None, ANY_VERSION):
            raise PreconditionFailed(f"position {position_id} has no SKP template to match")
        template = SkpTemplate(position_id=position.id)
        session.add(template)
    else:
        check_version(template.version, expected)
    template.model = fields["model"]
    template.approach = fields["approach"]
    template.rhks = [dict(item) for item in fields["rhks"]]
    template.updated_by_id = actor.employee_id
    flag_modified(template, "rhks")  # one new version (ETag), also for the same document
    session.flush()
    action = AuditAction.CREATE if created else AuditAction.UPDATE
    record(session, actor, action, RESOURCE, resource_id=position.id)
    return template, created


def delete_template(
    session: Session, actor: Actor, position_id: int, expected: int | None
) -> None:
    """Remove the position's template (at the version of If-Match); drafts made stay."""
    position = managed_position(session, actor, position_id)
    template = _template(session, position.id)
    check_version(template.version, expected)
    session.delete(template)
    session.flush()
    record(session, actor, AuditAction.DELETE, RESOURCE, resource_id=position.id)


def draft_unit_skps(
    session: Session, actor: Actor, unit_id: int, year: int, include_subunits: bool = True
) -> Drafting:
    """Draft the year's SKP of every active employee of the unit who has none, from their
    position's template, rated by their direct supervisor (admin, or hr over the unit).

    Drafted level by level down the supervisor chains (a few statements per level):
    supervisors before the people they supervise, so that a template RHK's `parent_ordinal`
    finds the RHK it supports in a plan drafted in the same run.
    """
    policy.managed_unit(session, actor, unit_id)
    rows = repo.drafting_candidates(session, unit_id, include_subunits, year)
    templates = repo.templates_of(session, {row.position_id for row in rows})
    hired_on = {row.id: row.hire_date for row in rows}
    rater_plans: dict[int, dict[int, int]] = {}
    skipped, created = [], 0
    for level in _levels(rows):
        plans = []
        for row in level:
            reason = _skip_reason(row, templates)
            if reason is not None:
                skipped.append(Skipped(row.id, reason))
                continue
            if row.supervisor_id not in rater_plans:
                rater_plans[row.supervisor_id] = repo.plan_rhks(session, row.supervisor_id, year)
            plans.append(_draft(row, year, templates[row.position_id], rater_plans))
        for detail in add_drafts(session, actor, plans, hired_on):
            rater_plans[detail.skp.employee_id] = {i.rhk.ordinal: i.rhk.id for i in detail.rhks}
        created += len(plans)
    skipped.sort(key=lambda item: item.employee_id)
    run = SkpDraftingRun(
        unit_id=unit_id,
        year=year,
        include_subunits=include_subunits,
        created=created,
        run_by_user_id=actor.user_id,
    )
    repo.add_run(session, run, [(item.employee_id, item.reason.value) for item in skipped])
    return Drafting(run.id, created, skipped)


def undrafted_employees(
    session: Session,
    actor: Actor,
    unit_id: int,
    year: int,
    include_subunits: bool,
    limit: int,
    offsets: Mapping[SkipReason, int],
) -> tuple[Unit, list[SkippedGroup]]:
    """The unit, and its active employees without an SKP of `year` whom drafting leaves
    without one now, grouped by reason (in `SkipReason`'s order, empty reasons left out),
    one page each (`limit` from the reason's offset; admin, or hr over the unit).

    By the drafting's own rule (`_skip_reason`) on the data as it stands: after a run, who
    that run skipped, apart from those who already had an SKP (now indistinguishable from the
    drafts it made; the run's message counts them).
    """
    unit = policy.managed_unit(session, actor, unit_id)
    rows = repo.drafting_candidates(session, unit_id, include_subunits, year)
    templates = repo.templates_of(session, {row.position_id for row in rows})
    found: defaultdict[SkipReason, list[Row[Any]]] = defaultdict(list)
    for row in rows:
        reason = _skip_reason(row, templates)
        if reason is not None and reason is not SkipReason.HAS_SKP:
            found[reason].append(row)
    return unit, _shown(session, actor, found, limit, offsets)


def drafting_run(
    session: Session,
    actor: Actor,
    unit_id: int,
    run_id: int,
    limit: int,
    offsets: Mapping[SkipReason, int],
) -> tuple[Unit, SkpDraftingRun, list[SkippedGroup]]:
    """The unit, one of its drafting runs, and whom that run left without a draft, grouped
    by reason (those who had an SKP already too), one page each (admin, or hr over the
    unit): as the run decided, whatever changed since. NotFound for another unit's run."""
    unit = policy.managed_unit(session, actor, unit_id)
    run = repo.get_run(session, run_id)
    if run is None or run.unit_id != unit.id:
        raise NotFound(f"no SKP drafting run {run_id} of unit {unit_id}")
    found: defaultdict[SkipReason, list[Row[Any]]] = defaultdict(list)
    for row in repo.run_skips(session, run.id):
        found[SkipReason(row.reason)].append(row)
    return unit, run, _shown(session, actor, found, limit, offsets)


def _shown(
    session: Session,
    actor: Actor,
    found: Mapping[SkipReason, list[Row[Any]]],
    limit: int,
    offsets: Mapping[SkipReason, int],
) -> list[SkippedGroup]:
    """The pages of `found` by reason (`_groups`), a read of each named person's SKP
    audited (only those on the pages: the others are counted, not named)."""
    groups = _groups(found, limit, offsets)
    named = sorted({person.id for group in groups for person in group.people})
    record_reads(session, actor, SKP_RESOURCE, named)
    return groups


def _groups(
    found: Mapping[SkipReason, list[Row[Any]]], limit: int, offsets: Mapping[SkipReason, int]
) -> list[SkippedGroup]:
    """The reasons with people, in `SkipReason`'s order, each with one page by name."""
    groups = []
    for reason in SkipReason:
        people = sorted(found.get(reason, []), key=lambda row: (row.name, row.id))
        if people:
            offset = offsets.get(reason, 0)
            page = people[offset : offset + limit]
            groups.append(SkippedGroup(reason, len(people), offset, page))
    return groups


def _draft(
    row: Row[Any], year: int, template: SkpTemplate, rater_plans: Mapping[int, Mapping[int, int]]
) -> tuple[Skp, list[dict[str, Any]]]:
    """The employee's draft SKP and its RHK list from the template: `parent_ordinal` becomes
    the id of the RHK at that place in the rater's plan (none when it has no RHK there)."""
    skp = Skp(
        employee_id=row.id,
        position_id=row.position_id,
        year=year,
        model=template.model,
        approach=template.approach,
        rater_id=row.supervisor_id,
    )
    rater_rhks = rater_plans[row.supervisor_id]
    rhks = [
        {
            "kind": item["kind"],
            "description": item["description"],
            "parent_rhk_id": rater_rhks.get(item.get("parent_ordinal")),
            "indicators": [dict(indicator) for indicator in item["indicators"]],
        }
        for item in template.rhks
    ]
    return skp, rhks


def _template(session: Session, position_id: int) -> SkpTemplate:
    template = repo.get_template(session, position_id)
    if template is None:
        raise NotFound(f"position {position_id} has no SKP template")
    return template


def _skip_reason(row: Row[Any], templates: Mapping[int, SkpTemplate]) -> SkipReason | None:
    if row.has_skp:
        return SkipReason.HAS_SKP
    if row.position_id not in templates:
        return SkipReason.NO_TEMPLATE
    if row.supervisor_id is None:
        return SkipReason.NO_SUPERVISOR
    if not row.supervisor_active:
        return SkipReason.SUPERVISOR_INACTIVE
    return None


def _levels(rows: list[Row[Any]]) -> list[list[Row[Any]]]:
    """`rows` level by level down the supervisor chains among them: first those whose
    supervisor is not among them, then the people these supervise, and so on."""
    ids = {row.id for row in rows}
    below: defaultdict[int, list[Row[Any]]] = defaultdict(list)
    for row in rows:
        if row.supervisor_id in ids:
            below[row.supervisor_id].append(row)
    levels, level = [], [row for row in rows if row.supervisor_id not in ids]
    while level:
        levels.append(level)
        level = [row for top in level for row in below.pop(top.id, [])]
    rest = [row for rows_below in below.values() for row in rows_below]  # a loop: never valid
    return levels + ([rest] if rest else [])
