"""The unit plan: needs by competency, greedy programmes within budget and seats, 20 JP rule."""

from __future__ import annotations

import io
from datetime import date

import numpy as np
import pytest
from openpyxl import load_workbook
from sqlalchemy.orm import Session

from service.db.reference_data import load_reference_data
from service.domain.audit import Actor
from service.domain.entities import EnrolmentStatus
from service.domain.entities import Role
from service.domain.errors import Invalid
from service.domain.errors import NotFound
from service.domain.ranking import RankingState
from service.domain.ranking import RuleGains
from service.domain.ranking import belief_of
from service.domain.recommender_data import Catalogue
from service.domain.recommender_data import LevelHistory
from service.domain.recommender_data import Profile
from service.domain.recommender_data import Program
from service.domain.recommender_data import ProgramLink
from service.domain.recommender_data import history_of
from service.domain.recommender_data import load_profiles
from service.domain.recommender_data import load_unit_profiles
from service.domain.training_plan import plan_for_profiles
from service.domain.training_plan import plan_workbook
from service.domain.training_plan import unit_training_plan
from tests.factories import make_employee
from tests.factories import make_position
from tests.factories import make_unit
from tests.service.domain.recommender_history import add_assessment
from tests.service.domain.recommender_history import add_enrolment
from tests.service.domain.recommender_history import add_standard

KINDS = frozenset({"pelaksana"})
NAMES = {"A": ("Komunikasi", "Communication"), "B": ("Kerja Sama", "Teamwork")}


def program(code: str, jp: float, *links: tuple[str, int]) -> Program:
    return Program(
        code, code, code, jp, "teknis", KINDS, None, tuple(ProgramLink(*x) for x in links)
    )


def person(employee_id: int, levels: dict[str, float]) -> Profile:
    return Profile(
        employee_id, "pelaksana", None, {"A": 3, "B": 3}, levels, name=f"P{employee_id}"
    )


# Rule gains: a programme brings a person to its top level.
#   LONG (40 JP): A to 3 -> closes 2 for person 1, 1 for person 2: 0.05 and 0.025 per JP
#   SHORT (8 JP): B to 3 -> closes 1 for person 1 and 2:           0.125 per JP
#   HALF (10 JP): A to 2 -> closes 1 for person 1, 0 for person 2:  0.1 per JP
CATALOGUE = Catalogue(
    (program("LONG", 40, ("A", 3)), program("SHORT", 8, ("B", 3)), program("HALF", 10, ("A", 2))),
    NAMES,
)
PEOPLE = [person(1, {"A": 1, "B": 2}), person(2, {"A": 2, "B": 2})]


def test_needs_count_who_falls_below_each_competency() -> None:
    needs, _ = plan_for_profiles(PEOPLE, CATALOGUE, RuleGains(), 0, 30)

    assert [
        (n.competency, n.employees, n.below_standard, n.mean_gap, n.total_gap) for n in needs
    ] == [
        ("A", 2, 2, 1.5, 3.0),
        ("B", 2, 2, 1.0, 2.0),
    ]
    assert needs[0].name == "Komunikasi" and needs[0].name_en == "Communication"


@pytest.mark.parametrize(
    ("budget", "seats", "per_person", "expected"),
    [
        # best closure per JP first: SHORT x2 (16 JP), then HALF for person 1 (26 JP).
        (26, 30, 2, {"SHORT": [1, 2], "HALF": [1]}),
        # 16 JP leaves nothing else that fits.
        (20, 30, 2, {"SHORT": [1, 2]}),
        # one seat per programme: SHORT to the first best (tie: lower id), HALF, then LONG for 2.
        (100, 1, 2, {"SHORT": [1], "HALF": [1], "LONG": [2]}),
        # one programme a person.
        (100, 30, 1, {"SHORT": [1, 2]}),
    ],
)
def test_programmes_are_picked_by_closure_per_jp_within_budget_seats_and_per_person(
    budget: float, seats: int, per_person: int, expected: dict[str, list[int]]
) -> None:
    _, programs = plan_for_profiles(PEOPLE, CATALOGUE, RuleGains(), budget, seats, per_person)

    found = {p.training_code: sorted(x.employee_id for x in p.participants) for p in programs}
    assert found == expected
    assert sum(p.jp_total for p in programs) <= budget
    assert all(len(p.participants) <= seats for p in programs)


