"""A small organisation with one user per role, shared by the API tests.

Units: A (root) with child A1, and B (another root). Employees and their supervisors:

    H  (hr, unit A)            S  (supervisor, A1, reports to H)
    E1 (employee, A1, -> S)    E2 (A1, -> E1)        T (A1, no supervisor: another team)
    AD (admin's own, B)        AS (B, -> AD)         O (B: another unit)

Users: admin -> AD, hr -> H (its unit is A, from its employee), supervisor -> S,
employee -> E1, data (no employee). `RELATIONS[role]` names, for each role, the employee
that is its own record, a direct subordinate, someone in another team and someone in another
unit.
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Callable
from collections.abc import Iterator
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path
from typing import Any

import psycopg
import pytest
from flask import Flask
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from service import create_app
from service.auth.tokens import LoginLimits
from service.auth.tokens import issue_token
from service.db.models import Indicator
from service.db.models import Objection
from service.db.models import Rhk
from service.db.models import Skp
from service.db.reference_data import load_reference_data
from service.domain.entities import IndicatorAspect
from service.domain.entities import RhkKind
from service.domain.entities import Role
from service.domain.entities import SkpApproach
from service.domain.entities import SkpModel
from service.domain.users import create_user
from tests.conftest import PG_URL
from tests.factories import make_employee as _make_employee
from tests.factories import make_evaluation
from tests.factories import make_position
from tests.factories import make_unit

PASSWORD = "correct horse battery staple"
ROLES = ("admin", "hr", "supervisor", "employee", "data")
RELATION_NAMES = ("own", "subordinate", "other_team", "other_unit")
RELATIONS = {
    "admin": ("AD", "AS", "O", "T"),
    "hr": ("H", "S", "T", "O"),
    "supervisor": ("S", "E1", "T", "O"),
    "employee": ("E1", "E2", "T", "O"),
    "data": ("E1", "E2", "T", "O"),
}
#: Units standing in the four relations, for unit routes (hr's root is A).
UNIT_RELATIONS = {
    "admin": ("B", "A1", "A", "B"),
    "hr": ("A", "A1", "A", "B"),
    "supervisor": ("A1", "A1", "A", "B"),
    "employee": ("A1", "A1", "A", "B"),
    "data": ("B", "A1", "A", "B"),
}


@dataclass
class World:
    units: dict[str, int] = field(default_factory=dict)
    employees: dict[str, int] = field(default_factory=dict)
    nips: dict[str, str] = field(default_factory=dict)
    users: dict[str, int] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)
    position_id: int = 0
    #: Filled by tests that need more: objects per kind and employee id, units by employee.
    objects: dict[str, dict[int, int]] = field(default_factory=dict)
    unit_of: dict[int, str] = field(default_factory=dict)
    training_code: str = "LAT-CPNS"

    def headers(self, role: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[role]}"}

    def target(self, role: str, relation: str) -> int:
        return self.employees[RELATIONS[role][RELATION_NAMES.index(relation)]]

    def target_unit(self, role: str, relation: str) -> int:
        return self.units[UNIT_RELATIONS[role][RELATION_NAMES.index(relation)]]


def build_world(session: Session) -> World:
    """Create the organisation, users and tokens, and commit."""
    load_reference_data(session)
    world = World()
    a = make_unit(session)
    world.units = {
        "A": a.id,
        "A1": make_unit(session, parent_id=a.id).id,
        "B": make_unit(session).id,
    }
    world.position_id = make_position(session).id
    _people(session, world)
    for role, person in (("admin", "AD"), ("hr", "H"), ("supervisor", "S"), ("employee", "E1")):
        world.users[role] = _user(session, role, world.employees[person])
    world.users["data"] = _user(session, "data", None)
    session.commit()
    for role in ROLES:
        world.tokens[role] = token(session, role)
    return world


def token(session: Session, role: str) -> str:
    """Log in as the user of `role` and return a fresh bearer token."""
    issued = issue_token(
        session, f"user-{role}", PASSWORD, "127.0.0.1", ttl_seconds=3600, limits=LoginLimits()
    )
    return issued.access_token


def add_skp(session: Session, world: World, person: str, year: int, rater: str | None) -> int:
    """Add an SKP of `person` for `year` with `rater` as its rater; returns its id."""
    skp = Skp(
        employee_id=world.employees[person],
        position_id=world.position_id,
        year=year,
        model=SkpModel.JA_JF,
        approach=SkpApproach.KUANTITATIF,
        rater_id=world.employees[rater] if rater else None,
    )
    session.add(skp)
    session.flush()
    return skp.id


def add_indicator(
    session: Session, skp_id: int, rhk: str = "Laporan", indicator: str = "Jumlah", **target: Any
) -> Indicator:
    """Add a main RHK to the SKP with one quantity indicator (`target`: target_value,
    target_unit; 4 reports by default); returns the indicator."""
    row = Rhk(skp_id=skp_id, kind=RhkKind.UTAMA, description=rhk, ordinal=1)
    session.add(row)
    session.flush()
    found = Indicator(
        rhk_id=row.id,
        aspect=IndicatorAspect.KUANTITAS,
        description=indicator,
        **({"target_value": 4} | target),
    )
    session.add(found)
    session.flush()
    return found


def add_objection(session: Session, employee_id: int, period: str = "2018") -> int:
    """Add a pending objection of the employee to a new evaluation of `period` that names no
    rater (hr over the unit or the admin decides it); returns the objection's id."""
    evaluation = make_evaluation(session, employee_id=employee_id, period=period, rater_id=None)
    objection = Objection(
        evaluation_id=evaluation.id,
        employee_id=employee_id,
        reason="keberatan",
        predikat_before=evaluation.predikat,
    )
    session.add(objection)
    session.flush()
    return objection.id


