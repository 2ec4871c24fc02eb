"""The expected answer of every /api/v1 route for every role and relation (see test_policy).

Profiles follow the rule documented in `service/auth/policy.py`; each route has a profile and
a request builder `(world, role, relation) -> (path, client.open keyword arguments)`.
"""

from __future__ import annotations

import io
import itertools
from collections.abc import Callable
from datetime import date
from datetime import timedelta
from typing import Any

from service.domain.entities import BerakhlakValue
from tests.factories import make_nip
from tests.service.api.world import PASSWORD
from tests.service.api.world import ROLES
from tests.service.api.world import World

Statuses = tuple[int, int, int, int]  # own, subordinate, other team, other unit
Profile = dict[str, Statuses]
_unique = itertools.count(1)


def _same(status: int) -> Statuses:
    return (status, status, status, status)


def _roles(ok: int, allowed: tuple[str, ...]) -> Profile:
    return {role: _same(ok if role in allowed else 403) for role in ROLES}


READ: Profile = {
    "admin": (200, 200, 200, 200),
    "hr": (200, 200, 200, 404),
    "supervisor": (200, 200, 404, 404),
    "employee": (200, 404, 404, 404),
    "data": _same(403),
}


def manage(ok: int) -> Profile:
    return {
        "admin": _same(ok),
        "hr": (ok, ok, ok, 404),
        "supervisor": (403, 403, 404, 404),
        "employee": (403, 404, 404, 404),
        "data": _same(403),
    }


def rate(ok: int) -> Profile:
    return {
        "admin": (403, ok, 403, 403),
        "hr": (403, ok, 403, 404),
        "supervisor": (403, ok, 404, 404),
        "employee": (403, 404, 404, 404),
        "data": _same(403),
    }


def own(ok: int) -> Profile:
    return {
        "admin": (ok, 403, 403, 403),
        "hr": (ok, 403, 403, 404),
        "supervisor": (ok, 403, 404, 404),
        "employee": (ok, 404, 404, 404),
        "data": _same(403),
    }


def own_or_rater(ok: int) -> Profile:
    return {
        "admin": (ok, ok, 403, 403),
        "hr": (ok, ok, 403, 404),
        "supervisor": (ok, ok, 404, 404),
        "employee": (ok, 404, 404, 404),
        "data": _same(403),
    }


def hr_scoped(ok: int, outside: int, readers: tuple[str, ...] = ("admin", "hr")) -> Profile:
    """Admin everywhere, hr inside its units (`outside` beyond), others 403."""
    profile = _roles(ok, readers)
    profile["hr"] = (ok, ok, ok, outside)
    return profile


UNIT_READ = hr_scoped(200, 404, ("admin", "hr", "data"))
IF_ANY = {"If-Match": "*"}

# --- requests --------------------------------------------------------------------------------

Request = Callable[[World, str, str], tuple[str, dict[str, Any]]]


def _period() -> str:
    """A month not used before in this run, from 2025-12 back to 1990-01: a period that has
    not started cannot be evaluated or graded (counting up from 2000 reached 2027)."""
    n = next(_unique) % (36 * 12)
    return f"{2025 - n // 12}-{12 - n % 12:02d}"


def _emp(suffix: str, body: Callable[[World, str, str], Any] | None = None) -> Request:
    """A request on /employees/{target}{suffix}, with an optional JSON body."""

    def build(world: World, role: str, relation: str) -> tuple[str, dict[str, Any]]:
        path = f"/api/v1/employees/{world.target(role, relation)}{suffix}"
        return path, {} if body is None else {"json": body(world, role, relation)}

    return build


def _unit(suffix: str, body: Callable[[World, str, str], Any] | None = None) -> Request:
    def build(world: World, role: str, relation: str) -> tuple[str, dict[str, Any]]:
        path = f"/api/v1/units/{world.target_unit(role, relation)}{suffix}"
        return path, {} if body is None else {"json": body(world, role, relation)}

    return build


