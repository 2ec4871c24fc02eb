"""Every page, as every role signed in through the login form, over the four relations.

The pages' counterpart of tests/service/auth/test_policy.py: a table of the status each role
must get on each page about its own record, a subordinate's, another team's and another
unit's (the relations of tests/service/api/world.py), following the same rule as the API
(403 for a role that may never use the page or an object seen but not changeable, 404 for an
object that is not visible). A page route without a row fails
`test_every_page_has_an_access_row` (test_web_i18n checks that each page declares its roles);
without a session every page sends to the login form.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from service.db.models import CalibrationClosing
from service.db.models import Skp
from service.db.repositories import risk as risk_repo
from service.domain.entities import PeriodKind
from service.domain.entities import SkpStatus
from service.domain.periods import period_of
from service.domain.periods import today_in_indonesia
from tests.factories import make_evaluation
from tests.service.api.world import RELATION_NAMES
from tests.service.api.world import ROLES
from tests.service.api.world import World
from tests.service.api.world import add_indicator
from tests.service.api.world import add_objection
from tests.service.api.world import add_skp
from tests.service.auth.access_table import LEAD
from tests.service.auth.access_table import READ
from tests.service.auth.access_table import Profile
from tests.service.auth.access_table import hr_scoped
from tests.service.auth.access_table import own
from tests.service.auth.access_table import own_or_rater
from tests.service.auth.access_table import rate
from tests.service.continuous.continuous_objects import continuous_objects
from tests.service.web.conftest import csrf_token
from tests.service.web.conftest import sign_in

#: A page request: (path, form data or None for a GET) for a role and relation.
Page = Callable[[World, str, str], tuple[str, dict[str, str] | None]]
_unique = itertools.count(1)
FOUND = 302  # a GET that sends the user on (the home page of a role)
DONE = 303  # a form that was accepted (redirect after POST)


def only(ok: int, allowed: tuple[str, ...]) -> Profile:
    """`ok` for the roles in `allowed` whatever the relation, 403 for the others."""
    return {role: (ok if role in allowed else 403,) * 4 for role in ROLES}


#: Rating forms of the team page: as the API's rate(), but an employee may never use them.
RATE = {**rate(DONE), "employee": (403,) * 4}
UNIT = hr_scoped(200, 404)
MODEL_ROLES = ("admin", "data")
IMPORTERS = ("admin", "hr")
TEAM = ("admin", "hr", "supervisor")
PEOPLE = ("admin", "hr", "supervisor", "employee")
EMPLOYEE = "/employees/<int(max=2147483647):employee_id>"
ACTIVITY = "/activities/<int(max=2147483647):activity_id>"
ROUND = "/feedback360/rounds/<int(max=2147483647):round_id>"
EVALUATION = "/evaluations/<int(max=2147483647):evaluation_id>"


def _employee(suffix: str = "", form: Callable[[], dict[str, str]] | None = None) -> Page:
    def build(world: World, role: str, relation: str) -> tuple[str, dict[str, str] | None]:
        return f"/employees/{world.target(role, relation)}{suffix}", form() if form else None

    return build


def _object(kind: str, path: str, form: dict[str, str]) -> Page:
    """A form on the target person's object of `kind` (`path` has `{}` for its id)."""

    def build(world: World, role: str, relation: str) -> tuple[str, dict[str, str]]:
        return path.format(world.objects[kind][world.target(role, relation)]), form

    return build


def _notification(world: World, role: str, relation: str) -> tuple[str, dict[str, str]]:
    """The caller's own notification, or (other relations) another login's."""
    owner = role if relation == "own" else ("hr" if role == "admin" else "admin")
    return f"/notifications/{world.objects['notification'][world.users[owner]]}/read", {}


def _unit(suffix: str) -> Page:
    return lambda w, role, rel: (f"/units/{w.target_unit(role, rel)}{suffix}", None)


def _fixed(path: str, form: dict[str, str] | None = None) -> Page:
    return lambda w, role, rel: (path, form)


def _rating(path: str, fields: Callable[[], dict[str, str]]) -> Page:
    def build(world: World, role: str, relation: str) -> tuple[str, dict[str, str]]:
        return path, {"employee_id": str(world.target(role, relation)), **fields()}

    return build


def _month() -> str:
    n = next(_unique)
    return f"{2000 + n // 12}-{n % 12 + 1:02d}"


def _evaluation() -> dict[str, str]:
    ratings = {"work_result_rating": "sesuai_ekspektasi", "behavior_rating": "sesuai_ekspektasi"}
    return {"period": _month(), **ratings}


