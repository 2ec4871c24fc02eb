"""A unit's training plan: aggregated gaps, programmes with participants, the 20 JP rule (issue 5).

For a unit and every unit below it (active employees only):

- *needs*: per competency, how many are held to it, how many fall below it (latest assessed
  level, as `competency.competency_gaps` counts it), the mean and total gap;
- *programmes*: a proposal that maximises the expected total gap closure within a JP budget
  (the sum of JP over all seats, i.e. person-JP) and a seat limit per programme, greedily by
  marginal closure per JP (lazy greedy: a person's pending pairs are re-scored when popped
  after one of their own picks, since closures only shrink). Expected closure is the
  recommender's: the served model's gains from its estimated levels, or in fallback the rule
  that a programme brings a person to its top level. Every person takes at most
  `max_per_person` programmes; programmes must fit the person (`recommendations.fits`).
  Greedy by ratio is the classic approximation for a budgeted coverage problem; it is
  documented, not optimal. Each person's `CANDIDATES_PER_PERSON` best programmes (by
  closure per JP) are the candidates, which keeps a 10,000-person plan fast;
- *below_minimum*: PNS and CPNS whose completed JP this year is under the yearly minimum
  (`development.jp_status`), with what remains.

Closures are expectations over the gain model's belief about each level, as for one
employee (`ranking`), computed for the whole unit at once: the unit is read with a few
set-based queries (`recommender_data.load_unit_profiles`), every level is estimated in one
vectorised filter (`GainModel.level_beliefs`), and closures are arrays of people x
programme-competency links x belief points.
"""

from __future__ import annotations

import heapq
import io
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.auth import policy
from service.db.models import Employee
from service.db.repositories import development as development_repo
from service.db.repositories.organisation import unit_subtree_ids
from service.domain.audit import Actor
from service.domain.audit import AuditAction
from service.domain.audit import record
from service.domain.competency import LEVEL_MAX
from service.domain.competency import LEVEL_MIN
from service.domain.development import JpStatus
from service.domain.development import jp_status
from service.domain.errors import Invalid
from service.domain.exports import neutralise_formula
from service.domain.ranking import NODES
from service.domain.ranking import WEIGHTS
from service.domain.ranking import GainModel
from service.domain.ranking import RuleGains
from service.domain.ranking import fits
from service.domain.recommendations import RULE_MODEL
from service.domain.recommendations import ModelRef
from service.domain.recommender_data import Catalogue
from service.domain.recommender_data import LevelHistory
from service.domain.recommender_data import Profile
from service.domain.recommender_data import history_of
from service.domain.recommender_data import load_catalogue
from service.domain.recommender_data import load_unit_profiles
from service.domain.settings import RuleSettings

if TYPE_CHECKING:
    from scipy import sparse

DEFAULT_SEATS = 30
MAX_PER_PERSON = 2
#: Programmes per person that enter the plan's candidates (their best by closure per JP).
CANDIDATES_PER_PERSON = 8
_CHUNK = 2_048


@dataclass(frozen=True)
class Need:
    """One competency across the unit: who is held to it, who falls short, by how much."""

    competency: str
    name: str
    name_en: str
    employees: int
    below_standard: int
    mean_gap: float
    total_gap: float


@dataclass(frozen=True)
class Participant:
    employee_id: int
    name: str
    expected_closure: float


@dataclass(frozen=True)
class PlannedProgram:
    """A programme of the proposal with its participants (best expected closure first)."""

    training_code: str
    title: str
    jp: float
    participants: tuple[Participant, ...]
    jp_total: float
    expected_closure: float


@dataclass(frozen=True)
class BelowMinimum:
    employee_id: int
    name: str
    jp_completed: float
    required: float
    remaining: float


