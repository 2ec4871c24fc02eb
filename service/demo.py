"""Demo accounts for `kinerja demo`: one login per role over the seeded organisation, and
SKP templates for its most held positions, so the unit page's drafting form has something to
draft from.

Demo passwords are printed on start and only ever created in demo mode; a production
install creates its users with `kinerja create-user`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.db.models import Employee
from service.db.models import Position
from service.db.models import SkpTemplate
from service.db.models import Unit
from service.db.models import User
from service.domain.audit import Actor
from service.domain.entities import PositionKind
from service.domain.entities import Role
from service.domain.skp_templates import put_template
from service.domain.users import create_user

DEMO_PASSWORD = "kinerja-demo-2026"
#: The demo's fairness gate: its few hundred people make a TPR gap of 0.10 sampling noise.
DEMO_MAX_TPR_GAP = "0.25"
#: How many position titles (the most held ones) get an SKP template in the demo.
DEMO_TEMPLATE_TITLES = 4
#: Who writes the demo's templates in the audit log.
DEMO_ACTOR = Actor(None, "demo", Role.ADMIN)


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


def seed_demo_templates(session: Session) -> int:
    """Give every position of the `DEMO_TEMPLATE_TITLES` most held titles an SKP template
    (through `put_template`, as hr would write one), unless it has one; returns how many
    were written. The caller commits."""
    held = func.count(Employee.id)
    titles = select(Position.title).join(Employee, Employee.position_id == Position.id)
    titles = titles.where(Employee.is_active).group_by(Position.title)
    top = titles.order_by(held.desc(), Position.title).limit(DEMO_TEMPLATE_TITLES)
    query = (
        select(Position.id, Position.title, Position.kind)
        .where(Position.title.in_(top.scalar_subquery()), ~_has_template())
        .order_by(Position.id)
    )
    written = 0
    for position_id, title, kind in session.execute(query).all():
        put_template(session, DEMO_ACTOR, position_id, None, demo_template(title, kind))
        written += 1
    return written


def _has_template() -> Any:
    return select(SkpTemplate.position_id).where(SkpTemplate.position_id == Position.id).exists()


def demo_template(title: str, kind: PositionKind) -> dict[str, Any]:
    """A plausible SKP template (Indonesian RHK and indicators) for a position `title`: the
    first RHK supports the rater's first (`parent_ordinal`), as a team's plans cascade."""
    if kind is PositionKind.STRUKTURAL:
        main = f"Terwujudnya pelaksanaan program kerja {title} sesuai rencana strategis"
        output, unit = "program kerja yang terlaksana sesuai jadwal", "persen"
        amount = 90
    elif kind is PositionKind.FUNGSIONAL:
        main = f"Tersusunnya hasil kerja jabatan fungsional {title} yang berkualitas"
        output, unit = (
            "dokumen hasil kerja (kajian, laporan, rekomendasi) yang diselesaikan",
            "dokumen",
        )
        amount = 12
    else:
        main = f"Terselesaikannya tugas {title} secara tertib, akurat dan tepat waktu"
        output, unit = "berkas yang diproses dan diserahkan kepada atasan", "berkas"
        amount = 240
    return {
        "model": "ja_jf",
        "approach": "kuantitatif",
        "rhks": [
            {
                "kind": "utama",
                "description": main,
                "parent_ordinal": 1,
                "indicators": [
                    _indicator("kuantitas", f"Jumlah {output}", amount, unit),
                    _indicator(
                        "kualitas",
                        "Persentase hasil kerja yang diterima atasan tanpa revisi",
                        90,
                        "persen",
                    ),
                    _indicator("waktu", "Jumlah bulan penyelesaian hasil kerja", 12, "bulan"),
                ],
            },
            {
                "kind": "utama",
                "description": "Meningkatnya kualitas pelayanan kepada pemangku kepentingan unit",
                "indicators": [
                    _indicator(
                        "kualitas",
                        "Indeks kepuasan pemangku kepentingan atas layanan unit",
                        85,
                        "indeks",
                    ),
                ],
            },
            {
                "kind": "tambahan",
                "description": "Terlaksananya tugas tambahan sebagai anggota tim kerja unit",
                "indicators": [
                    {
                        "aspect": "kualitas",
                        "description": "Tugas tim kerja diselesaikan sesuai arahan atasan",
                        "target_text": "Laporan tugas tim diterima atasan",
                    },
                ],
            },
        ],
    }


def _indicator(aspect: str, description: str, value: float, unit: str) -> dict[str, Any]:
    return {
        "aspect": aspect,
        "description": description,
        "target_value": value,
        "target_unit": unit,
    }