def test_a_pick_updates_the_person_so_a_second_programme_for_a_closed_gap_is_not_taken() -> None:
    _, programs = plan_for_profiles(PEOPLE, CATALOGUE, RuleGains(), 1_000, 30, 5)

    # After HALF (A to 2) person 1 still lacks 1 on A, so LONG adds 1 more; person 2 takes LONG.
    by_code = {p.training_code: p for p in programs}
    assert {x.employee_id: x.expected_closure for x in by_code["LONG"].participants} == {
        1: 1.0,
        2: 1.0,
    }
    assert by_code["HALF"].expected_closure == 1.0


ADMIN = Actor(None, "admin", Role.ADMIN)


def _unit_with_staff(session: Session) -> tuple[int, list[int]]:
    load_reference_data(session)
    root = make_unit(session)
    child = make_unit(session, parent_id=root.id)
    position = make_position(session, kind="pelaksana")
    add_standard(session, position.id, {"M.03": 3, "M.02": 2})
    ids = []
    for unit, levels in ((root, {"M.03": 1.5, "M.02": 2}), (child, {"M.03": 2, "M.02": 1})):
        employee = make_employee(session, unit_id=unit.id, position_id=position.id)
        add_assessment(session, employee.id, date(2025, 2, 1), levels)
        ids.append(employee.id)
    add_enrolment(session, ids[0], "MAN-KOM-01", date(2025, 3, 1))  # 24 JP in 2025
    add_enrolment(session, ids[1], "EL-SK-01", date(2024, 12, 1))  # 4 JP, last year
    add_enrolment(session, ids[1], "SEM-INT-01", date(2025, 5, 1), EnrolmentStatus.ENROLLED)
    make_employee(session, unit_id=child.id, position_id=position.id, is_active=False)
    return root.id, ids


def test_the_unit_plan_covers_the_subtree_and_lists_who_is_below_the_jp_minimum(
    session: Session,
) -> None:
    root, (first, second) = _unit_with_staff(session)

    plan = unit_training_plan(session, ADMIN, root, year=2025, max_seats=5)

    assert plan.employees == 2  # the inactive employee is left out
    assert plan.jp_budget == 40  # 20 JP x 2 employees
    assert plan.jp_used <= plan.jp_budget
    assert {n.competency: n.below_standard for n in plan.needs} == {"M.03": 2, "M.02": 1}
    chosen = {x.employee_id for p in plan.programs for x in p.participants}
    assert chosen <= {first, second}
    assert "MAN-KOM-01" not in {
        p.training_code for p in plan.programs if first in {x.employee_id for x in p.participants}
    }
    assert [(b.employee_id, b.jp_completed, b.remaining) for b in plan.below_minimum] == [
        (second, 0.0, 20.0)
    ]
    assert plan.model.fallback


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"jp_budget": -1.0}, "jp_budget: must be a number of JP from 0"),
        ({"max_seats": 0}, "max_seats: must be a whole number from 1"),
    ],
)
def test_the_unit_plan_refuses_bad_limits(session: Session, fields: dict, message: str) -> None:
    root, _ = _unit_with_staff(session)

    with pytest.raises(Invalid, match=message):
        unit_training_plan(session, ADMIN, root, **fields)


def test_the_unit_plan_is_for_visible_units_only(session: Session) -> None:
    root, _ = _unit_with_staff(session)
    other = make_unit(session)
    hr = Actor(3, "hr", Role.HR, unit_id=other.id)

    with pytest.raises(NotFound, match=f"no unit {root} visible to you"):
        unit_training_plan(session, hr, root)


