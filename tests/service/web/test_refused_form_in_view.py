"""A refused form comes back where it was sent from, not at the top of a long page.

The team page lists every member before its two forms (about 10,000 px for the demo's team
of 23): a refused evaluation came back at the top, with its alert out of sight, so the
supervisor saw no error and no success either. Each form that sits below a list posts to
an address with its own fragment, which the browser keeps for the page it answers."""

from __future__ import annotations

import re

from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from tests.factories import make_evaluation
from tests.service.api.world import World
from tests.service.web.conftest import post_form
from tests.service.web.conftest import sign_in

_ACTION = re.compile(r'<form method="post" action="([^"]+)"')


def _actions(client: FlaskClient, path: str) -> list[str]:
    return _ACTION.findall(client.get(path).get_data(as_text=True))


def test_team_forms_post_to_their_own_section(client: FlaskClient, world: World) -> None:
    sign_in(client, "supervisor")
    actions = _actions(client, "/team")
    assert "/team/evaluation#evaluate" in actions and "/team/feedback#feedback" in actions
    refused = post_form(client, "/team/evaluation#evaluate", {"employee_id": "x"}, "/team")
    assert refused.status_code == 422  # the fragment never reaches the server


def test_objection_decisions_post_to_their_objection(
    client: FlaskClient, world: World, session: Session
) -> None:
    evaluation = make_evaluation(
        session, employee_id=world.employees["E1"], rater_id=world.employees["S"], period="2025"
    )
    session.commit()
    sign_in(client, "employee")
    path = f"/evaluations/{evaluation.id}/objection"
    assert post_form(client, path, {"reason": "Bukti belum dinilai."}, path).status_code == 303
    withdraw = [a for a in _actions(client, "/objections") if a.startswith("/objections/")]
    assert withdraw and all(re.fullmatch(r"/objections/(\d+)#objection-\1", a) for a in withdraw)


def test_activity_forms_post_to_their_entry(client: FlaskClient, world: World) -> None:
    log = f"/employees/{world.employees['E1']}/activities"
    sign_in(client, "employee")
    form = {"activity_date": "2025-04-10", "description": "Menyusun laporan"}
    assert post_form(client, log, form, log).status_code == 303
    edits = [a for a in _actions(client, log) if "/edit" in a]
    assert edits and all(re.fullmatch(r"/activities/(\d+)/edit#activity-\1", a) for a in edits)
    sign_in(client, "supervisor")
    acks = [a for a in _actions(client, log) if "/acknowledge" in a]
    acks += [a for a in _actions(client, "/team/activities") if "/acknowledge" in a]
    assert acks and all(
        re.fullmatch(r"/activities/(\d+)/acknowledge#activity-\1", a) for a in acks
    )
