"""Demo accounts for `kinerja demo`: one login per role over the seeded organisation.

Demo passwords are printed on start and only ever created in demo mode; a production
install creates its users with `kinerja create-user`.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.db.models import Employee
from service.db.models import Unit
from service.db.models import User
from service.domain.entities import Role
from service.domain.users import create_user

DEMO_PASSWORD = "kinerja-demo-2026"
#: The demo's fairness gate: its few hundred people make a TPR gap of 0.10 sampling noise.
DEMO_MAX_TPR_GAP = "0.25"


@dataclass(frozen=True)
class DemoAccount:
    username: str
    role: str
    employee_id: int | None
    unit_id: int | None = None


def pick_demo_accounts(session: Session) -> list[DemoAccount]:
    """Choose the demo logins: the busiest supervisor, one of their team who leads nobody,
    HR at the root."""
    reports = func.count(Employee.id)
    busiest = session.execute(
        select(Employee.supervisor_id, reports)
        .where(Employee.supervisor_id.is_not(None))
        .group_by(Employee.supervisor_id)
        .order_by(reports.desc(), Employee.supervisor_id)
        .limit(1)
    ).first()
    if busiest is None:
        return [DemoAccount("admin", "admin", None), DemoAccount("data", "data", None)]
    supervisor_id = busiest[0]
    member_id = _without_reports(session, supervisor_id) or _without_reports(session, None)
    root_id = session.scalar(select(Unit.id).where(Unit.parent_id.is_(None)).order_by(Unit.id))
    return [
        DemoAccount("admin", "admin", None),
        DemoAccount("hr-unit", "hr", None, unit_id=root_id),
        DemoAccount("supervisor", "supervisor", supervisor_id),
        DemoAccount("employee", "employee", member_id),
        DemoAccount("data", "data", None),
    ]


def _without_reports(session: Session, supervisor_id: int | None) -> int | None:
    """The first employee (of `supervisor_id`'s direct reports; else of anyone) who leads
    nobody: the employee role does not see its direct reports (`policy.can_see` gives the
    supervisor chain to the supervisor and hr roles only), so a login of that role with
    reports would have a team it can neither see nor open."""
    leads = select(Employee.supervisor_id).where(Employee.supervisor_id.is_not(None))
    query = select(Employee.id).where(Employee.id.not_in(leads)).order_by(Employee.id)
    if supervisor_id is not None:
        query = query.where(Employee.supervisor_id == supervisor_id)
    return session.scalar(query.limit(1))


def _leads(session: Session, employee_id: int | None) -> bool:
    query = select(Employee.id).where(Employee.supervisor_id == employee_id).limit(1)
    return employee_id is not None and session.scalar(query) is not None


def ensure_demo_users(session: Session) -> list[DemoAccount]:
    """Create the demo logins that do not exist yet, and move an `employee` login made
    before it had to lead nobody to the one picked now; the caller commits."""
    accounts = pick_demo_accounts(session)
    names = [account.username for account in accounts]
    users = session.scalars(select(User).where(User.username.in_(names)))
    existing = {user.username: user for user in users}
    for account in accounts:
        user = existing.get(account.username)
        if user is not None and user.role is Role.EMPLOYEE and _leads(session, user.employee_id):
            user.employee_id = account.employee_id  # a login made before it had to lead nobody
        elif user is None:
            create_user(
                session,
                account.username,
                DEMO_PASSWORD,
                account.role,
                employee_id=account.employee_id,
                unit_id=account.unit_id,
            )
    return accounts
