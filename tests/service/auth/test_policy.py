"""Every /api/v1 route, with every role, over its own, a subordinate's, another team's and
another unit's objects: the status each combination must get.

The route list comes from `app.url_map`, so a route added without a row in `ROUTES` fails
`test_every_route_has_an_access_row`. Expected statuses are written out per access profile
(READ, MANAGE, RATE, ...), following the rule documented in `service/auth/policy.py`:
403 for a role that may never use the route or an object seen but not changeable, 404 for an
object in the path that is not visible, 422 for an invisible object named in the body.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from flask import Flask

from service.db.models import CalibrationClosing
from service.db.models import Employee
from service.db.models import Indicator
from service.db.models import Rhk
from service.db.models import Skp
from service.db.models import SkpTemplate
from service.db.models import UnitGrade
from service.db.models import WindowReopening
from service.db.repositories import risk as risk_repo
from service.domain.entities import IndicatorAspect
from service.domain.entities import OrganisationGrade
from service.domain.entities import RhkKind
from service.domain.entities import SkpApproach
from service.domain.entities import SkpModel
from service.domain.entities import SkpStatus
from tests.factories import make_evaluation
from tests.service.api.world import RELATION_NAMES
from tests.service.api.world import ROLES
from tests.service.api.world import World
from tests.service.api.world import add_objection
from tests.service.api.world import add_skp
from tests.service.api.world import build_world
from tests.service.api.world import shared_app  # noqa: F401 (fixture)
from tests.service.api.world import token
from tests.service.auth.access_table import ROUTES
from tests.service.auth.access_table import SKP_TEMPLATE
from tests.service.auth.access_table import Request
from tests.service.continuous.continuous_objects import continuous_objects

EMPTY_SNAPSHOT = {"size": 0, "counts": {}, "grade": None, "warnings": []}

# --- fixtures --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def walk_world(shared_app: Flask) -> World:  # noqa: F811 (the fixture)
    with shared_app.extensions["db"].sessions() as session:
        world = build_world(session)
        _add_objects(session, world)
        session.commit()
    return world


@pytest.fixture(scope="module")
def walk_app(shared_app: Flask) -> Flask:  # noqa: F811 (the fixture)
    return shared_app


def _add_objects(session: Any, world: World) -> None:
    """Per person: an evaluation, SKPs in each state (rated by the supervisor), a grade.

    E2's SKPs name no rater: an appointed rater sees the rated employee whatever its role
    (tested in test_access.py), and here the employee role must see only itself.
    """
    supervisors = {"S": "H", "E1": "S", "AS": "AD"}
    objects: dict[str, dict[int, int]] = {
        k: {} for k in ("evaluation", "draft", "submitted", "approved", "indicator")
    }
    for person, employee_id in world.employees.items():
        rater = supervisors.get(person)
        evaluation = make_evaluation(
            session, employee_id=employee_id, period="2019", rater_id=None
        )
        objects["evaluation"][employee_id] = evaluation.id
        signable = make_evaluation(  # rated by the supervisor: no route changes its rater
            session,
            employee_id=employee_id,
            period="2017",
            rater_id=world.employees[rater] if rater else None,
        )
        objects.setdefault("signable", {})[employee_id] = signable.id
        objects.setdefault("objection", {})[employee_id] = add_objection(session, employee_id)
        for year, state in ((2021, "draft"), (2022, "submitted"), (2023, "approved")):
            objects[state][employee_id] = add_skp(session, world, person, year, rater)
        _set_status(session, objects, employee_id)
    for unit_id in world.units.values():
        session.add(UnitGrade(unit_id=unit_id, period="2019", grade=OrganisationGrade.BAIK))
        # The 2023 plans' realisation window closed long ago; reopened for the walk's writes.
        session.add(WindowReopening(unit_id=unit_id, until=date(2100, 1, 1), reason="walk"))
        closings = [
            CalibrationClosing(unit_id=unit_id, period=str(year), snapshot=EMPTY_SNAPSHOT)
            for year in range(1991, 2001)
        ]
        session.add_all(closings)
        session.flush()
        objects.setdefault("closing", {})[unit_id] = [closing.id for closing in closings]
    model, approach = SkpModel.JA_JF, SkpApproach.KUANTITATIF
    session.add(SkpTemplate(position_id=world.position_id, model=model, approach=approach,
                            rhks=SKP_TEMPLATE["rhks"]))  # fmt: skip
    session.flush()
    world.objects = objects
    world.objects |= continuous_objects(session, world)  # issue 8
    world.objects["job"] = {0: risk_repo.add_job(session, world.users["data"], {}).id}  # issue 7
    world.unit_of = {
        employee_id: _unit_name(session, world, employee_id)
        for employee_id in world.employees.values()
    }


def _set_status(session: Any, objects: dict[str, dict[int, int]], employee_id: int) -> None:
    session.get(Skp, objects["submitted"][employee_id]).status = SkpStatus.DIAJUKAN
    approved = session.get(Skp, objects["approved"][employee_id])
    approved.status = SkpStatus.DITETAPKAN
    rhk = Rhk(skp_id=approved.id, kind=RhkKind.UTAMA, description="Layanan")
    session.add(rhk)
    session.flush()
    indicator = Indicator(
        rhk_id=rhk.id, aspect=IndicatorAspect.KUANTITAS, description="x", target_value=1
    )
    session.add(indicator)
    session.flush()
    objects["indicator"][employee_id] = indicator.id


def _unit_name(session: Any, world: World, employee_id: int) -> str:
    unit_id = session.get(Employee, employee_id).unit_id
    return next(name for name, uid in world.units.items() if uid == unit_id)


# --- tests -----------------------------------------------------------------------------------


def _api_routes(app: Flask) -> set[tuple[str, str]]:
    return {
        (method, rule.rule)
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api/v1")
        for method in rule.methods or ()
        if method not in ("HEAD", "OPTIONS")
    }


def test_every_route_has_an_access_row(walk_app: Flask) -> None:
    assert _api_routes(walk_app) == set(ROUTES)


def test_every_route_declares_who_may_call_it(walk_app: Flask) -> None:
    undeclared = [
        rule.rule
        for rule in walk_app.url_map.iter_rules()
        if rule.rule.startswith("/api/v1")
        and not hasattr(walk_app.view_functions[rule.endpoint], "__access__")
    ]
    assert undeclared == []


@pytest.mark.parametrize("route", sorted(ROUTES), ids=lambda r: f"{r[0]} {r[1]}")
def test_route_answers_each_role_and_relation(
    route: tuple[str, str], walk_app: Flask, walk_world: World
) -> None:
    profile, build = ROUTES[route]
    client = walk_app.test_client()
    wrong = {}
    for role in ROLES:
        for relation, expected in zip(RELATION_NAMES, profile[role], strict=True):
            status, body = _call(walk_app, client, walk_world, route[0], build, role, relation)
            if status != expected:
                wrong[f"{role}/{relation}"] = (expected, status, body[:160])
    assert wrong == {}


def _call(
    app: Flask, client: Any, world: World, method: str, build: Request, role: str, relation: str
) -> tuple[int, str]:
    path, kwargs = build(world, role, relation)
    headers = dict(kwargs.pop("headers", {}))
    if kwargs.pop("fresh_token", False):
        with app.extensions["db"].sessions() as session:
            headers["Authorization"] = f"Bearer {token(session, role)}"
    elif not kwargs.pop("anonymous", False):
        headers |= world.headers(role)
    response = client.open(path, method=method, headers=headers, **kwargs)
    return response.status_code, response.get_data(as_text=True)


def test_unknown_path_ids_are_404_not_errors(walk_app: Flask, walk_world: World) -> None:
    client = walk_app.test_client()
    for path in ("/api/v1/employees/2147483647", "/api/v1/employees/99999999999999999999"):
        response = client.get(path, headers=walk_world.headers("admin"))
        assert response.status_code == 404
        assert response.mimetype == "application/problem+json"