def _feedback() -> dict[str, str]:
    return {"period": _month(), "target": "perilaku", "body": "Pertahankan"}


def _activity() -> dict[str, str]:
    return {"activity_date": "2025-03-04", "description": "Menyusun laporan"}


def _dialogue() -> dict[str, str]:
    return {"held_on": "2025-03-05", "kind": "dialog", "topics": "Target triwulan"}


def _feedback_round(world: World, role: str, relation: str) -> tuple[str, dict[str, str]]:
    """Start a round whose only rater is the employee (the self group), for a fresh period."""
    target = world.target(role, relation)
    return f"/employees/{target}/feedback360", {"period": _month(), "rater_self": str(target)}


def _realisation(world: World, employee_id: int) -> tuple[str, dict[str, str]]:
    """This month's realisation on the person's approved plan of this year (open: the
    window of a running period is)."""
    skp_id, indicator_id = world.objects["approved"][employee_id]
    month = period_of(today_in_indonesia(), PeriodKind.MONTH).code
    return f"/skps/{skp_id}/realisations", {
        "indicator_id": str(indicator_id),
        "period": month,
        "value": "3",
    }


def _reopening(world: World, unit_id: int) -> tuple[str, dict[str, str]]:
    """Reopen one of the unit's standing closings (`page_world` made a few per unit)."""
    closing_id = world.objects["closing"][unit_id].pop()
    return f"/units/{unit_id}/calibration-closings/{closing_id}/reopen", {"reason": "Ditinjau"}


def _job(world: World, role: str, relation: str) -> tuple[str, None]:
    return f"/models/jobs/{world.objects['job'][0]}", None


