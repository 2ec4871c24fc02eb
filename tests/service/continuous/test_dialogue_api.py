"""Performance dialogues through the API: recorded by a supervisor above, started from a
coaching suggestion, and the next dialogue records whether the agreed actions were done."""

from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient

from service.domain.coaching import load_catalogue
from tests.service.api.world import World

URL = "/api/v1/employees/{}/dialogues"


def _record(client: FlaskClient, world: World, role: str, person: str, **body: Any) -> Any:
    body = {"held_on": "2025-04-10", "kind": "dialog", "topics": "Target RHK triwulan"} | body
    return client.post(URL.format(world.employees[person]), json=body, headers=world.headers(role))


def test_next_dialogue_records_whether_agreed_actions_were_done(
    client: FlaskClient, world: World
) -> None:
    code = load_catalogue()[0].code
    first = _record(
        client,
        world,
        "supervisor",
        "E1",
        kind="coaching",
        coaching_action=code,
        follow_up_on="2025-05-10",
        actions=[
            {"description": "Selesaikan laporan", "due_on": "2025-05-01"},
            {"description": "Ikuti pelatihan"},
        ],
    )
    assert first.status_code == 201, first.get_json()
    created = first.get_json()
    assert (created["coaching_action"], created["supervisor_employee_id"]) == (
        code,
        world.employees["S"],
    )
    done, missed = created["actions"]
    assert (done["done"], done["reviewed_in_dialogue_id"]) == (None, None)
    second = _record(
        client,
        world,
        "supervisor",
        "E1",
        held_on="2025-05-12",
        reviews=[
            {"action_id": done["id"], "done": True},
            {"action_id": missed["id"], "done": False},
        ],
    )
    assert second.status_code == 201, second.get_json()
    reviewed = {a["id"]: a for a in second.get_json()["reviewed"]}
    assert (reviewed[done["id"]]["done"], reviewed[missed["id"]]["done"]) == (True, False)
    assert {a["reviewed_in_dialogue_id"] for a in reviewed.values()} == {second.get_json()["id"]}
    listed = client.get(URL.format(world.employees["E1"]), headers=world.headers("employee"))
    items = listed.get_json()["items"]
    assert [item["held_on"] for item in items] == ["2025-05-12", "2025-04-10"]
    assert [a["done"] for a in items[1]["actions"]] == [True, False]
    again = _record(
        client, world, "supervisor", "E1", reviews=[{"action_id": done["id"], "done": True}]
    )
    assert again.status_code == 422
    assert again.get_json()["errors"][0]["field"] == "reviews.0.action_id"


def test_reviews_name_only_this_employees_open_actions(client: FlaskClient, world: World) -> None:
    other = _record(client, world, "hr", "S", actions=[{"description": "Rapat tim"}]).get_json()
    answer = _record(
        client,
        world,
        "supervisor",
        "E1",
        reviews=[{"action_id": other["actions"][0]["id"], "done": True}],
    )
    assert answer.status_code == 422


def test_coaching_code_and_dates_are_checked(client: FlaskClient, world: World) -> None:
    cases = {
        "coaching_action": {"coaching_action": "no_such_rule"},
        "follow_up_on": {"follow_up_on": "2025-04-01"},
        "actions.0.due_on": {"actions": [{"description": "x", "due_on": "2025-01-01"}]},
        "held_on": {"held_on": "2999-01-01"},
        "kind": {"kind": "rapat"},
    }
    for field, change in cases.items():
        answer = _record(client, world, "supervisor", "E1", **change)
        assert answer.status_code == 422, field
        assert answer.get_json()["errors"][0]["field"] == field


def test_an_action_can_be_marked_between_dialogues(client: FlaskClient, world: World) -> None:
    action = _record(
        client, world, "supervisor", "E1", actions=[{"description": "Perbaiki SOP"}]
    ).get_json()["actions"][0]
    path = f"/api/v1/dialogue-actions/{action['id']}"
    supervisor = world.headers("supervisor")
    assert client.patch(path, json={"done": True}, headers=supervisor).status_code == 428
    stale = client.patch(path, json={"done": True}, headers=supervisor | {"If-Match": '"9"'})
    assert stale.status_code == 412
    marked = client.patch(path, json={"done": True}, headers=supervisor | {"If-Match": '"1"'})
    assert marked.status_code == 200
    assert (marked.get_json()["done"], marked.headers["ETag"]) == (True, '"2"')
    own = client.patch(
        path, json={"done": False}, headers=world.headers("employee") | {"If-Match": "*"}
    )
    assert own.status_code == 403