def _by_person(kind: str, suffix: str = "", body: Any = None, **extra: Any) -> Request:
    """A request on an object (`kind`: an evaluation, a `signable` one rated by the person's
    supervisor, or an SKP state) of the target person."""

    def build(world: World, role: str, relation: str) -> tuple[str, dict[str, Any]]:
        objects = world.objects[kind]
        object_id = objects[world.target(role, relation)]
        prefix = "evaluations" if kind in ("evaluation", "signable") else "skps"
        kwargs = dict(extra)
        if body is not None:
            kwargs["json"] = body(world, role, relation)
        return f"/api/v1/{prefix}/{object_id}{suffix}", kwargs

    return build


def _plain(
    path: str, body: Callable[[World, str, str], Any] | None = None, **extra: Any
) -> Request:
    def build(world: World, role: str, relation: str) -> tuple[str, dict[str, Any]]:
        kwargs = dict(extra)
        if body is not None:
            kwargs["json"] = body(world, role, relation)
        return path, kwargs

    return build


def _evaluation(*_: Any) -> dict[str, Any]:
    return {
        "period": _period(),
        "work_result_rating": "sesuai_ekspektasi",
        "behavior_rating": "sesuai_ekspektasi",
    }


def _self_assessment(*_: Any) -> dict[str, Any]:
    return _evaluation() | {"note": "saya"}


def _skp(world: World, role: str, relation: str) -> dict[str, Any]:
    indicator = {"aspect": "kuantitas", "description": "laporan", "target_value": 12}
    # A superior of the plan's employee (H heads the chain of S, E1, E2) or, for someone
    # without a supervisor, anyone else.
    rater = "O" if world.target(role, relation) == world.employees["H"] else "H"
    return {
        "year": 2030 + next(_unique) % 50,
        "rater_id": world.employees[rater],
        "rhks": [{"kind": "utama", "description": "Layanan", "indicators": [indicator]}],
    }


def _realisation(world: World, role: str, relation: str) -> dict[str, Any]:
    indicator = world.objects["indicator"][world.target(role, relation)]
    # The approved plans are of 2023, a month a call; their window is reopened (test_policy).
    month = next(_unique) % 12 + 1
    return {"indicator_id": indicator, "period": f"2023-{month:02d}", "value": 3}


def _enrolment(world: World) -> dict[str, Any]:
    """A completed programme on days of its own: the same enrolment twice is a 409."""
    start = date(2025, 6, 1) - timedelta(days=next(_unique))
    return {
        "training_code": world.training_code,
        "start_date": start.isoformat(),
        "end_date": (start + timedelta(days=4)).isoformat(),
        "status": "completed",
    }


def _employee(world: World, role: str, relation: str) -> dict[str, Any]:
    target = world.target(role, relation)
    unit = world.units[world.unit_of[target]]
    return {
        "nip": make_nip(next(_unique) + 500_000),
        "name": "Baru",
        "unit_id": unit,
        "position_id": world.position_id,
    }


def _importer(world: World, role: str, relation: str) -> tuple[str, dict[str, Any]]:
    target = world.target(role, relation)
    nip = next(nip for name, nip in world.nips.items() if world.employees[name] == target)
    csv = (
        "nip,period,work_result_rating,behavior_rating\n"
        f"{nip},{_period()},sesuai_ekspektasi,sesuai_ekspektasi\n"
    )
    return "/api/v1/imports/evaluations", {"data": {"file": (io.BytesIO(csv.encode()), "e.csv")}}