def _people(session: Session, world: World) -> None:
    plan = (
        ("H", "A", None),
        ("S", "A1", "H"),
        ("E1", "A1", "S"),
        ("E2", "A1", "E1"),
        ("T", "A1", None),
        ("AD", "B", None),
        ("AS", "B", "AD"),
        ("O", "B", None),
    )
    for name, unit, boss in plan:
        employee = _make_employee(
            session,
            unit_id=world.units[unit],
            position_id=world.position_id,
            supervisor_id=world.employees[boss] if boss else None,
            name=f"Pegawai {name}",
        )
        world.employees[name] = employee.id
        world.nips[name] = employee.nip


def _user(session: Session, role: str, employee_id: int | None) -> int:
    user = create_user(session, f"user-{role}", PASSWORD, Role(role), employee_id)
    return user.id


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def shared_app(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    sqlite_template: Path,
    pg_template: str | None,
) -> Iterator[Flask]:
    """One app and database per backend for a whole test module, for tests that only add
    rows of their own (validation failures, reads, distinct periods): a fresh PostgreSQL
    database per test costs seconds."""
    home = tmp_path_factory.mktemp("shared")
    url, cleanup = _database(request.param, home, sqlite_template, pg_template)
    config = {
        "KINERJA_ENV": "test",
        "KINERJA_HOME": str(home),
        "KINERJA_MODELS_DIR": str(home / "models"),
        "DATABASE_URL": url,
        "RISK_JOBS_SPAWN": False,  # retrain jobs stay queued: no process outlives the test
    }
    app = create_app(config, use_env=False)
    yield app
    app.extensions["db"].engine.dispose()
    cleanup()


@pytest.fixture(scope="module")
def shared_world(shared_app: Flask) -> World:
    """The standard world in the module's shared database."""
    with shared_app.extensions["db"].sessions() as session:
        return build_world(session)


def _database(
    backend: str, home: Path, sqlite_template: Path, pg_template: str | None
) -> tuple[str, Callable[[], None]]:
    if backend == "sqlite":
        shutil.copyfile(sqlite_template, home / "kinerja.db")
        return f"sqlite:///{home / 'kinerja.db'}", lambda: None
    if pg_template is None:
        pytest.skip("PostgreSQL is not reachable")
    admin = make_url(PG_URL)
    conninfo = (
        f"host={admin.host} port={admin.port or 5432} "
        f"user={admin.username} dbname={admin.database}"
    )
    name = f"kinerja_shared_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(conninfo, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}" TEMPLATE "{pg_template}"')

    def drop() -> None:
        with psycopg.connect(conninfo, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    return admin.set(database=name).render_as_string(hide_password=False), drop
