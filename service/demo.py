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
    """Choose the demo logins: the busiest supervisor, one of their team, HR at the root."""
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
    member_id = session.scalar(
        select(Employee.id).where(Employee.supervisor_id == supervisor_id).order_by(Employee.id)
    )
    root_id = session.scalar(select(Unit.id).where(Unit.parent_id.is_(None)).order_by(Unit.id))
    return [
        DemoAccount("admin", "admin", None),
        DemoAccount("hr-unit", "hr", None, unit_id=root_id),
        DemoAccount("supervisor", "supervisor", supervisor_id),
        DemoAccount("employee", "employee", member_id),
        DemoAccount("data", "data", None),
    ]


def ensure_demo_users(session: Session) -> list[DemoAccount]:
    """Create the demo logins that do not exist yet; the caller commits."""
    existing = set(session.scalars(select(User.username)))
    accounts = pick_demo_accounts(session)
    for account in accounts:
        if account.username not in existing:
            create_user(
                session,
                account.username,
                DEMO_PASSWORD,
                account.role,
                employee_id=account.employee_id,
                unit_id=account.unit_id,
            )
    return accounts