ROUTES: dict[tuple[str, str], tuple[Profile, Request]] = {
    ("POST", "/api/v1/auth/token"): (
        _roles(200, ROLES),
        lambda w, role, r: (
            "/api/v1/auth/token",
            {"json": {"username": f"user-{role}", "password": PASSWORD}, "anonymous": True},
        ),
    ),
    ("POST", "/api/v1/auth/revoke"): (
        _roles(204, ROLES),
        lambda w, role, r: ("/api/v1/auth/revoke", {"fresh_token": True}),
    ),
    ("GET", "/api/v1/auth/me"): (_roles(200, ROLES), _plain("/api/v1/auth/me")),
    ("GET", "/api/v1/openapi.json"): (_roles(200, ROLES), _plain("/api/v1/openapi.json")),
    ("GET", "/api/v1/docs"): (_roles(200, ROLES), _plain("/api/v1/docs")),
    ("GET", "/api/v1/docs/assets/<path:filename>"): (
        _roles(200, ROLES),
        _plain("/api/v1/docs/assets/init.js"),
    ),
    ("GET", "/api/v1/units"): (_roles(200, ("admin", "hr", "data")), _plain("/api/v1/units")),
    ("POST", "/api/v1/units"): (
        hr_scoped(201, 422),
        lambda w, role, rel: (
            "/api/v1/units",
            {"json": {"name": "Sub", "parent_id": w.target_unit(role, rel)}},
        ),
    ),
    ("GET", "/api/v1/units/<int(max=2147483647):unit_id>"): (UNIT_READ, _unit("")),
    ("PATCH", "/api/v1/units/<int(max=2147483647):unit_id>"): (
        hr_scoped(200, 404),
        lambda w, role, rel: (
            f"/api/v1/units/{w.target_unit(role, rel)}",
            {"json": {"region": "Jawa Barat"}, "headers": IF_ANY},
        ),
    ),
    ("POST", "/api/v1/units/<int(max=2147483647):unit_id>/grades"): (
        hr_scoped(201, 404),
        _unit("/grades", lambda *_: {"period": _period(), "grade": "baik"}),
    ),
    ("GET", "/api/v1/units/<int(max=2147483647):unit_id>/grades/<period>"): (
        UNIT_READ,
        _unit("/grades/2019"),
    ),
    ("PATCH", "/api/v1/units/<int(max=2147483647):unit_id>/grades/<period>"): (
        hr_scoped(200, 404),
        lambda w, role, rel: (
            f"/api/v1/units/{w.target_unit(role, rel)}/grades/2019",
            {"json": {"basis": "Capaian perjanjian kinerja"}, "headers": IF_ANY},
        ),
    ),
    ("GET", "/api/v1/units/<int(max=2147483647):unit_id>/evaluations/export"): (
        hr_scoped(200, 404),
        _unit("/evaluations/export?period=2019"),
    ),
    ("GET", "/api/v1/positions"): (_roles(200, ("admin", "hr")), _plain("/api/v1/positions")),
    ("POST", "/api/v1/positions"): (
        _roles(201, ("admin", "hr")),
        _plain(
            "/api/v1/positions",
            lambda *_: {
                "title": "Analis",
                "kind": "fungsional",
                "competency_standards": [{"competency": "M.01", "required_level": 3}],
            },
        ),
    ),
    ("GET", "/api/v1/positions/<int(max=2147483647):position_id>"): (
        _roles(200, ("admin", "hr")),
        lambda w, role, r: (f"/api/v1/positions/{w.position_id}", {}),
    ),
    ("PATCH", "/api/v1/positions/<int(max=2147483647):position_id>"): (
        _roles(200, ("admin", "hr")),
        lambda w, role, r: (
            f"/api/v1/positions/{w.position_id}",
            {"json": {"level": "ahli pertama"}, "headers": IF_ANY},
        ),
    ),
    ("GET", "/api/v1/employees"): (
        _roles(200, ("admin", "hr", "supervisor", "employee")),
        _plain("/api/v1/employees"),
    ),
    ("POST", "/api/v1/employees"): (
        hr_scoped(201, 422),
        lambda w, role, rel: ("/api/v1/employees", {"json": _employee(w, role, rel)}),
    ),
    ("GET", "/api/v1/employees/<int(max=2147483647):employee_id>"): (READ, _emp("")),
    ("PATCH", "/api/v1/employees/<int(max=2147483647):employee_id>"): (
        manage(200),
        lambda w, role, rel: (
            f"/api/v1/employees/{w.target(role, rel)}",
            {"json": {"grade": "III/b"}, "headers": {"If-Match": "*"}},
        ),
    ),
    ("POST", "/api/v1/users"): (
        _roles(201, ("admin",)),
        _plain(
            "/api/v1/users",
            lambda *_: {
                "username": f"new-{next(_unique)}",
                "password": PASSWORD,
                "role": "employee",
            },
        ),
    ),
    ("GET", "/api/v1/users"): (_roles(200, ("admin",)), _plain("/api/v1/users")),
    ("GET", "/api/v1/users/<int(max=2147483647):user_id>"): (
        _roles(200, ("admin",)),
        lambda w, role, r: (f"/api/v1/users/{w.users[role]}", {}),
    ),
    ("GET", "/api/v1/competencies"): (_roles(200, ROLES), _plain("/api/v1/competencies")),
    ("POST", "/api/v1/employees/<int(max=2147483647):employee_id>/competency-assessments"): (
        manage(201),
        _emp(
            "/competency-assessments",
            lambda *_: {"assessed_on": "2025-01-10", "method": "cat", "levels": {"M.01": 3}},
        ),
    ),
    ("GET", "/api/v1/employees/<int(max=2147483647):employee_id>/competency-assessments"): (
        READ,
        _emp("/competency-assessments"),
    ),
    ("POST", "/api/v1/employees/<int(max=2147483647):employee_id>/evaluations"): (
        rate(201),
        _emp("/evaluations", _evaluation),
    ),
    ("GET", "/api/v1/employees/<int(max=2147483647):employee_id>/evaluations"): (
        READ,
        _emp("/evaluations"),
    ),
    ("GET", "/api/v1/evaluations/<int(max=2147483647):evaluation_id>"): (
        READ,
        _by_person("evaluation"),
    ),
    ("GET", "/api/v1/evaluations/<int(max=2147483647):evaluation_id>/revisions"): (
        READ,
        _by_person("evaluation", "/revisions"),
    ),
    ("PATCH", "/api/v1/evaluations/<int(max=2147483647):evaluation_id>"): (
        rate(200),
        _by_person(
            "evaluation", body=lambda *_: {"feedback": "lanjutkan"}, headers={"If-Match": "*"}
        ),
    ),
    ("POST", "/api/v1/employees/<int(max=2147483647):employee_id>/attendance"): (
        manage(201),
        _emp(
            "/attendance",
            lambda *_: {"month": _period(), "work_days": 20, "present_days": 19, "late_days": 2},
        ),
    ),
    ("GET", "/api/v1/employees/<int(max=2147483647):employee_id>/attendance"): (
        READ,
        _emp("/attendance"),
    ),
    ("GET", "/api/v1/trainings"): (_roles(200, ROLES), _plain("/api/v1/trainings")),
    ("POST", "/api/v1/trainings"): (
        _roles(201, ("admin", "hr")),
        _plain(
            "/api/v1/trainings",
            lambda *_: {
                "code": f"X-{next(_unique)}",
                "title": "Kursus",
                "jp": 10,
                "mode": "klasikal",
                "competencies": [{"competency": "M.01", "max_level": 3}],
            },
        ),
    ),
    ("POST", "/api/v1/employees/<int(max=2147483647):employee_id>/trainings"): (
        manage(201),
        _emp(
            "/trainings",
            lambda w, *_: _enrolment(w),
        ),
    ),
    ("GET", "/api/v1/employees/<int(max=2147483647):employee_id>/trainings"): (
        READ,
        _emp("/trainings"),
    ),
    ("POST", "/api/v1/employees/<int(max=2147483647):employee_id>/feedback"): (
        rate(201),
        _emp("/feedback", lambda *_: {"period": "2025", "target": "perilaku", "body": "bagus"}),
    ),
    ("GET", "/api/v1/employees/<int(max=2147483647):employee_id>/feedback"): (
        READ,
        _emp("/feedback"),
    ),
    ("POST", "/api/v1/employees/<int(max=2147483647):employee_id>/self-assessments"): (
        own(201),
        _emp("/self-assessments", _self_assessment),
    ),
    ("GET", "/api/v1/employees/<int(max=2147483647):employee_id>/self-assessments"): (
        READ,
        _emp("/self-assessments"),
    ),
    ("POST", "/api/v1/employees/<int(max=2147483647):employee_id>/skps"): (
        own(201),
        _emp("/skps", _skp),
    ),
    ("GET", "/api/v1/employees/<int(max=2147483647):employee_id>/skps"): (READ, _emp("/skps")),
    ("GET", "/api/v1/skps/<int(max=2147483647):skp_id>"): (READ, _by_person("draft")),
    # Runs before POST .../submit (routes are walked sorted), while the plans are drafts.
    ("PATCH", "/api/v1/skps/<int(max=2147483647):skp_id>"): (
        own(200),
        _by_person("draft", body=lambda *_: {"approach": "kualitatif"}, headers=IF_ANY),
    ),
    ("POST", "/api/v1/skps/<int(max=2147483647):skp_id>/submit"): (
        own(200),
        _by_person("draft", "/submit"),
    ),
    ("POST", "/api/v1/skps/<int(max=2147483647):skp_id>/approve"): (
        rate(200),
        _by_person("submitted", "/approve"),
    ),
    ("POST", "/api/v1/skps/<int(max=2147483647):skp_id>/realisations"): (
        own_or_rater(201),
        _by_person("approved", "/realisations", body=_realisation),
    ),
    ("GET", "/api/v1/skps/<int(max=2147483647):skp_id>/realisations"): (
        READ,
        _by_person("approved", "/realisations"),
    ),
    ("POST", "/api/v1/imports/evaluations"): (hr_scoped(201, 422), _importer),
    ("GET", "/api/v1/audit"): (_roles(200, ("admin",)), _plain("/api/v1/audit")),
    # --- model serving (issues 4 and 5) ---
    ("GET", "/api/v1/employees/<int(max=2147483647):employee_id>/risk"): (READ, _emp("/risk")),
    ("GET", "/api/v1/employees/<int(max=2147483647):employee_id>/recommendations"): (
        READ,
        _emp("/recommendations?k=3"),
    ),
    ("GET", "/api/v1/employees/<int(max=2147483647):employee_id>/outlook"): (
        READ,
        _emp("/outlook"),
    ),
    ("GET", "/api/v1/units/<int(max=2147483647):unit_id>/training-needs"): (
        hr_scoped(200, 404),
        _unit("/training-needs"),
    ),
    ("GET", "/api/v1/trainings/<string(maxlength=40):code>/outcomes"): (
        _roles(200, ROLES),
        lambda w, role, r: (f"/api/v1/trainings/{w.training_code}/outcomes", {}),
    ),
    ("GET", "/api/v1/teams/me"): (
        _roles(200, ("supervisor", "hr", "admin")),
        _plain("/api/v1/teams/me"),
    ),
    ("POST", "/api/v1/employees/<int(max=2147483647):employee_id>/risk/reviews"): (
        rate(409),  # past every access check, the walk's people have no history to review
        _emp("/risk/reviews", lambda *_: {"decision": "agree"}),
    ),
    ("GET", "/api/v1/employees/<int(max=2147483647):employee_id>/risk/reviews"): (
        READ,
        _emp("/risk/reviews"),
    ),
    ("GET", "/api/v1/models/risk/track-record"): (
        _roles(200, ("admin", "data")),
        _plain("/api/v1/models/risk/track-record"),
    ),
    ("GET", "/api/v1/models"): (_roles(200, ("admin", "data")), _plain("/api/v1/models")),
    ("POST", "/api/v1/models/retrain"): (
        _roles(201, ("admin", "data")),
        _plain("/api/v1/models/retrain", lambda *_: {}),
    ),
    ("GET", "/api/v1/models/jobs/<int(max=2147483647):job_id>"): (
        _roles(200, ("admin", "data")),
        lambda w, role, r: (f"/api/v1/models/jobs/{w.objects['job'][0]}", {}),
    ),
}