@dataclass(frozen=True)
class TrainingPlan:
    """The answer of `unit_training_plan`."""

    unit_id: int
    year: int
    employees: int
    jp_budget: float
    max_seats: int
    needs: tuple[Need, ...]
    programs: tuple[PlannedProgram, ...]
    jp_used: float
    expected_closure: float
    below_minimum: tuple[BelowMinimum, ...]
    model: ModelRef


@dataclass
class _Unit:
    """The unit as arrays: people x competencies (levels on belief points), and the links."""

    profiles: list[Profile]
    codes: list[str]
    required: np.ndarray
    assessed: np.ndarray
    levels: np.ndarray
    weights: np.ndarray
    link_program: np.ndarray
    link_competency: np.ndarray
    link_top: np.ndarray
    link_share: np.ndarray
    incidence: sparse.csr_matrix
    links_of: list[np.ndarray]
    jp: np.ndarray
    eligible: np.ndarray


def unit_training_plan(
    session: Session,
    actor: Actor,
    unit_id: int,
    *,
    jp_budget: float | None = None,
    max_seats: int = DEFAULT_SEATS,
    year: int | None = None,
    settings: RuleSettings | None = None,
    gains: GainModel | None = None,
    model: ModelRef = RULE_MODEL,
    export: bool = False,
) -> TrainingPlan:
    """Use case of GET /units/{id}/training-needs (hr, admin); audited as one unit read.

    `jp_budget` defaults to the yearly minimum times the number of employees.
    """
    policy.visible_unit(session, actor, unit_id)
    settings = settings or RuleSettings()
    year = year or date.today().year
    _check(jp_budget, max_seats)
    action = AuditAction.EXPORT if export else AuditAction.READ
    record(session, actor, action, "training_needs", resource_id=unit_id)
    profiles, history = load_unit_profiles(session, _active_ids(unit_id))
    if gains is None:
        gains, model = RuleGains(), RULE_MODEL
    budget = settings.jp_minimum_pns * len(profiles) if jp_budget is None else jp_budget
    catalogue = load_catalogue(session)
    plan = plan_for_profiles(profiles, catalogue, gains, budget, max_seats, history=history)
    jp_done = _jp_this_year(session, unit_id, year)
    return TrainingPlan(
        unit_id=unit_id,
        year=year,
        employees=len(profiles),
        jp_budget=budget,
        max_seats=max_seats,
        needs=plan[0],
        programs=plan[1],
        jp_used=sum(p.jp_total for p in plan[1]),
        expected_closure=round(sum(p.expected_closure for p in plan[1]), 3),
        below_minimum=tuple(_below_minimum(profiles, jp_done, year, settings)),
        model=model,
    )


def _check(jp_budget: float | None, max_seats: int) -> None:
    if jp_budget is not None and not (0 <= jp_budget <= 1e9):
        raise Invalid.field("jp_budget", f"must be a number of JP from 0; got {jp_budget!r}")
    if isinstance(max_seats, bool) or not isinstance(max_seats, int) or max_seats < 1:
        raise Invalid.field("max_seats", f"must be a whole number from 1; got {max_seats!r}")


def _active_ids(unit_id: int) -> object:
    return select(Employee.id).where(
        Employee.unit_id.in_(unit_subtree_ids(unit_id)), Employee.is_active.is_(True)
    )


def plan_for_profiles(
    profiles: list[Profile],
    catalogue: Catalogue,
    gains: GainModel,
    jp_budget: float,
    max_seats: int,
    max_per_person: int = MAX_PER_PERSON,
    *,
    history: LevelHistory | None = None,
) -> tuple[tuple[Need, ...], tuple[PlannedProgram, ...]]:
    """Aggregate the needs and propose programmes for `profiles` (module docstring).

    `history` is the profiles' `LevelHistory` when it was read apart from them
    (`load_unit_profiles`); by default it is built from the profiles.
    """
    unit = _arrays(profiles, catalogue, gains, history or history_of(profiles))
    needs = _needs(unit, catalogue)
    picks = _greedy(unit, jp_budget, max_seats, max_per_person)
    return needs, _programs(picks, unit, catalogue)