def test_the_workbook_holds_the_needs_the_participants_and_the_jp_shortfall(
    session: Session,
) -> None:
    root, _ = _unit_with_staff(session)
    plan = unit_training_plan(session, ADMIN, root, year=2025)

    book = load_workbook(io.BytesIO(plan_workbook(plan)))

    assert book.sheetnames == ["Kebutuhan", "Program", "Di bawah minimum JP"]
    needs = list(book["Kebutuhan"].iter_rows(min_row=2, values_only=True))
    assert [row[0] for row in needs] == [n.competency for n in plan.needs]
    seats = list(book["Program"].iter_rows(min_row=2, values_only=True))
    assert len(seats) == sum(len(p.participants) for p in plan.programs)
    short = list(book["Di bawah minimum JP"].iter_rows(min_row=2, values_only=True))
    assert [row[0] for row in short] == [b.employee_id for b in plan.below_minimum]


def _history_rows(history: LevelHistory, ids: list[int]) -> tuple[list, list, list]:
    """The history as comparable rows keyed by employee id (item order may differ)."""
    items = [
        (ids[p], c, int(r))
        for p, c, r in zip(history.person, history.competency, history.required, strict=True)
    ]
    measured = sorted(
        (*items[i][:2], str(on), float(level), str(method))
        for i, on, level, method in zip(
            history.item, history.assessed_on, history.level, history.method, strict=True
        )
    )
    done = sorted(
        (ids[p], str(code), str(on))
        for p, code, on in zip(
            history.completed_by, history.completed, history.completed_on, strict=True
        )
    )
    return sorted(items), measured, done


def test_the_unit_reader_agrees_with_the_one_employee_reader(session: Session) -> None:
    root, ids = _unit_with_staff(session)
    # Same-day reassessment: the later one is the latest; a level outside the standard is
    # not an item; a second method.
    add_assessment(session, ids[0], date(2025, 6, 1), {"M.03": 2.5, "T.01": 4})
    add_assessment(session, ids[0], date(2025, 6, 1), {"M.03": 3.0}, "penilaian_atasan")

    unit, history = load_unit_profiles(session, sorted(ids))
    single = load_profiles(session, sorted(ids))

    def summary(profiles: list[Profile]) -> list[tuple]:
        """What both readers give; the unit reader keeps the levels of the standard only."""
        return [
            (
                p.employee_id,
                dict(p.standard),
                {c: p.levels[c] for c in p.standard if c in p.levels},
                p.taken,
            )
            for p in profiles
        ]

    assert summary(unit) == summary(single)
    assert unit[0].levels["M.03"] == 3.0
    assert _history_rows(history, sorted(ids)) == _history_rows(history_of(single), sorted(ids))

    def latest(found: LevelHistory) -> dict[tuple[int, str], float]:
        keys = zip(found.person.tolist(), found.competency.tolist(), strict=True)
        return dict(zip(keys, found.latest().tolist(), strict=True))

    assert latest(history) == latest(history_of(single))


class UncertainGains(RuleGains):
    """Believes the assessed level give or take `sd`, and closes `share` of the way up."""

    def __init__(self, share: float, sd: float) -> None:
        self.fixed, self.sd = share, sd

    def level_beliefs(self, history: LevelHistory) -> tuple[np.ndarray, np.ndarray]:
        mean, _ = super().level_beliefs(history)
        return mean, np.full(len(mean), self.sd)

    def share(self, code: str, competency: str) -> float:
        return self.fixed


def test_the_plan_expects_what_the_ranking_expects_for_each_person() -> None:
    gains = UncertainGains(0.5, 0.4)
    _, programs = plan_for_profiles(PEOPLE, CATALOGUE, gains, 1_000, 30, 1)

    assert programs
    for planned in programs:
        program = next(p for p in CATALOGUE.programs if p.code == planned.training_code)
        for seat in planned.participants:
            person = next(p for p in PEOPLE if p.employee_id == seat.employee_id)
            state = RankingState(person.standard, belief_of(person, gains))
            # one programme a person: the plan expects what the ranking expects of it alone
            alone = sum(state.marginal_gains(program, gains).values())
            assert seat.expected_closure == pytest.approx(alone, abs=1e-3)
            assert alone > 0