# --- continuous performance: activity log, dialogues, notifications (issue 8) -----------------
# Objects come from tests/service/continuous/continuous_objects.py (added by test_policy).


def _object(kind: str, path: str, body: Any = None, **extra: Any) -> Request:
    """A request on the target person's object of `kind`; `path` has `{}` for its id."""

    def build(world: World, role: str, relation: str) -> tuple[str, dict[str, Any]]:
        kwargs = dict(extra)
        if body is not None:
            kwargs["json"] = body
        return path.format(world.objects[kind][world.target(role, relation)]), kwargs

    return build


def _notification(world: World, role: str, relation: str) -> tuple[str, dict[str, Any]]:
    """The caller's own notification, or (other relations) another login's."""
    owner = role if relation == "own" else ("hr" if role == "admin" else "admin")
    notification = world.objects["notification"][world.users[owner]]
    return f"/api/v1/notifications/{notification}/read", {}


_ACTIVITY = "/api/v1/activities/<int(max=2147483647):activity_id>"
ROUTES.update(
    {
        ("POST", "/api/v1/employees/<int(max=2147483647):employee_id>/activities"): (
            own(201),
            _emp("/activities", lambda *_: {"activity_date": "2025-03-04", "description": "x"}),
        ),
        ("GET", "/api/v1/employees/<int(max=2147483647):employee_id>/activities"): (
            READ,
            _emp("/activities"),
        ),
        ("GET", "/api/v1/teams/me/activities"): (
            _roles(200, ("supervisor", "hr", "admin")),
            _plain("/api/v1/teams/me/activities"),
        ),
        ("GET", _ACTIVITY): (READ, _object("activity", "/api/v1/activities/{}")),
        ("PATCH", _ACTIVITY): (
            own(200),
            _object(
                "activity",
                "/api/v1/activities/{}",
                body={"description": "y"},
                headers={"If-Match": "*"},
            ),
        ),
        ("POST", f"{_ACTIVITY}/acknowledge"): (
            rate(200),
            _object("activity_ack", "/api/v1/activities/{}/acknowledge", body={}),
        ),
        ("POST", "/api/v1/employees/<int(max=2147483647):employee_id>/dialogues"): (
            rate(201),
            _emp(
                "/dialogues",
                lambda *_: {"held_on": "2025-03-05", "kind": "dialog", "topics": "target"},
            ),
        ),
        ("GET", "/api/v1/employees/<int(max=2147483647):employee_id>/dialogues"): (
            READ,
            _emp("/dialogues"),
        ),
        ("GET", "/api/v1/dialogue-actions/<int(max=2147483647):action_id>"): (
            READ,
            _object("dialogue_action", "/api/v1/dialogue-actions/{}"),
        ),
        ("PATCH", "/api/v1/dialogue-actions/<int(max=2147483647):action_id>"): (
            rate(200),
            _object(
                "dialogue_action",
                "/api/v1/dialogue-actions/{}",
                body={"done": True},
                headers={"If-Match": "*"},
            ),
        ),
        ("GET", "/api/v1/notifications/me"): (
            _roles(200, ROLES),
            _plain("/api/v1/notifications/me"),
        ),
        ("POST", "/api/v1/notifications/<int(max=2147483647):notification_id>/read"): (
            {role: (200, 404, 404, 404) for role in ROLES},
            _notification,
        ),
        # One's own email choices: every login, whatever the relation (there is no other).
        ("GET", "/api/v1/users/me/notification-preferences"): (
            _roles(200, ROLES),
            _plain("/api/v1/users/me/notification-preferences"),
        ),
        ("PUT", "/api/v1/users/me/notification-preferences"): (
            _roles(200, ROLES),
            _plain(
                "/api/v1/users/me/notification-preferences",
                lambda *_: {"email_on": {"evaluation_due": False}},
                headers=IF_ANY,
            ),
        ),
    }
)

