"""Object-level access: the one place that decides who may see, change or rate what.

Who sees an employee (and everything filed under them):
- `admin`: everyone.
- every role but `data`: themselves, and employees whose SKP names them as rater.
- `supervisor` and `hr`: their direct and indirect subordinates (supervisor_id chain).
- `hr`: the employees of its unit and the units below it (the user's unit_id, else the unit
  of its linked employee).
- `data`: nobody by name; only aggregated or pseudonymised answers (unit distributions).

Who changes: `admin` and `hr` (within its units) manage records; only the employee's direct
supervisor or the SKP's appointed rater rates; only the employee writes their own SKP plan
and self-assessment.

Status rule, the same on every route:
- 403 when the caller's ROLE may never use the route (it is in the public contract), or when
  the caller may see the object but not do this to it;
- 404 when the object in the PATH does not exist or the caller may not see it, so a caller
  cannot probe which employees exist outside its scope;
- 422 when an id in the BODY names something that does not exist or is not visible.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from typing import Protocol
from typing import TypeVar

from sqlalchemy import Row
from sqlalchemy.orm import Session

from service.auth.memo import MemoAt
from service.db.models import Employee
from service.db.models import Evaluation
from service.db.models import Unit
from service.db.repositories import organisation as repo
from service.db.repositories.organisation import EmployeeScope
from service.domain.audit import Actor
from service.domain.entities import Role
from service.domain.errors import Forbidden
from service.domain.errors import NotFound

#: Roles that hold personal records (everyone but the data team, which sees no names).
PEOPLE: tuple[Role, ...] = (Role.ADMIN, Role.HR, Role.SUPERVISOR, Role.EMPLOYEE)

R = TypeVar("R")
PERSONAL_DATA_ROLES = frozenset({Role.ADMIN, Role.HR, Role.SUPERVISOR, Role.EMPLOYEE})
MANAGER_ROLES = frozenset({Role.ADMIN, Role.HR})
#: Fewest people an aggregate shown to a role without personal data (the data team) may
#: describe: a unit of one person would give that person's predikat away in its counts.
SMALL_GROUP = 5
_CHAIN_ROLES = frozenset({Role.SUPERVISOR, Role.HR})


class Placed(Protocol):
    """Where an employee sits: what `can_see` reads (an `Employee`, or its card row)."""

    @property
    def id(self) -> int: ...

    @property
    def unit_id(self) -> int: ...

    @property
    def supervisor_id(self) -> int | None: ...


def require_role(actor: Actor, roles: Iterable[Role]) -> None:
    """Refuse (403) a caller whose role may never use this route."""
    allowed = frozenset(roles)
    if actor.role not in allowed:
        names = ", ".join(sorted(role.value for role in allowed))
        raise Forbidden(f"this route is for the roles {names}; you are {actor.role.value}")


def employee_scope(actor: Actor) -> EmployeeScope:
    """Describe the employees `actor` may see, for list queries."""
    if actor.role is Role.ADMIN:
        return EmployeeScope(everyone=True)
    if actor.role not in PERSONAL_DATA_ROLES or actor.employee_id is None:
        unit_root = actor.unit_id if actor.role is Role.HR else None
        return EmployeeScope(unit_root=unit_root)
    return EmployeeScope(
        self_id=actor.employee_id,
        rater_id=actor.employee_id,
        supervisor_id=actor.employee_id if actor.role in _CHAIN_ROLES else None,
        unit_root=actor.unit_id if actor.role is Role.HR else None,
    )


def can_see(session: Session, actor: Actor, employee: Placed) -> bool:
    """Whether `actor` may see `employee` and their records (cheap checks first)."""
    if actor.role is Role.ADMIN:
        return True
    if actor.role not in PERSONAL_DATA_ROLES:
        return False
    if actor.is_self(employee.id):
        return True
    if actor.role in _CHAIN_ROLES and _is_direct_report(actor, employee):
        return True
    if actor.role is Role.HR and actor.unit_id is not None:
        if repo.is_unit_within(session, employee.unit_id, actor.unit_id):
            return True
    if actor.employee_id is None:
        return False
    if actor.role in _CHAIN_ROLES and repo.is_subordinate(session, employee.id, actor.employee_id):
        return True
    return repo.rates_employee(session, actor.employee_id, employee.id, None)


def may_rate(session: Session, actor: Actor, employee: Placed, year: int | None) -> bool:
    """Whether `actor` is the direct supervisor or the appointed SKP rater of `employee`."""
    if actor.employee_id is None or actor.is_self(employee.id):
        return False
    if _is_direct_report(actor, employee):
        return True
    return repo.rates_employee(session, actor.employee_id, employee.id, year)


def may_manage(session: Session, actor: Actor, employee: Employee) -> bool:
    """Whether `actor` may change `employee`'s records (admin, or hr over its units)."""
    if actor.role is Role.ADMIN:
        return True
    return actor.role is Role.HR and unit_in_scope(session, actor, employee.unit_id)