PAGES: dict[tuple[str, str], tuple[Profile, Page]] = {
    ("GET", "/"): (
        {**only(FOUND, ROLES), "admin": (200,) * 4},  # admin's home is the unit overview
        _fixed("/"),
    ),
    ("GET", "/team"): (only(200, TEAM), _fixed("/team")),
    ("POST", "/team/evaluation"): (RATE, _rating("/team/evaluation", _evaluation)),
    ("POST", "/team/feedback"): (RATE, _rating("/team/feedback", _feedback)),
    # Past every access check the walk's people have too little history: refused, 303 back.
    ("POST", "/team/risk-review"): (
        RATE,
        _rating("/team/risk-review", lambda: {"decision": "agree"}),
    ),
    ("GET", EMPLOYEE): (READ, _employee()),
    ("GET", "/units/<int(max=2147483647):unit_id>/training-needs"): (
        UNIT,
        _unit("/training-needs"),
    ),
    ("GET", "/units/<int(max=2147483647):unit_id>/progress"): (UNIT, _unit("/progress")),
    # Drafting the unit's SKPs from the position templates (the walk's world has none:
    # everyone is skipped, the form is still accepted).
    ("GET", "/units/<int(max=2147483647):unit_id>/skps"): (
        hr_scoped(200, 404),
        _unit("/skps?year=2040&include_subunits=on"),
    ),
    ("POST", "/units/<int(max=2147483647):unit_id>/skps"): (
        hr_scoped(DONE, 404),
        lambda w, role, rel: (f"/units/{w.target_unit(role, rel)}/skps", {"year": "2040"}),
    ),
    ("GET", "/units/<int(max=2147483647):unit_id>/training-needs.xlsx"): (
        UNIT,
        _unit("/training-needs.xlsx"),
    ),
    ("GET", "/units/<int(max=2147483647):unit_id>/rater-calibration"): (
        UNIT,
        _unit("/rater-calibration?period=2019"),
    ),
    # The fairness report: the data team too (the group tables, no raters), as the API's.
    ("GET", "/units/<int(max=2147483647):unit_id>/fairness"): (
        hr_scoped(200, 404, ("admin", "hr", "data")),
        _unit("/fairness?period=2019"),
    ),
    ("GET", "/units/<int(max=2147483647):unit_id>/evaluations.xlsx"): (
        UNIT,
        _unit("/evaluations.xlsx?period=2019"),
    ),
    ("GET", "/units/<int(max=2147483647):unit_id>/allowance.<any(csv, xlsx):fmt>"): (
        UNIT,
        _unit("/allowance.csv?period=2019"),
    ),
    # The attendance upload: without a file the form is refused (422) for whom may use it.
    ("GET", "/imports/attendance"): (only(200, IMPORTERS), _fixed("/imports/attendance")),
    ("POST", "/imports/attendance"): (only(422, IMPORTERS), _fixed("/imports/attendance", {})),
    ("GET", "/models"): (only(200, MODEL_ROLES), _fixed("/models")),
    ("POST", "/models/retrain"): (only(DONE, MODEL_ROLES), _fixed("/models/retrain", {})),
    ("GET", "/models/jobs/<int(max=2147483647):job_id>"): (only(200, MODEL_ROLES), _job),
    # --- continuous performance and 360 feedback (issue 8), as their API rows say ---
    ("GET", f"{EMPLOYEE}/activities"): (READ, _employee("/activities")),
    ("POST", f"{EMPLOYEE}/activities"): (own(DONE), _employee("/activities", _activity)),
    ("POST", f"{ACTIVITY}/edit"): (
        own(DONE),
        _object("activity", "/activities/{}/edit", {**_activity(), "version": "1"}),
    ),
    ("POST", f"{ACTIVITY}/acknowledge"): (
        rate(DONE),
        _object("activity_ack", "/activities/{}/acknowledge", {"version": "1"}),
    ),
    ("GET", "/team/activities"): (only(200, TEAM), _fixed("/team/activities")),
    ("GET", f"{EMPLOYEE}/dialogues"): (READ, _employee("/dialogues")),
    ("POST", f"{EMPLOYEE}/dialogues"): (rate(DONE), _employee("/dialogues", _dialogue)),
    ("GET", "/notifications"): (only(200, ROLES), _fixed("/notifications")),
    ("POST", "/notifications/<int(max=2147483647):notification_id>/read"): (
        {role: (DONE, 404, 404, 404) for role in ROLES},
        _notification,
    ),
    ("POST", "/notifications/preferences"): (
        only(DONE, ROLES),
        _fixed("/notifications/preferences", {"version": "0", "email_on": "evaluation_due"}),
    ),
    ("GET", "/feedback360"): (only(200, PEOPLE), _fixed("/feedback360")),
    # Rounds by id: an unknown round is 404 to every role that may use the page.
    ("GET", f"{ROUND}"): (only(404, PEOPLE), _fixed("/feedback360/rounds/999999")),
    ("GET", f"{ROUND}/answer"): (only(404, PEOPLE), _fixed("/feedback360/rounds/999999/answer")),
    ("POST", f"{ROUND}/answer"): (
        only(404, PEOPLE),
        _fixed("/feedback360/rounds/999999/answer", {}),
    ),
    ("GET", f"{EMPLOYEE}/feedback360"): (READ, _employee("/feedback360")),
    # Starting a round: as the API's LEAD row (a supervisor above, hr over the unit, admin).
    ("POST", f"{EMPLOYEE}/feedback360"): (
        {role: tuple(DONE if s == 201 else s for s in LEAD[role]) for role in ROLES},
        _feedback_round,
    ),
    ("POST", f"{ROUND}/close"): (
        only(404, PEOPLE),
        _fixed("/feedback360/rounds/999999/close", {}),
    ),
    ("GET", f"{EMPLOYEE}/personal-data.json"): (
        {**own(200), "admin": (200,) * 4},
        _employee("/personal-data.json"),
    ),
    # --- objections (keberatan), as their API rows say ---
    ("GET", "/objections"): (only(200, PEOPLE), _fixed("/objections")),
    ("GET", "/objections/<int(max=2147483647):objection_id>"): (
        READ,
        _object("objection", "/objections/{}", {}),
    ),
    ("POST", "/objections/<int(max=2147483647):objection_id>"): (
        own(DONE),
        _object("objection", "/objections/{}", {"status": "withdrawn", "version": "1"}),
    ),
    ("GET", f"{EVALUATION}/objection"): (
        READ,
        _object("evaluation", "/evaluations/{}/objection", {}),
    ),
    ("POST", f"{EVALUATION}/objection"): (
        own(DONE),
        _object("evaluation", "/evaluations/{}/objection", {"reason": "Bukti belum dinilai"}),
    ),
    # --- the realisation form of the employee page: the plan's employee or rater ---
    ("POST", "/skps/<int(max=2147483647):skp_id>/realisations"): (
        own_or_rater(DONE),
        lambda w, role, rel: _realisation(w, w.target(role, rel)),
    ),
    # --- closing the calibration of the rater calibration page: hr over the unit, admin ---
    ("POST", "/units/<int(max=2147483647):unit_id>/calibration-closings"): (
        hr_scoped(DONE, 404),
        lambda w, role, rel: (
            f"/units/{w.target_unit(role, rel)}/calibration-closings",
            {"period": _month()},
        ),
    ),
    (
        "POST",
        "/units/<int(max=2147483647):unit_id>/calibration-closings/"
        "<int(max=2147483647):closing_id>/reopen",
    ): (hr_scoped(DONE, 404), lambda w, role, rel: _reopening(w, w.target_unit(role, rel))),
    # --- the evaluation sheet: whoever reads the evaluation ---
    ("GET", f"{EVALUATION}/sheet"): (READ, _object("evaluation", "/evaluations/{}/sheet", {})),
    # The walk's evaluations name no rater: the evaluated employee alone signs.
    ("POST", f"{EVALUATION}/sheet/sign"): (
        own(DONE),
        _object("evaluation", "/evaluations/{}/sheet/sign", {}),
    ),
}
#: Pages anyone may open, and files: no login, no table row.
PUBLIC = {
    ("GET", "/login"),
    ("POST", "/login"),
    ("POST", "/logout"),
    ("POST", "/language"),
    ("GET", "/assets/<path:filename>"),
    ("GET", "/sw.js"),
    ("GET", "/manifest.webmanifest"),
}