# --- objections (keberatan) to an evaluation --------------------------------------------------
# test_policy adds a pending objection per person (to its 2018 evaluation, no rater).

_OBJECTION = "/api/v1/objections/<int(max=2147483647):objection_id>"
ROUTES.update(
    {
        ("POST", "/api/v1/evaluations/<int(max=2147483647):evaluation_id>/objections"): (
            own(201),
            _by_person("evaluation", "/objections", body=lambda *_: {"reason": "keberatan"}),
        ),
        # Evaluations rated by the person's supervisor: the employee and the rater sign.
        ("POST", "/api/v1/evaluations/<int(max=2147483647):evaluation_id>/signatures"): (
            own_or_rater(201),
            _by_person("signable", "/signatures"),
        ),
        ("GET", "/api/v1/evaluations/<int(max=2147483647):evaluation_id>/signatures"): (
            READ,
            _by_person("signable", "/signatures"),
        ),
        ("GET", "/api/v1/objections"): (
            _roles(200, ("admin", "hr", "supervisor", "employee")),
            _plain("/api/v1/objections"),
        ),
        ("GET", _OBJECTION): (READ, _object("objection", "/api/v1/objections/{}")),
        ("PATCH", _OBJECTION): (
            own(200),
            _object(
                "objection",
                "/api/v1/objections/{}",
                body={"status": "withdrawn"},
                headers={"If-Match": "*"},
            ),
        ),
    }
)