def shows_group(actor: Actor, size: int) -> bool:
    """Whether `actor` may see an aggregate of `size` people: roles that see personal data
    anyway, any size; the data team, groups of at least `SMALL_GROUP` (none is empty)."""
    return actor.role in PERSONAL_DATA_ROLES or size == 0 or size >= SMALL_GROUP


def unit_in_scope(session: Session, actor: Actor, unit_id: int) -> bool:
    """Whether `actor` sees unit `unit_id`: admin and data all, hr its subtree."""
    if actor.role in (Role.ADMIN, Role.DATA):
        return True
    if actor.role is Role.HR and actor.unit_id is not None:
        return repo.is_unit_within(session, unit_id, actor.unit_id)
    return False


def visible_employee(session: Session, actor: Actor, employee_id: int) -> Employee:
    """Return the employee, or 404 when it does not exist or `actor` may not see it."""
    employee = repo.get_employee(session, employee_id)
    if employee is None or not can_see(session, actor, employee):
        raise NotFound(f"no employee {employee_id} visible to you")
    return employee


def visible_employee_card(
    session: Session, actor: Actor, employee_id: int, memo: MemoAt | None = None
) -> Row[Any]:
    """`visible_employee` for reads that need no ORM object: the employee's card row.

    The same rule and the same 404; the row (`id`, `unit_id`, `supervisor_id`, `hire_date`,
    `grade`) costs a third of loading the `Employee` (the risk read's hot path). With `memo`,
    a card this worker found visible to the same role, employee and unit at the same change
    generation is reused without a query: every table the rule reads moves the generation.
    """
    key = ("visible card", actor.role, actor.employee_id, actor.unit_id, employee_id)
    card: Row[Any] | None = memo.get(key) if memo is not None else None
    if card is None:
        card = repo.employee_card(session, employee_id)
        if card is None or not can_see(session, actor, card):
            raise NotFound(f"no employee {employee_id} visible to you")
        if memo is not None:
            memo.put(key, card)
    return card


def owned_record(
    session: Session, actor: Actor, record: R | None, label: str, employee: Placed | None = None
) -> R:
    """Return a record filed under an employee (`record.employee_id`) the actor may see.

    404 naming `label` when the record does not exist or its employee is not visible. Pass
    where the record's `employee` sits when the query that found the record read it too.
    """
    if record is not None:
        if employee is None:
            employee = repo.get_employee(session, record.employee_id)  # type: ignore[attr-defined]
        if employee is not None and can_see(session, actor, employee):
            return record
    raise NotFound(f"no {label} visible to you")


def managed_employee(session: Session, actor: Actor, employee_id: int) -> Employee:
    """Return an employee `actor` may change (404 unseen, 403 seen but not managed)."""
    employee = visible_employee(session, actor, employee_id)
    if not may_manage(session, actor, employee):
        raise Forbidden(f"you may see employee {employee_id} but not change their records")
    return employee


def rated_employee(session: Session, actor: Actor, employee_id: int, year: int) -> Row[Any]:
    """The card row of an employee `actor` may rate (404 unseen, 403 seen but not their rater).

    The card, not the ORM object: rating writes only need where the employee sits, and
    loading the `Employee` was a fifth of an evaluation POST's CPU.
    """
    employee = visible_employee_card(session, actor, employee_id)
    if not may_rate(session, actor, employee, year):
        raise Forbidden(
            f"only the direct supervisor or the appointed SKP rater of employee {employee_id} "
            "may rate or give feedback"
        )
    return employee


def corrects_evaluation(session: Session, actor: Actor, evaluation: Evaluation) -> None:
    """Allow a correction of `evaluation` only by the rater who gave it, while they may still
    rate the employee for its year (403 otherwise, 404 when unseen).

    A supervisor who took over the team does not rewrite a predecessor's evaluation: the
    evaluation is its rater's, whose superior decides an objection to it. An evaluation that
    names no rater (an import without `rater_nip`) is corrected by whoever may rate.
    """
    rated_employee(session, actor, evaluation.employee_id, int(evaluation.period[:4]))
    if evaluation.rater_id is not None and not actor.is_self(evaluation.rater_id):
        raise Forbidden(
            f"evaluation {evaluation.id} was given by another rater: only they may correct "
            "it; the employee may file an objection to it"
        )


