"""Cycle progress of a unit (*monitoring pengisian*): how far its employees are in the year's
performance cycle, unit by unit.

BKN's e-Kinerja has a completion dashboard per unit, and peers.md (section 9) counts a
cycle progress dashboard among what any system must have: the hr unit chases the people
who have no approved SKP, record no realisation, or are not evaluated. For each unit in the
subtree (its own active employees) and for the whole subtree:

- SKP: each employee counted once by their furthest SKP of the year (`ditetapkan` over
  `diajukan` over `draft`; cancelled plans and none count as `none`);
- realisations: per quarter of the year that has started, the employees with a realisation
  recorded for it (a month counts for its quarter; a realisation recorded for the whole year
  counts for no quarter);
- evaluations: per quarter that has started, and the year, the employees evaluated;
- late: the employees with a late SKP of the year (`entry_windows.skp_is_late`: set after
  KINERJA_SKP_DEADLINE, or still not set when it has passed).

Counts only, of whether records exist: hr over the unit and admin read it (as they read the
unit's evaluations), so no audit row per employee is written.
"""

from __future__ import annotations

from collections import Counter
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from dataclasses import field
from typing import Any

from sqlalchemy.orm import Session

from service.auth import policy
from service.db.repositories import cycle_progress as repo
from service.domain.audit import Actor
from service.domain.entities import PeriodKind
from service.domain.entities import SkpStatus
from service.domain.entry_windows import WindowSettings
from service.domain.entry_windows import skp_is_late
from service.domain.periods import Period
from service.domain.periods import not_started
from service.domain.periods import parse_period

#: SKP states from the least to the furthest along; "none" also stands for cancelled plans.
PLAN_STATES = ("none", SkpStatus.DRAFT.value, SkpStatus.DIAJUKAN.value, SkpStatus.DITETAPKAN.value)
_RANK = {state: rank for rank, state in enumerate(PLAN_STATES)}


@dataclass(frozen=True)
class Progress:
    """Counts of active employees: by furthest SKP state, realised and evaluated periods."""

    employees: int
    plans: dict[str, int]
    realised: dict[str, int]
    evaluated: dict[str, int]
    late: int


@dataclass(frozen=True)
class UnitProgress:
    unit_id: int
    name: str
    parent_id: int | None
    depth: int
    progress: Progress


@dataclass(frozen=True)
class CycleProgress:
    unit_id: int
    year: int
    quarters: list[str]  # the year's quarters that have started
    periods: list[str]  # those quarters and the year: what evaluations are counted for
    total: Progress
    units: list[UnitProgress]  # one page, depth first from the unit
    unit_count: int


@dataclass
class _Person:
    unit_id: int
    plan: str = "none"
    late: bool = False
    realised: set[str] = field(default_factory=set)
    evaluated: set[str] = field(default_factory=set)


def cycle_progress(
    session: Session,
    actor: Actor,
    unit_id: int,
    year: int,
    limit: int,
    offset: int,
    settings: WindowSettings,
) -> CycleProgress:
    """The progress of the year's cycle in the unit and below it, for hr and admin."""
    whole = Period.of(PeriodKind.YEAR, year, 1, field="year")
    policy.managed_unit(session, actor, unit_id)
    quarters = [
        p.code
        for i in range(1, 5)
        if not_started(p := Period.of(PeriodKind.QUARTER, year, i)) is None
    ]
    periods = [*quarters, whole.code] if not_started(whole) is None else []
    people = _people(session, unit_id, year, periods, settings)
    units = _depth_first(repo.subtree_units(session, unit_id), unit_id)
    by_unit: dict[int, list[_Person]] = defaultdict(list)
    for person in people.values():
        by_unit[person.unit_id].append(person)
    rows = [
        UnitProgress(uid, name, parent, depth, _count(by_unit[uid], quarters, periods))
        for uid, name, parent, depth in units[offset : offset + limit]
    ]
    total = _count(people.values(), quarters, periods)
    return CycleProgress(unit_id, year, quarters, periods, total, rows, len(units))


def _people(
    session: Session, unit_id: int, year: int, periods: list[str], settings: WindowSettings
) -> dict[int, _Person]:
    people = {row.id: _Person(row.unit_id) for row in repo.staff(session, unit_id)}
    for employee_id, status, approved_at, hired_on in repo.plan_statuses(session, unit_id, year):
        person = people[employee_id]
        person.late |= skp_is_late(year, SkpStatus(status), approved_at, settings, hired_on)
        state = "none" if status is SkpStatus.DIBATALKAN else SkpStatus(status).value
        person.plan = max(person.plan, state, key=_RANK.__getitem__)
    for employee_id, code in repo.realised_periods(session, unit_id, year):
        quarter = _quarter_of(code)
        if quarter is not None:
            people[employee_id].realised.add(quarter)
    for employee_id, code in repo.evaluated_periods(session, unit_id, periods):
        people[employee_id].evaluated.add(code)
    return people


def _quarter_of(code: str) -> str | None:
    period = parse_period(code)
    if period.kind is PeriodKind.YEAR:
        return None
    return f"{period.year}-Q{(period.starts_on.month - 1) // 3 + 1}"


def _count(people: Iterable[_Person], quarters: list[str], periods: list[str]) -> Progress:
    group = list(people)
    plans = Counter(person.plan for person in group)
    realised = Counter(q for person in group for q in person.realised)
    evaluated = Counter(p for person in group for p in person.evaluated)
    return Progress(
        employees=len(group),
        plans={state: plans.get(state, 0) for state in PLAN_STATES},
        realised={q: realised.get(q, 0) for q in quarters},
        evaluated={p: evaluated.get(p, 0) for p in periods},
        late=sum(person.late for person in group),
    )


def _depth_first(rows: list[Any], root: int) -> list[tuple[int, str, int | None, int]]:
    """(id, name, parent id, depth) from `root` down, children by name."""
    children: dict[int | None, list[Any]] = defaultdict(list)
    names = {}
    for row in rows:
        names[row.id] = row
        if row.id != root:
            children[row.parent_id].append(row)
    ordered: list[tuple[int, str, int | None, int]] = []
    waiting = [(names[root], 0)] if root in names else []
    while waiting:
        row, depth = waiting.pop()
        ordered.append((row.id, row.name, row.parent_id, depth))
        below = sorted(children.get(row.id, []), key=lambda r: (r.name, r.id), reverse=True)
        waiting.extend((child, depth + 1) for child in below)
    return ordered
