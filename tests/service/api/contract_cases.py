"""The clauses of ../shared/API.md as data, for `test_contract.py`.

`CREATES` names each POST that creates, with a body builder giving a new valid body for a
serial number `n` (unique across the test run, so one shared database serves every test),
the list that counts what it wrote, and the fields API.md names for it.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from datetime import timedelta
from typing import Any

from flask.testing import FlaskClient

from tests.factories import make_nip
from tests.service.api.world import World

PROBLEM = "application/problem+json"
RATINGS = ("di_atas_ekspektasi", "sesuai_ekspektasi", "di_bawah_ekspektasi")
PREDIKATS = ("sangat_baik", "baik", "butuh_perbaikan", "kurang", "sangat_kurang")
BERAKHLAK = (
    "berorientasi_pelayanan",
    "akuntabel",
    "kompeten",
    "harmonis",
    "loyal",
    "adaptif",
    "kolaboratif",
)
POSITION_KINDS = ("struktural", "fungsional", "pelaksana")
ENROLMENT_STATUSES = ("enrolled", "completed")
#: domain.md 3.6: (work result rating, behaviour rating) -> predikat.
MATRIX = {
    ("di_atas_ekspektasi", "di_bawah_ekspektasi"): "kurang",
    ("di_atas_ekspektasi", "sesuai_ekspektasi"): "baik",
    ("di_atas_ekspektasi", "di_atas_ekspektasi"): "sangat_baik",
    ("sesuai_ekspektasi", "di_bawah_ekspektasi"): "kurang",
    ("sesuai_ekspektasi", "sesuai_ekspektasi"): "baik",
    ("sesuai_ekspektasi", "di_atas_ekspektasi"): "baik",
    ("di_bawah_ekspektasi", "di_bawah_ekspektasi"): "sangat_kurang",
    ("di_bawah_ekspektasi", "sesuai_ekspektasi"): "butuh_perbaikan",
    ("di_bawah_ekspektasi", "di_atas_ekspektasi"): "butuh_perbaikan",
}

#: The table "Endpoints that must exist", with Flask's converters as path parameters.
ENDPOINTS = (
    ("POST", "/auth/token"),
    ("GET", "/units"),
    ("POST", "/units"),
    ("GET", "/units/{unit_id}"),
    ("GET", "/positions"),
    ("POST", "/positions"),
    ("GET", "/positions/{position_id}"),
    ("GET", "/employees"),
    ("POST", "/employees"),
    ("GET", "/employees/{employee_id}"),
    ("PATCH", "/employees/{employee_id}"),
    ("POST", "/users"),
    ("GET", "/competencies"),
    ("POST", "/employees/{employee_id}/competency-assessments"),
    ("GET", "/employees/{employee_id}/competency-assessments"),
    ("POST", "/employees/{employee_id}/evaluations"),
    ("GET", "/employees/{employee_id}/evaluations"),
    ("POST", "/employees/{employee_id}/attendance"),
    ("GET", "/employees/{employee_id}/attendance"),
    ("GET", "/trainings"),
    ("POST", "/trainings"),
    ("POST", "/employees/{employee_id}/trainings"),
    ("GET", "/employees/{employee_id}/trainings"),
    ("GET", "/employees/{employee_id}/risk"),
    ("GET", "/employees/{employee_id}/recommendations"),
    ("GET", "/teams/me"),
    ("GET", "/units/{unit_id}/training-needs"),
    ("GET", "/models"),
    ("POST", "/models/retrain"),
    ("GET", "/models/jobs/{job_id}"),
    ("POST", "/imports/evaluations"),
    ("GET", "/openapi.json"),
)

_serial = itertools.count(1)


def serial() -> int:
    """A number no other call in this test run returns."""
    return next(_serial)


_months = itertools.count()


def month() -> str:
    """A month period no other call returned (1991-01 to 2025-12, then again): periods
    that have not started yet are refused, and 1990 is left to the tests of the forms."""
    n = next(_months) % 420
    return f"{1991 + n // 12}-{n % 12 + 1:02d}"


def day(n: int) -> str:
    return (date(1990, 1, 1) + timedelta(days=3 * n)).isoformat()


Body = Callable[[FlaskClient, World, int], dict[str, Any]]


@dataclass(frozen=True)
class Create:
    """One creating POST: who sends it where, a body for serial n, the list that shows it."""

    role: str
    path: Callable[[World], str]
    body: Body
    listing: Callable[[World], str] | None
    #: The fields API.md names, echoed in the answer as sent (the rest are checked present).
    echoed: tuple[str, ...] = ()


def _unit(_c: FlaskClient, world: World, n: int) -> dict[str, Any]:
    return {"name": f"Kontrak {n}", "parent_id": world.units["A"]}


def _position(_c: FlaskClient, _w: World, n: int) -> dict[str, Any]:
    return {
        "title": f"Analis Kontrak {n}",
        "kind": POSITION_KINDS[n % 3],
        "competency_standards": [{"competency": "M.01", "required_level": 1 + n % 5}],
    }


def _employee(_c: FlaskClient, world: World, n: int) -> dict[str, Any]:
    return {
        "nip": make_nip(5_000_000 + n),
        "name": f"Pegawai Kontrak {n}",
        "unit_id": world.units["A1"],
        "position_id": world.position_id,
    }


def _user(client: FlaskClient, world: World, n: int) -> dict[str, Any]:
    person = client.post(
        "/api/v1/employees", json=_employee(client, world, n), headers=world.headers("admin")
    )
    assert person.status_code == 201, person.get_data(as_text=True)
    return {
        "username": f"kontrak-{n}",
        "password": f"a long enough password {n}",
        "role": "employee",
        "employee_id": person.json["id"],
    }


def _assessment(_c: FlaskClient, _w: World, n: int) -> dict[str, Any]:
    return {"assessed_on": day(n), "method": "assessment_center", "levels": {"M.01": 1 + n % 5}}


def _evaluation(_c: FlaskClient, _w: World, n: int) -> dict[str, Any]:
    return {
        "period": month(),
        "work_result_rating": RATINGS[n % 3],
        "behavior_ratings": {value: RATINGS[(n + i) % 3] for i, value in enumerate(BERAKHLAK)},
        "behavior_rating": RATINGS[(n + 1) % 3],
        "feedback": f"umpan balik {n}",
    }


def _attendance(_c: FlaskClient, _w: World, n: int) -> dict[str, Any]:
    return {"month": month(), "work_days": 21, "present_days": 20, "late_days": n % 3}


def _training(_c: FlaskClient, _w: World, n: int) -> dict[str, Any]:
    return {
        "code": f"KONTRAK-{n}",
        "title": f"Pelatihan Kontrak {n}",
        "jp": 8,
        "mode": "klasikal",
        "competencies": [{"competency": "M.02", "max_level": 3}],
    }


def _enrolment(_c: FlaskClient, world: World, n: int) -> dict[str, Any]:
    start = date(1990, 1, 1) + timedelta(days=7 * n)
    return {
        "training_code": world.training_code,
        "start_date": start.isoformat(),
        "end_date": (start + timedelta(days=2)).isoformat(),
        "status": ENROLMENT_STATUSES[n % 2],
    }


def _retrain(_c: FlaskClient, _w: World, _n: int) -> dict[str, Any]:
    return {}


def _of(person: str, tail: str) -> Callable[[World], str]:
    return lambda world: f"/api/v1/employees/{world.employees[person]}/{tail}"


def _fixed(path: str) -> Callable[[World], str]:
    return lambda _world: path


CREATES = {
    "units": Create("admin", _fixed("/api/v1/units"), _unit, _fixed("/api/v1/units"),
                    ("name", "parent_id")),
    "positions": Create("admin", _fixed("/api/v1/positions"), _position,
                        _fixed("/api/v1/positions"), ("title", "kind", "competency_standards")),
    "employees": Create("admin", _fixed("/api/v1/employees"), _employee,
                        _fixed("/api/v1/employees"), ("nip", "name", "unit_id", "position_id")),
    "users": Create("admin", _fixed("/api/v1/users"), _user, _fixed("/api/v1/users"),
                    ("username", "role", "employee_id")),
    "competency-assessments": Create(
        "hr", _of("E1", "competency-assessments"), _assessment,
        _of("E1", "competency-assessments"), ("assessed_on", "method", "levels")),
    "evaluations": Create(
        "supervisor", _of("E1", "evaluations"), _evaluation, _of("E1", "evaluations"),
        ("period", "work_result_rating", "behavior_ratings", "behavior_rating", "feedback")),
    "attendance": Create(
        "hr", _of("E1", "attendance"), _attendance, _of("E1", "attendance"),
        ("month", "work_days", "present_days", "late_days")),
    "trainings": Create("hr", _fixed("/api/v1/trainings"), _training,
                        _fixed("/api/v1/trainings"), ("code", "title", "jp", "mode",
                                                      "competencies")),
    "enrolments": Create(
        "hr", _of("E1", "trainings"), _enrolment, _of("E1", "trainings"),
        ("training_code", "start_date", "end_date", "status")),
    "retrain": Create("data", _fixed("/api/v1/models/retrain"), _retrain, None),
}  # fmt: skip

#: Lists API.md names, as (role, path builder).
LISTS = {
    "units": ("admin", _fixed("/api/v1/units")),
    "positions": ("admin", _fixed("/api/v1/positions")),
    "employees": ("admin", _fixed("/api/v1/employees")),
    "competencies": ("employee", _fixed("/api/v1/competencies")),
    "competency-assessments": ("hr", _of("E1", "competency-assessments")),
    "evaluations": ("supervisor", _of("E1", "evaluations")),
    "attendance": ("hr", _of("E1", "attendance")),
    "trainings": ("employee", _fixed("/api/v1/trainings")),
    "enrolments": ("hr", _of("E1", "trainings")),
    "teams/me": ("supervisor", _fixed("/api/v1/teams/me")),
    "models": ("data", _fixed("/api/v1/models")),
}


def assert_problem(response: Any, status: int) -> dict[str, Any]:
    """Check an RFC 9457 answer with `status`, a title and a detail; return its body."""
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    assert response.mimetype == PROBLEM
    body = response.get_json()
    assert body["status"] == status
    assert isinstance(body["title"], str) and body["title"]
    assert isinstance(body["detail"], str) and body["detail"]
    return body


def assert_invalid(response: Any, *fields: str) -> list[dict[str, Any]]:
    """Check a validation failure: 422 with `errors: [{"field", "message"}]` naming `fields`."""
    errors = assert_problem(response, 422).get("errors")
    assert isinstance(errors, list) and errors
    for error in errors:
        assert isinstance(error["field"], str) and isinstance(error["message"], str)
        assert error["message"]
    named = {error["field"] for error in errors}
    for field in fields:
        assert any(field == name or name.startswith(f"{field}.") for name in named), errors
    return errors
