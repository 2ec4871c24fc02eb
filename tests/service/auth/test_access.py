"""The policy functions on a real session: indirect chains, appointed raters, cycles."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.auth import policy
from service.db.models import Employee
from service.db.models import Skp
from service.db.repositories import organisation as repo
from service.domain.audit import Actor
from service.domain.entities import Role
from service.domain.entities import SkpStatus
from service.domain.errors import Forbidden
from service.domain.errors import NotFound
from tests.service.api.world import World
from tests.service.api.world import add_skp
from tests.service.api.world import build_world


@pytest.fixture
def world(session: Session) -> World:
    return build_world(session)


def _actor(world: World, role: Role, person: str | None, unit: str | None = None) -> Actor:
    employee = world.employees[person] if person else None
    unit_id = world.units[unit] if unit else None
    return Actor(user_id=1, username="u", role=role, employee_id=employee, unit_id=unit_id)


def test_supervisor_sees_indirect_subordinates(session: Session, world: World) -> None:
    supervisor = _actor(world, Role.SUPERVISOR, "S")
    assert (
        policy.visible_employee(session, supervisor, world.employees["E2"]).id
        == world.employees["E2"]
    )
    with pytest.raises(Forbidden, match="direct supervisor"):
        policy.rated_employee(session, supervisor, world.employees["E2"], 2025)


def test_appointed_rater_sees_and_rates_whatever_the_role(session: Session, world: World) -> None:
    rater = _actor(world, Role.EMPLOYEE, "T")
    with pytest.raises(NotFound):
        policy.visible_employee(session, rater, world.employees["E2"])
    add_skp(session, world, "E2", 2025, "T")
    assert policy.rated_employee(session, rater, world.employees["E2"], 2025)
    with pytest.raises(Forbidden):
        policy.rated_employee(session, rater, world.employees["E2"], 2024)


def test_a_cancelled_plan_gives_its_rater_nothing(session: Session, world: World) -> None:
    """Cancelling an SKP ends what naming its rater gave: seeing, rating and listing."""
    rater = _actor(world, Role.EMPLOYEE, "T")
    skp = session.get(Skp, add_skp(session, world, "E2", 2025, "T"))
    assert policy.rated_employee(session, rater, world.employees["E2"], 2025)
    assert skp is not None
    skp.status = SkpStatus.DIBATALKAN
    session.flush()
    with pytest.raises(NotFound):
        policy.visible_employee(session, rater, world.employees["E2"])
    listed = select(Employee.id).where(repo.employee_condition(policy.employee_scope(rater)))
    assert world.employees["E2"] not in set(session.scalars(listed))


def test_a_cycle_in_the_chain_ends_the_walk(session: Session, world: World) -> None:
    boss = session.get(Employee, world.employees["H"])
    assert boss is not None
    boss.supervisor_id = world.employees["E2"]  # H -> E2 -> E1 -> S -> H
    session.flush()
    assert repo.is_subordinate(session, world.employees["E1"], world.employees["H"])
    assert not repo.is_subordinate(session, world.employees["E1"], world.employees["O"])
    scope = policy.employee_scope(_actor(world, Role.SUPERVISOR, "S"))
    page = repo.list_employees(session, scope, 100, 0)
    assert {e.id for e in page.items} == {world.employees[p] for p in ("H", "S", "E1", "E2")}


@pytest.mark.parametrize(
    ("unit", "person", "visible"),
    [("A", "O", False), ("B", "O", True), ("A1", "T", True), ("A1", "H", False)],
)
def test_hr_scope_is_its_unit_subtree(
    session: Session, world: World, unit: str, person: str, visible: bool
) -> None:
    hr = _actor(world, Role.HR, None, unit)
    employee = session.get(Employee, world.employees[person])
    assert employee is not None
    assert policy.can_see(session, hr, employee) is visible


def test_data_team_sees_nobody_by_name(session: Session, world: World) -> None:
    data = _actor(world, Role.DATA, None)
    page = repo.list_employees(session, policy.employee_scope(data), 100, 0)
    assert page.total == 0
    with pytest.raises(NotFound):
        policy.visible_employee(session, data, world.employees["E1"])


@pytest.mark.parametrize(
    ("role", "person", "unit"),
    [
        (Role.SUPERVISOR, "S", None),
        (Role.EMPLOYEE, "E2", None),
        (Role.HR, "H", "A"),
        (Role.HR, None, "A1"),
        (Role.ADMIN, None, None),
        (Role.DATA, None, None),
        (Role.SUPERVISOR, "O", None),
        (Role.EMPLOYEE, "E1", None),
    ],
)
def test_the_card_lookup_decides_as_the_employee_lookup(
    session: Session, world: World, role: Role, person: str | None, unit: str | None
) -> None:
    """`visible_employee_card` (the risk read's Core row) sees exactly whom `visible_employee`
    sees, with the same 404, for every employee of the world."""
    actor = _actor(world, role, person, unit)
    for name, employee_id in world.employees.items():
        try:
            expected = policy.visible_employee(session, actor, employee_id)
        except NotFound:
            with pytest.raises(NotFound, match=f"no employee {employee_id} visible"):
                policy.visible_employee_card(session, actor, employee_id)
            continue
        card = policy.visible_employee_card(session, actor, employee_id)
        assert (card.id, card.unit_id, card.supervisor_id) == (
            expected.id,
            expected.unit_id,
            expected.supervisor_id,
        ), name
        assert (card.hire_date, card.grade) == (expected.hire_date, expected.grade)
    with pytest.raises(NotFound):
        policy.visible_employee_card(session, actor, 2_000_000_000)
