"""Test data builders: `make_<thing>(session, **overrides)` adds one valid row and flushes.

Every factory fills the required columns with valid, unique defaults, creates the rows it
depends on when they are not given (an employee gets a fresh unit and position), accepts any
column of its model as a keyword override, flushes (so `id` is set) and never commits: the
test decides. Use them for the data a test does not care about, and pass what it does:

    unit = make_unit(session)
    boss = make_employee(session, unit_id=unit.id)
    staff = make_employee(session, unit_id=unit.id, supervisor_id=boss.id)
    make_evaluation(session, staff, period="2025-Q1", work_result_rating="di_atas_ekspektasi")
"""

from __future__ import annotations

import itertools
from datetime import date
from datetime import timedelta
from typing import Any
from typing import TypeVar

from sqlalchemy.orm import Session

from service.db.models import Employee
from service.db.models import Evaluation
from service.db.models import Position
from service.db.models import Unit
from service.domain.entities import Gender
from service.domain.entities import PositionKind
from service.domain.entities import Rating
from service.domain.evaluation_input import ensure_period
from service.domain.evaluation_input import evaluation_columns
from service.domain.evaluation_input import parse_evaluation

T = TypeVar("T")

_sequence = itertools.count(1)
_BIRTH_DAYS = 15_000  # birth dates spread over ~41 years from 1960-01-01
_EVALUATION_INPUTS = ("period", "work_result_rating", "behavior_rating", "behavior_ratings")


def make_nip(
    number: int | None = None, *, gender: Gender | str = Gender.L, hired: date | None = None
) -> str:
    """Return an 18-digit NIP shaped like BKN's: birth date, hire month, gender, serial.

    Distinct `number`s give distinct NIPs (up to 15 million); without one, the next of a
    process-wide sequence is used, so NIPs never repeat within a test run.
    """
    number = next(_sequence) if number is None else number
    born = date(1960, 1, 1) + timedelta(days=number % _BIRTH_DAYS)
    hired = hired or date(born.year + 25, born.month, 1)
    digit = "1" if Gender(gender) is Gender.L else "2"
    return f"{born:%Y%m%d}{hired:%Y%m}{digit}{number // _BIRTH_DAYS:03d}"


def make_unit(session: Session, **overrides: Any) -> Unit:
    """Add an organisation unit (a root unless `parent_id` is given)."""
    number = next(_sequence)
    values: dict[str, Any] = {"name": f"Unit {number}", "code": f"U-{number:06d}"}
    return _add(session, Unit(**(values | overrides)))


def make_position(session: Session, **overrides: Any) -> Position:
    """Add a position; a pelaksana (staff) position unless `kind` says otherwise."""
    number = next(_sequence)
    values: dict[str, Any] = {"title": f"Position {number}", "kind": PositionKind.PELAKSANA}
    return _add(session, Position(**(values | overrides)))


def make_employee(session: Session, **overrides: Any) -> Employee:
    """Add an employee with a unique valid NIP; a new unit and position unless given."""
    number = next(_sequence)
    values: dict[str, Any] = {
        "nip": make_nip(number),
        "name": f"Pegawai {number}",
        "gender": Gender.L,
        "birth_date": date(1985, 1, 1),
        "hire_date": date(2010, 1, 1),
        "grade": "III/a",
    }
    values |= overrides
    if "unit_id" not in values:
        values["unit_id"] = make_unit(session).id
    if "position_id" not in values:
        values["position_id"] = make_position(session).id
    return _add(session, Employee(**values))


def make_evaluation(
    session: Session, employee: Employee | None = None, **overrides: Any
) -> Evaluation:
    """Add an evaluation through the same validation and mapping as the API and the import.

    `period`, `work_result_rating`, `behavior_rating`, `behavior_ratings` and `feedback` go
    through `parse_evaluation` (so the predikat is the matrix's); any other override (for
    example `rater_id`, or `predikat` with `predikat_source="override"`) sets the column as
    given. The default is the annual period 2025 with both ratings sesuai_ekspektasi.
    """
    raw: dict[str, Any] = {
        "period": "2025",
        "work_result_rating": Rating.SESUAI_EKSPEKTASI,
        "behavior_rating": Rating.SESUAI_EKSPEKTASI,
    }
    for name in (*_EVALUATION_INPUTS, "feedback"):
        if name in overrides:
            raw[name] = overrides.pop(name)
    inp = parse_evaluation(raw)
    ensure_period(session, inp.period)
    if "employee_id" not in overrides:
        overrides["employee_id"] = (employee or make_employee(session)).id
    return _add(session, Evaluation(**(evaluation_columns(inp) | overrides)))


def _add(session: Session, row: T) -> T:
    session.add(row)
    session.flush()
    return row
