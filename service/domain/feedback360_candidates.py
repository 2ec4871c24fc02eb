"""Whom a round's starter is offered as raters, per group (issue 8, part 2).

The start-a-round page offers the people the organisation vouches for (`start_round`'s rules):
the employee (self), the direct supervisor, colleagues under the same supervisor (peers) and
direct reports (subordinates). The offer decides nothing: the page sends the chosen people to
`start_round`, which checks every nomination exactly as for `POST /employees/{id}/feedback-rounds`.
Only people the caller may see are offered (their names and NIPs are on the form).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.auth import policy
from service.db.models import Employee
from service.domain.audit import Actor
from service.domain.feedback360_terms import RaterGroup

#: More colleagues than this under one supervisor are cut (the form stays usable).
CANDIDATES_MAX = 200


@dataclass(frozen=True)
class NominationCandidates:
    """The employee a round would be on, and the people offered for each rater group."""

    employee: Employee
    groups: dict[RaterGroup, list[Employee]]


def nomination_candidates(
    session: Session, actor: Actor, employee_id: int
) -> NominationCandidates:
    """The people offered per group; 404/403 as `start_round` for whom the caller may not lead."""
    employee = policy.led_employee(session, actor, employee_id)
    groups: dict[RaterGroup, list[Employee]] = {
        RaterGroup.SELF: [employee],
        RaterGroup.SUPERVISOR: [],
        RaterGroup.PEER: [],
        RaterGroup.SUBORDINATE: _active(session, Employee.supervisor_id == employee.id),
    }
    if employee.supervisor_id is not None:
        boss = session.get(Employee, employee.supervisor_id)
        groups[RaterGroup.SUPERVISOR] = [boss] if boss is not None and boss.is_active else []
        colleagues = _active(session, Employee.supervisor_id == employee.supervisor_id)
        groups[RaterGroup.PEER] = [p for p in colleagues if p.id != employee.id]
    # A team may span units: hr sees its units only, and `start_round` refuses anyone else.
    visible = {
        group: [p for p in people if policy.can_see(session, actor, p)]
        for group, people in groups.items()
    }
    return NominationCandidates(employee, visible)


def _active(session: Session, condition: object) -> list[Employee]:
    query = (
        select(Employee)
        .where(condition, Employee.is_active.is_(True))  # type: ignore[arg-type]
        .order_by(Employee.name, Employee.id)
        .limit(CANDIDATES_MAX)
    )
    return list(session.scalars(query))