def may_decide_objection(
    session: Session,
    actor: Actor,
    employee: Employee,
    rater_id: int | None,
    rater_superior_id: int | None,
) -> bool:
    """Whether `actor` decides an objection (*keberatan*) to an evaluation of `employee`.

    The regulation gives the decision to the rater's superior (atasan pejabat penilai
    kinerja); when the evaluation names no rater or the rater has none, an admin or hr over
    the employee's unit decides. Never the employee, nor the rater, themselves.
    """
    if actor.is_self(employee.id) or actor.is_self(rater_id):
        return False
    if rater_superior_id is not None:
        return actor.employee_id == rater_superior_id
    return may_manage(session, actor, employee)


def visible_objection(
    session: Session,
    actor: Actor,
    employee: Employee | None,
    rater_id: int | None,
    rater_superior_id: int | None,
) -> bool:
    """Whether `actor` sees an objection: whoever sees its employee, and whoever decides it
    (an appointed rater's superior may sit outside the employee's chain)."""
    if employee is None:
        return False
    return can_see(session, actor, employee) or may_decide_objection(
        session, actor, employee, rater_id, rater_superior_id
    )


def data_subject(session: Session, actor: Actor, employee_id: int) -> Employee:
    """Return an employee whose whole personal data `actor` may export: the person, or an
    admin acting on their recorded request (404 unseen, 403 seen but neither)."""
    employee = visible_employee(session, actor, employee_id)
    if not (actor.is_self(employee.id) or actor.role is Role.ADMIN):
        raise Forbidden(
            f"only employee {employee_id}, or an admin on their request, may export all "
            "their personal data"
        )
    return employee


def may_supervise(session: Session, actor: Actor, employee: Employee) -> bool:
    """Whether `actor` is above `employee` in the supervisor chain (direct or indirect)."""
    if actor.employee_id is None or actor.is_self(employee.id):
        return False
    if _is_direct_report(actor, employee):
        return True
    return repo.is_subordinate(session, employee.id, actor.employee_id)


def supervised_employee(session: Session, actor: Actor, employee_id: int) -> Employee:
    """Return an employee `actor` supervises (404 unseen, 403 seen but not above them).

    Used where the regulation gives the supervisor chain, not the SKP's appointed rater, a
    part: acknowledging activity logs and holding performance dialogues (issue 8).
    """
    employee = visible_employee(session, actor, employee_id)
    if not may_supervise(session, actor, employee):
        raise Forbidden(f"only a supervisor above employee {employee_id} may do this")
    return employee


def own_employee(session: Session, actor: Actor, employee_id: int) -> Employee:
    """Return the caller's own employee record (404 unseen, 403 someone else's)."""
    employee = visible_employee(session, actor, employee_id)
    if not actor.is_self(employee.id):
        raise Forbidden(f"only employee {employee_id} may write this for themselves")
    return employee


def visible_unit(session: Session, actor: Actor, unit_id: int) -> Unit:
    """Return the unit, or 404 when it does not exist or is outside the caller's units."""
    unit = repo.get_unit(session, unit_id)
    if unit is None or not unit_in_scope(session, actor, unit_id):
        raise NotFound(f"no unit {unit_id} visible to you")
    return unit


def managed_unit(session: Session, actor: Actor, unit_id: int) -> Unit:
    """Return a unit `actor` may change (404 unseen, 403 seen but not managed)."""
    unit = visible_unit(session, actor, unit_id)
    if actor.role not in MANAGER_ROLES:
        raise Forbidden(f"you may see unit {unit_id} but not change it")
    return unit


def _is_direct_report(actor: Actor, employee: Placed) -> bool:
    return actor.employee_id is not None and employee.supervisor_id == actor.employee_id


def is_above(session: Session, actor: Actor, employee: Employee) -> bool:
    """Whether `actor` (supervisor or hr role) is above `employee` in the supervisor chain."""
    if actor.role not in _CHAIN_ROLES or actor.employee_id is None:
        return False
    if _is_direct_report(actor, employee):
        return True
    return repo.is_subordinate(session, employee.id, actor.employee_id)


def led_employee(session: Session, actor: Actor, employee_id: int) -> Employee:
    """Return an employee whose processes `actor` may run: admin, hr over its units, or a
    supervisor above them; never the employee themselves (404 unseen, 403 otherwise)."""
    employee = visible_employee(session, actor, employee_id)
    if actor.is_self(employee.id) or not (
        may_manage(session, actor, employee) or is_above(session, actor, employee)
    ):
        raise Forbidden(
            f"only a supervisor above employee {employee_id}, hr over their unit or an admin "
            "may do this, and never for themselves"
        )
    return employee