# --- the personal-data export: the person, or an admin on their request ---------------------

ROUTES[("GET", "/api/v1/employees/<int(max=2147483647):employee_id>/personal-data")] = (
    {**own(200), "admin": _same(200)},
    _emp("/personal-data"),
)

ROUTES[("GET", "/api/v1/units/<int(max=2147483647):unit_id>/rater-calibration")] = (
    hr_scoped(200, 404),
    _unit("/rater-calibration?period=2019"),
)

# The fairness report: the data team gets the group tables (and no raters), as UNIT_READ.
ROUTES[("GET", "/api/v1/units/<int(max=2147483647):unit_id>/fairness")] = (
    UNIT_READ,
    _unit("/fairness?period=2019"),
)

ROUTES[("GET", "/api/v1/units/<int(max=2147483647):unit_id>/progress")] = (
    hr_scoped(200, 404),
    _unit("/progress?year=2019"),
)

# --- reopening the realisation window (entry_windows): hr over the unit, admin -------------


def _reopening(*_: Any) -> dict[str, Any]:
    until = date.today() + timedelta(days=30)
    return {"until": until.isoformat(), "reason": "Bukti triwulan terlambat ditandatangani"}


ROUTES[("POST", "/api/v1/employees/<int(max=2147483647):employee_id>/window-reopenings")] = (
    manage(201),
    _emp("/window-reopenings", _reopening),
)
ROUTES[("GET", "/api/v1/employees/<int(max=2147483647):employee_id>/window-reopenings")] = (
    manage(200),
    _emp("/window-reopenings"),
)
ROUTES[("POST", "/api/v1/units/<int(max=2147483647):unit_id>/window-reopenings")] = (
    hr_scoped(201, 404),
    _unit("/window-reopenings", _reopening),
)
ROUTES[("GET", "/api/v1/units/<int(max=2147483647):unit_id>/window-reopenings")] = (
    hr_scoped(200, 404),
    _unit("/window-reopenings"),
)