def _arrays(
    profiles: list[Profile], catalogue: Catalogue, gains: GainModel, history: LevelHistory
) -> _Unit:
    codes = sorted(set(history.competency.tolist()))
    index = {code: i for i, code in enumerate(codes)}
    n, m = len(profiles), len(codes)
    column = np.array([index[c] for c in history.competency.tolist()], dtype=np.intp)
    required = np.zeros((n, m))
    assessed = np.full((n, m), np.nan)
    required[history.person, column] = history.required
    assessed[history.person, column] = history.latest()
    mean, sd = gains.level_beliefs(history)
    spread = bool((sd > 0).any())
    nodes, weights = (NODES, WEIGHTS) if spread else (np.zeros(1), np.ones(1))
    levels = np.full((n, m, len(nodes)), float(LEVEL_MAX))  # outside the standard: no gap
    levels[history.person, column] = np.clip(
        mean[:, None] + sd[:, None] * nodes, LEVEL_MIN, LEVEL_MAX
    )
    programs = catalogue.programs
    links = [
        (col, index[link.competency], link.max_level, gains.share(p.code, link.competency))
        for col, p in enumerate(programs)
        for link in p.links
        if link.competency in index
    ]
    table = np.array(links, dtype=np.float64).reshape(-1, 4)
    link_program = table[:, 0].astype(np.intp)
    from scipy import sparse  # here, not at import: a web worker's start does not need it

    incidence = sparse.csr_matrix(
        (np.ones(len(links)), (np.arange(len(links)), link_program)),
        shape=(len(links), len(programs)),
    )
    return _Unit(
        profiles,
        codes,
        required,
        assessed,
        levels,
        weights,
        link_program,
        table[:, 1].astype(np.intp),
        table[:, 2],
        table[:, 3],
        incidence,
        np.split(
            np.arange(len(links)), np.searchsorted(link_program, np.arange(1, len(programs)))
        ),
        np.array([p.jp for p in programs], dtype=np.float64),
        _eligibility(profiles, programs),
    )


def _eligibility(profiles: list[Profile], programs: tuple) -> np.ndarray:
    """Boolean people x programmes; `fits` is evaluated once per kind of person."""
    memo: dict[tuple, np.ndarray] = {}
    column = {program.code: col for col, program in enumerate(programs)}
    found = np.zeros((len(profiles), len(programs)), dtype=bool)
    for row, person in enumerate(profiles):
        key = (person.position_kind, person.position_level, person.grade)
        if key not in memo:
            blank = Profile(0, person.position_kind, person.grade, {}, {}, position_level=key[1])
            memo[key] = np.array([fits(blank, p) for p in programs], dtype=bool)
        found[row] = memo[key]
        found[row, [column[code] for code in person.taken if code in column]] = False
    return found


def _closures(unit: _Unit, people: np.ndarray) -> np.ndarray:
    """Expected closure of every programme for `people` at their current levels (people x Q).

    Only the (person, link) pairs whose competency may still lie below the standard are
    computed (about a third of a unit's items have a gap to close), then summed per programme.
    """
    levels = unit.levels[people]
    required = unit.required[people]
    row, competency = np.nonzero(required > levels.min(axis=2))
    by_competency = np.argsort(unit.link_competency, kind="stable")
    first = np.searchsorted(unit.link_competency[by_competency], np.arange(len(unit.codes) + 1))
    count = first[competency + 1] - first[competency]
    pair = np.repeat(np.arange(len(row)), count)
    offset = np.arange(len(pair)) - np.repeat(np.cumsum(count) - count, count)
    link = by_competency[np.repeat(first[competency], count) + offset]
    level = levels[row[pair], competency[pair]]  # pairs x points
    gap = np.maximum(required[row[pair], competency[pair], None] - level, 0.0)
    gain = unit.link_share[link, None] * np.maximum(unit.link_top[link, None] - level, 0.0)
    closure = np.minimum(gap, gain) @ unit.weights
    n, q = len(people), len(unit.jp)
    found = np.bincount(row[pair] * q + unit.link_program[link], closure, minlength=n * q)
    return found.reshape(n, q) * unit.eligible[people]


