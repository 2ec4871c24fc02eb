"""Colleagues around E1 of the standard world, each with a login, for 360 feedback tests.

    S (supervisor) -> E1 (the rated employee), P1, P2, P3, P4, HP (peers: same supervisor)
    E1 -> E2, D1, D2 (subordinates)

HP has the hr role (unit A), so HP may read E1's results while being one of E1's peers.
"""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy.orm import Session
from werkzeug.test import TestResponse

from service.auth.tokens import LoginLimits
from service.auth.tokens import issue_token
from service.domain.entities import BerakhlakValue
from service.domain.entities import Role
from service.domain.users import create_user
from tests.factories import make_employee
from tests.service.api.world import PASSWORD
from tests.service.api.world import World

PEERS = ("P1", "P2", "P3", "P4", "HP")
REPORTS = ("D1", "D2")
ABOVE = "di_atas_ekspektasi"
MEETS = "sesuai_ekspektasi"
BELOW = "di_bawah_ekspektasi"
#: Everyone around E1 in the group the organisation gives them.
FULL_RATERS = {
    "E1": "self",
    "S": "supervisor",
    "P1": "peer",
    "P2": "peer",
    "P3": "peer",
    "E2": "subordinate",
    "D1": "subordinate",
    "D2": "subordinate",
}


@dataclass
class Team:
    world: World
    employees: dict[str, int] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)

    def id(self, name: str) -> int:
        return self.employees.get(name) or self.world.employees[name]

    def headers(self, name: str) -> dict[str, str]:
        """The bearer header of a person (a team member, or a world role such as "hr")."""
        role = {"S": "supervisor", "E1": "employee", "H": "hr", "AD": "admin"}.get(name, name)
        token = self.tokens.get(name) or self.world.tokens[role]
        return {"Authorization": f"Bearer {token}"}


def build_team(session: Session, world: World) -> Team:
    """Add the peers and reports with their logins; commit."""
    team = Team(world)
    unit = world.units["A1"]
    people = [(n, world.employees["S"]) for n in PEERS] + [
        (n, world.employees["E1"]) for n in REPORTS
    ]
    for name, boss in people:
        employee = make_employee(
            session, unit_id=unit, position_id=world.position_id, supervisor_id=boss, name=name
        )
        team.employees[name] = employee.id
        role = Role.HR if name == "HP" else Role.EMPLOYEE
        unit_id = world.units["A"] if role is Role.HR else None
        create_user(session, f"user-{name}", PASSWORD, role, employee.id, unit_id)
    session.commit()
    create_user(session, "user-E2", PASSWORD, Role.EMPLOYEE, world.employees["E2"])
    session.commit()
    for name in (*PEERS, *REPORTS, "E2"):
        issued = issue_token(
            session, f"user-{name}", PASSWORD, "127.0.0.1", ttl_seconds=3600, limits=LoginLimits()
        )
        team.tokens[name] = issued.access_token
    return team


def ratings(rating: str = MEETS, **by_value: str) -> dict[str, str]:
    """A rating for every BerAKHLAK value: `rating`, except the values named."""
    return {value.value: by_value.get(value.value, rating) for value in BerakhlakValue}


def start(
    client: FlaskClient, team: Team, raters: dict[str, str], by: str = "supervisor", **extra: Any
) -> TestResponse:
    """POST a round on E1 with `raters` ({name: group}) as the world role or person `by`."""
    target = extra.pop("target", "E1")
    body = {
        "period": extra.pop("period", "2025"),
        "raters": [{"employee_id": team.id(n), "group": g} for n, g in raters.items()],
        **extra,
    }
    return client.post(
        f"/api/v1/employees/{team.id(target)}/feedback-rounds",
        json=body,
        headers=team.headers(by),
    )


def answer(
    client: FlaskClient, team: Team, round_id: int, who: str, values: dict[str, str], **extra: Any
) -> TestResponse:
    """POST `who`'s answer to a round."""
    return client.post(
        f"/api/v1/feedback-rounds/{round_id}/answers",
        json={"ratings": values, **extra},
        headers=team.headers(who),
    )


def close(client: FlaskClient, team: Team, round_id: int, by: str = "supervisor") -> TestResponse:
    return client.post(f"/api/v1/feedback-rounds/{round_id}/close", headers=team.headers(by))


def results(client: FlaskClient, team: Team, round_id: int, who: str) -> TestResponse:
    return client.get(f"/api/v1/feedback-rounds/{round_id}/results", headers=team.headers(who))


def group(body: dict[str, Any], name: str) -> dict[str, Any]:
    """The result (or count) entry of one rater group in an answer."""
    return next(g for g in body["groups"] if g["group"] == name)