# --- 360 feedback, attendance import, allowance (issue 8, parts 2, 5 and 6) ------------------

_UNKNOWN_ROUND = "/api/v1/feedback-rounds/999999"


def _feedback_round(world: World, role: str, relation: str) -> dict[str, Any]:
    """A round whose only rater is the employee (the self group), for a fresh period."""
    target = world.target(role, relation)
    return {"period": _period(), "raters": [{"employee_id": target, "group": "self"}]}


def _attendance_importer(world: World, role: str, relation: str) -> tuple[str, dict[str, Any]]:
    target = world.target(role, relation)
    nip = next(nip for name, nip in world.nips.items() if world.employees[name] == target)
    csv = f"nip,date,check_in,check_out\n{nip},2024-01-02,07:15,16:00\n"
    data = {"file": (io.BytesIO(csv.encode()), "a.csv")}
    return "/api/v1/imports/attendance", {"data": data}


#: Starting a round: a supervisor above, hr over the unit, admin; never for oneself.
LEAD: Profile = {
    "admin": (403, 201, 201, 201),
    "hr": (403, 201, 201, 404),
    "supervisor": (403, 201, 404, 404),
    "employee": (403, 404, 404, 404),
    "data": _same(403),
}
_PEOPLE_ROLES = ("admin", "hr", "supervisor", "employee")