def _closure_of(unit: _Unit, person: int, program: int) -> float:
    """Expected closure of one programme for one person at their current levels."""
    links = unit.links_of[program]
    level = unit.levels[person, unit.link_competency[links]]  # links x points
    gap = np.maximum(unit.required[person, unit.link_competency[links], None] - level, 0.0)
    gain = unit.link_share[links, None] * np.maximum(unit.link_top[links, None] - level, 0.0)
    return float((np.minimum(gap, gain) @ unit.weights).sum())


def _greedy(
    unit: _Unit, budget: float, max_seats: int, max_per_person: int
) -> list[tuple[int, int, float]]:
    """Pick (person, programme, closure) by marginal closure per JP, lazily re-scored."""
    heap = _candidate_heap(unit)
    seats = np.zeros(len(unit.jp), dtype=np.int64)
    taken = np.zeros(len(unit.profiles), dtype=np.int64)
    version = np.zeros(len(unit.profiles), dtype=np.int64)
    picks: list[tuple[int, int, float]] = []
    open_programs = len({entry[2] for entry in heap})
    while heap and budget > 0 and open_programs:
        ratio, person, program, seen = heapq.heappop(heap)
        if seats[program] >= max_seats or taken[person] >= max_per_person:
            continue
        if unit.jp[program] > budget:
            continue
        if seen != version[person]:  # levels raised since it was scored: score it again
            closure = _closure_of(unit, person, program)
            if closure > 0:
                entry = (-closure / unit.jp[program], person, program, int(version[person]))
                heapq.heappush(heap, entry)
            continue
        closure = float(-ratio * unit.jp[program])  # scored at the person's current levels
        picks.append((person, program, closure))
        _apply(unit, person, program)
        seats[program] += 1
        open_programs -= int(seats[program] == max_seats)
        taken[person] += 1
        version[person] += 1
        budget -= unit.jp[program]
    return picks


def _candidate_heap(unit: _Unit) -> list[tuple[float, int, int, int]]:
    """Heap of (-closure per JP, person, programme, version 0): each person's best pairs."""
    heap: list[tuple[float, int, int, int]] = []
    keep = min(CANDIDATES_PER_PERSON, len(unit.jp))
    for start in range(0, len(unit.profiles), _CHUNK):
        people = np.arange(start, min(start + _CHUNK, len(unit.profiles)))
        ratio = _closures(unit, people) / unit.jp[None, :]
        best = np.argpartition(-ratio, keep - 1, axis=1)[:, :keep]
        values = np.take_along_axis(ratio, best, axis=1)
        rows, slots = np.nonzero(values > 0)
        heap.extend(
            zip(
                (-values[rows, slots]).tolist(),
                (rows + start).tolist(),
                best[rows, slots].tolist(),
                [0] * len(rows),
                strict=True,
            )
        )
    heapq.heapify(heap)
    return heap


def _apply(unit: _Unit, person: int, program: int) -> None:
    """Raise the person's levels by the programme's expected gains."""
    for link in unit.links_of[program]:
        level = unit.levels[person, unit.link_competency[link]]
        level += unit.link_share[link] * np.maximum(unit.link_top[link] - level, 0.0)


def _needs(unit: _Unit, catalogue: Catalogue) -> tuple[Need, ...]:
    held = unit.required > 0
    current = np.where(np.isnan(unit.assessed), 0.0, unit.assessed)
    gap = np.where(held, unit.required - current, 0.0)
    below = held & (gap > 0)
    needs = [
        Need(
            competency=code,
            name=catalogue.name(code),
            name_en=catalogue.name(code, english=True),
            employees=int(held[:, k].sum()),
            below_standard=int(below[:, k].sum()),
            mean_gap=round(float(gap[below[:, k], k].mean()), 3) if below[:, k].any() else 0.0,
            total_gap=round(float(gap[below[:, k], k].sum()), 3),
        )
        for k, code in enumerate(unit.codes)
    ]
    return tuple(sorted(needs, key=lambda need: (-need.total_gap, need.competency)))


