"""GET /units/{id}/training-needs: the unit plan as JSON and XLSX, limits and access."""

from __future__ import annotations

import io
from datetime import date

import pytest
from flask import Flask
from flask.testing import FlaskClient
from openpyxl import load_workbook

import service.api.training_needs  # noqa: F401  (adds the route to the blueprint)
from tests.service.api.world import World
from tests.service.domain.recommender_history import add_assessment
from tests.service.domain.recommender_history import add_enrolment
from tests.service.domain.recommender_history import add_standard

UNIT_A = ("H", "S", "E1", "E2", "T")  # unit A and its child A1


@pytest.fixture(scope="module")
def planned(shared_app: Flask, shared_world: World) -> World:
    """A standard, one assessment each, and 24 JP this year for S."""
    with shared_app.extensions["db"].sessions() as session:
        add_standard(session, shared_world.position_id, {"M.03": 3, "M.02": 3})
        for employee_id in shared_world.employees.values():
            add_assessment(session, employee_id, date(2025, 2, 1), {"M.03": 1.5, "M.02": 2})
        add_enrolment(session, shared_world.employees["S"], "MAN-KOM-01", date(2025, 3, 1))
        session.commit()
    return shared_world


def url(world: World, unit: str, query: str = "") -> str:
    return f"/api/v1/units/{world.units[unit]}/training-needs?year=2025{query}"


def test_the_plan_covers_the_unit_subtree(shared_client: FlaskClient, planned: World) -> None:
    body = shared_client.get(url(planned, "A"), headers=planned.headers("hr")).json

    assert body["employees"] == len(UNIT_A)
    assert body["jp_budget"] == 20 * len(UNIT_A)
    assert [(n["competency"], n["below_standard"]) for n in body["needs"]] == [
        ("M.03", 5),
        ("M.02", 5),
    ]
    inside = {planned.employees[name] for name in UNIT_A}
    seats = [x["employee_id"] for p in body["programs"] for x in p["participants"]]
    assert seats and set(seats) <= inside
    assert body["jp_total"] == sum(p["jp_total"] for p in body["programs"]) <= body["jp_budget"]
    short = {b["employee_id"] for b in body["below_minimum"]}
    assert short == inside - {planned.employees["S"]}
    assert body["model"]["fallback"] is True


@pytest.mark.parametrize(
    ("query", "check"),
    [
        ("&jp_budget=30", lambda body: body["jp_total"] <= 30),
        ("&max_seats=1", lambda body: all(p["seats"] <= 1 for p in body["programs"])),
        ("&jp_budget=0", lambda body: body["programs"] == []),
    ],
)
def test_the_plan_keeps_to_the_budget_and_the_seats(
    shared_client: FlaskClient, planned: World, query: str, check: object
) -> None:
    body = shared_client.get(url(planned, "A", query), headers=planned.headers("admin")).json

    assert check(body)  # type: ignore[operator]


@pytest.mark.parametrize(
    ("role", "unit", "status"),
    [
        ("hr", "A1", 200),
        ("hr", "B", 404),
        ("admin", "B", 200),
        ("supervisor", "A1", 403),
        ("employee", "A1", 403),
        ("data", "A", 403),
    ],
)
def test_who_may_plan(
    shared_client: FlaskClient, planned: World, role: str, unit: str, status: int
) -> None:
    response = shared_client.get(url(planned, unit), headers=planned.headers(role))

    assert response.status_code == status


@pytest.mark.parametrize(
    ("query", "field"),
    [("&max_seats=0", "max_seats"), ("&jp_budget=-5", "jp_budget"), ("&format=pdf", "format")],
)
def test_bad_limits_are_validation_problems(
    shared_client: FlaskClient, planned: World, query: str, field: str
) -> None:
    response = shared_client.get(url(planned, "A", query), headers=planned.headers("hr"))

    assert response.status_code == 422
    assert [e["field"] for e in response.json["errors"]] == [field]


def test_the_plan_downloads_as_a_workbook(shared_client: FlaskClient, planned: World) -> None:
    body = shared_client.get(url(planned, "A"), headers=planned.headers("hr")).json

    response = shared_client.get(url(planned, "A", "&format=xlsx"), headers=planned.headers("hr"))

    assert response.status_code == 200
    assert response.mimetype.endswith("spreadsheetml.sheet")
    assert "attachment" in response.headers["Content-Disposition"]
    book = load_workbook(io.BytesIO(response.data))
    rows = list(book["Program"].iter_rows(min_row=2, values_only=True))
    assert sorted((r[0], r[3]) for r in rows) == sorted(
        (p["training_code"], x["employee_id"]) for p in body["programs"] for x in p["participants"]
    )