ROUTES.update(
    {
        ("POST", "/api/v1/employees/<int(max=2147483647):employee_id>/feedback-rounds"): (
            LEAD,
            _emp("/feedback-rounds", _feedback_round),
        ),
        ("GET", "/api/v1/employees/<int(max=2147483647):employee_id>/feedback-rounds"): (
            READ,
            _emp("/feedback-rounds"),
        ),
        # Rounds by id: an unknown round is 404 to every role that may use the route (the
        # per-relation rules are tested in tests/service/feedback360).
        ("GET", "/api/v1/feedback-rounds/<int(max=2147483647):round_id>"): (
            _roles(404, _PEOPLE_ROLES),
            _plain(_UNKNOWN_ROUND),
        ),
        ("POST", "/api/v1/feedback-rounds/<int(max=2147483647):round_id>/close"): (
            _roles(404, _PEOPLE_ROLES),
            _plain(f"{_UNKNOWN_ROUND}/close"),
        ),
        ("POST", "/api/v1/feedback-rounds/<int(max=2147483647):round_id>/answers"): (
            _roles(404, _PEOPLE_ROLES),
            _plain(
                f"{_UNKNOWN_ROUND}/answers",
                lambda *_: {"ratings": dict.fromkeys(BerakhlakValue, "sesuai_ekspektasi")},
            ),
        ),
        ("GET", "/api/v1/feedback-rounds/<int(max=2147483647):round_id>/results"): (
            _roles(404, _PEOPLE_ROLES),
            _plain(f"{_UNKNOWN_ROUND}/results"),
        ),
        ("GET", "/api/v1/feedback-requests/me"): (
            _roles(200, _PEOPLE_ROLES),
            _plain("/api/v1/feedback-requests/me"),
        ),
        ("POST", "/api/v1/imports/attendance"): (hr_scoped(201, 422), _attendance_importer),
        ("GET", "/api/v1/units/<int(max=2147483647):unit_id>/allowance"): (
            hr_scoped(200, 404),
            _unit("/allowance?period=2019"),
        ),
        ("GET", "/api/v1/units/<int(max=2147483647):unit_id>/allowance/export"): (
            hr_scoped(200, 404),
            _unit("/allowance/export?period=2019&format=csv"),
        ),
    }
)

# --- SKP templates per position, and a unit's SKPs drafted from them --------------------------

#: The template the walk's world holds for its position (test_policy adds it).
SKP_TEMPLATE = {
    "rhks": [
        {
            "kind": "utama",
            "description": "Layanan",
            "indicators": [{"aspect": "kuantitas", "description": "laporan", "target_value": 12}],
        }
    ]
}
_TEMPLATE_ROUTE = "/api/v1/positions/<int(max=2147483647):position_id>/skp-template"

ROUTES.update(
    {
        ("GET", _TEMPLATE_ROUTE): (
            _roles(200, ("admin", "hr")),
            lambda w, role, r: (f"/api/v1/positions/{w.position_id}/skp-template", {}),
        ),
        ("PUT", _TEMPLATE_ROUTE): (
            _roles(200, ("admin", "hr")),
            lambda w, role, r: (
                f"/api/v1/positions/{w.position_id}/skp-template",
                {"json": SKP_TEMPLATE, "headers": IF_ANY},
            ),
        ),
        # Removing: an unknown position is 404 to every role that may (the walk's template
        # stays for the GET and PUT; removal is tested in test_skp_templates).
        ("DELETE", _TEMPLATE_ROUTE): (
            _roles(404, ("admin", "hr")),
            _plain("/api/v1/positions/2000000000/skp-template", headers=IF_ANY),
        ),
        ("POST", "/api/v1/units/<int(max=2147483647):unit_id>/skps"): (
            hr_scoped(201, 404),
            _unit("/skps", lambda *_: {"year": 2040}),
        ),
    }
)

# --- closing the calibration of a unit and period: hr over the unit, admin; readers as the
# unit grades (the data team sees counts only) -----------------------------------------------

_CLOSINGS = "/api/v1/units/<int(max=2147483647):unit_id>/calibration-closings"


def _closing_reopened(world: World, role: str, relation: str) -> tuple[str, dict[str, Any]]:
    """Reopen one of the standing closings of the target unit (a pool per unit, made by
    test_policy: each successful reopening uses one up)."""
    unit_id = world.target_unit(role, relation)
    closing_id = world.objects["closing"][unit_id].pop()
    path = f"/api/v1/units/{unit_id}/calibration-closings/{closing_id}/reopen"
    return path, {"json": {"reason": "Ditinjau ulang setelah rapat pimpinan"}}


ROUTES[("POST", _CLOSINGS)] = (
    hr_scoped(201, 404),
    _unit("/calibration-closings", lambda *_: {"period": _period()}),
)
ROUTES[("GET", _CLOSINGS)] = (UNIT_READ, _unit("/calibration-closings?period=2019"))
ROUTES[("POST", f"{_CLOSINGS}/<int(max=2147483647):closing_id>/reopen")] = (
    hr_scoped(200, 404),
    _closing_reopened,
)