def _programs(
    picks: list[tuple[int, int, float]], unit: _Unit, catalogue: Catalogue
) -> tuple[PlannedProgram, ...]:
    grouped: dict[int, list[Participant]] = {}
    for person, program, closure in picks:
        profile = unit.profiles[person]
        grouped.setdefault(program, []).append(
            Participant(profile.employee_id, profile.name, round(closure, 3))
        )
    planned = [
        PlannedProgram(
            training_code=catalogue.programs[col].code,
            title=catalogue.programs[col].title,
            jp=float(unit.jp[col]),
            participants=tuple(sorted(people, key=lambda p: (-p.expected_closure, p.employee_id))),
            jp_total=float(unit.jp[col]) * len(people),
            expected_closure=round(sum(p.expected_closure for p in people), 3),
        )
        for col, people in grouped.items()
    ]
    return tuple(sorted(planned, key=lambda p: (-p.expected_closure, p.training_code)))


def _jp_this_year(session: Session, unit_id: int, year: int) -> dict[int, float]:
    """Sum the JP of the programmes each employee of the unit completed in `year`."""
    return development_repo.jp_completed(
        session, _active_ids(unit_id), date(year, 1, 1), date(year, 12, 31)
    )


def _below_minimum(
    profiles: list[Profile], done: dict[int, float], year: int, settings: RuleSettings
) -> list[BelowMinimum]:
    as_of = min(date.today(), date(year, 12, 31))
    found = []
    statuses: dict[tuple[float, str], JpStatus] = {}
    for person in profiles:
        completed = done.get(person.employee_id, 0.0)
        key = (completed, person.employment_status)
        if key not in statuses:
            statuses[key] = jp_status(completed, person.employment_status, year, as_of, settings)
        status = statuses[key]
        if not status.compliant:
            found.append(
                BelowMinimum(
                    person.employee_id, person.name, completed, status.required, status.remaining
                )
            )
    return found


# --- XLSX export -----------------------------------------------------------------------------


def _append(sheet: Any, row: list[Any]) -> None:
    """Add a row whose text (names, titles) a spreadsheet will not run as a formula."""
    sheet.append([neutralise_formula(value) for value in row])


def plan_workbook(plan: TrainingPlan) -> bytes:
    """Write the plan as an XLSX workbook: needs, programmes with participants, below 20 JP."""
    from openpyxl import Workbook  # here, not at import (start-up time)

    book = Workbook()
    sheet = book.active
    sheet.title = "Kebutuhan"
    sheet.append(["kompetensi", "nama", "pegawai", "di_bawah_standar", "rata_gap", "total_gap"])
    for need in plan.needs:
        _append(
            sheet,
            [
                need.competency,
                need.name,
                need.employees,
                need.below_standard,
                need.mean_gap,
                need.total_gap,
            ],
        )
    sheet = book.create_sheet("Program")
    sheet.append(["kode_pelatihan", "judul", "jp", "employee_id", "nama", "perkiraan_penutupan"])
    for program in plan.programs:
        for person in program.participants:
            _append(
                sheet,
                [
                    program.training_code,
                    program.title,
                    program.jp,
                    person.employee_id,
                    person.name,
                    person.expected_closure,
                ],
            )
    sheet = book.create_sheet("Di bawah minimum JP")
    sheet.append(["employee_id", "nama", "jp_selesai", "jp_wajib", "jp_kurang"])
    for person in plan.below_minimum:
        _append(
            sheet,
            [
                person.employee_id,
                person.name,
                person.jp_completed,
                person.required,
                person.remaining,
            ],
        )
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