@pytest.fixture
def page_world(world: World, session: Session) -> World:
    """The world of the page tests with issue 8's objects and one retrain job to look at."""
    world.objects = continuous_objects(session, world)
    world.objects["job"] = {0: risk_repo.add_job(session, world.users["data"], {}).id}
    world.objects["objection"] = {e: add_objection(session, e) for e in world.employees.values()}
    world.objects["evaluation"] = {
        e: make_evaluation(session, employee_id=e, period="2019", rater_id=None).id
        for e in world.employees.values()
    }
    world.objects["approved"] = _approved_plans(session, world)
    world.objects["closing"] = _closings(session, world)
    session.commit()
    return world


def _closings(session: Session, world: World) -> dict[int, list[int]]:
    """Per unit, the ids of a few standing calibration closings (one a reopening uses up)."""
    snapshot = {"size": 0, "counts": {}, "grade": None, "warnings": []}
    closings = {
        unit_id: [
            CalibrationClosing(unit_id=unit_id, period=str(year), snapshot=snapshot)
            for year in range(1991, 2001)
        ]
        for unit_id in world.units.values()
    }
    session.add_all([closing for pool in closings.values() for closing in pool])
    session.flush()
    return {unit_id: [c.id for c in pool] for unit_id, pool in closings.items()}


def _approved_plans(session: Session, world: World) -> dict[int, Any]:
    """Per person, (SKP id, indicator id) of an approved plan of this year rated by their
    supervisor (as test_policy's walk), for the realisation form."""
    supervisors = {"S": "H", "E1": "S", "AS": "AD"}
    plans = {}
    for person, employee_id in world.employees.items():
        year = today_in_indonesia().year
        skp_id = add_skp(session, world, person, year, supervisors.get(person))
        session.get(Skp, skp_id).status = SkpStatus.DITETAPKAN
        plans[employee_id] = (skp_id, add_indicator(session, skp_id).id)
    return plans


def _web_routes(app: Flask) -> set[tuple[str, str]]:
    return {
        (method, rule.rule)
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("web.")
        for method in rule.methods or ()
        if method not in ("HEAD", "OPTIONS")
    }


def test_every_page_has_an_access_row(app: Flask) -> None:
    assert _web_routes(app) - PUBLIC == set(PAGES)


def _open(client: FlaskClient, method: str, path: str, form: dict[str, str] | None) -> Any:
    if method == "GET":
        return client.get(path)
    return client.post(path, data={**(form or {}), "csrf_token": csrf_token(client, "/")})


@pytest.mark.parametrize("page", sorted(PAGES), ids=lambda p: f"{p[0]} {p[1]}")
def test_page_answers_each_role_and_relation(
    page: tuple[str, str], app: Flask, page_world: World
) -> None:
    profile, build = PAGES[page]
    wrong = {}
    for role in ROLES:
        client = app.test_client()
        assert sign_in(client, role).status_code in (302, 303)
        for relation, expected in zip(RELATION_NAMES, profile[role], strict=True):
            path, form = build(page_world, role, relation)
            response = _open(client, page[0], path, form)
            if response.status_code != expected:
                body = response.get_data(as_text=True)
                wrong[f"{role}/{relation}"] = (expected, response.status_code, body[:160])
    assert wrong == {}


@pytest.mark.parametrize("page", sorted(PAGES), ids=lambda p: f"{p[0]} {p[1]}")
def test_page_without_a_session_goes_to_the_login_form(
    page: tuple[str, str], app: Flask, page_world: World
) -> None:
    path, form = PAGES[page][1](page_world, "admin", "own")
    client = app.test_client()
    if page[0] == "GET":
        response = client.get(path)
    else:  # a form needs the CSRF token of an anonymous page first
        response = client.post(path, data={**(form or {}), "csrf_token": csrf_token(client)})
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")
