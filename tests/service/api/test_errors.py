"""Every failure is application/problem+json with the status API.md assigns; never a 500 for
bad input; a real 500 is problem+json too and writes nothing."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy import text
from sqlalchemy.orm import Session

from service.db.models import AuditEntry
from tests.factories import make_evaluation
from tests.factories import make_nip
from tests.service.api.world import World

PROBLEM = "application/problem+json"


def _assert_problem(response, status: int) -> dict:  # type: ignore[no-untyped-def]
    assert response.status_code == status
    assert response.mimetype == PROBLEM
    body = response.json
    assert body["status"] == status
    assert body["title"] and body["detail"]
    return body


def test_unknown_route_and_wrong_method(shared_client: FlaskClient) -> None:
    _assert_problem(shared_client.get("/api/v1/no-such-thing"), 404)
    body = _assert_problem(shared_client.delete("/api/v1/units"), 405)
    assert body["type"] == "about:blank"


def test_no_or_bad_token_is_401(shared_client: FlaskClient, shared_world: World) -> None:
    response = shared_client.get("/api/v1/units")
    _assert_problem(response, 401)
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    _assert_problem(
        shared_client.get("/api/v1/units", headers={"Authorization": "Bearer nope"}), 401
    )
    _assert_problem(
        shared_client.get("/api/v1/units", headers={"Authorization": "Basic eDp5"}), 401
    )


def test_body_over_10_mib_is_413_before_parsing(
    shared_client: FlaskClient, shared_world: World
) -> None:
    big = b"{" + b" " * (10 * 1024 * 1024) + b"}"
    response = shared_client.post(
        "/api/v1/units",
        data=big,
        content_type="application/json",
        headers=shared_world.headers("admin"),
    )
    _assert_problem(response, 413)


def test_malformed_json_is_400_and_wrong_media_type_415(
    shared_client: FlaskClient, shared_world: World
) -> None:
    headers = shared_world.headers("admin")
    bad = shared_client.post(
        "/api/v1/units", data="{nope", content_type="application/json", headers=headers
    )
    _assert_problem(bad, 400)
    plain = shared_client.post(
        "/api/v1/units", data="name=x", content_type="text/plain", headers=headers
    )
    _assert_problem(plain, 415)


@pytest.mark.parametrize("shape", ["array", "object"])
def test_json_nested_too_deeply_is_400(
    shared_client: FlaskClient, shared_world: World, shape: str
) -> None:
    """Python's parser gives up on deep nesting with RecursionError, not ValueError, which
    Flask's `silent` parsing let through as a 500, on every JSON route, the public token
    route included."""
    depth = 100_000
    nested = "[" * depth + "]" * depth
    body = nested if shape == "array" else '{"period": ' + nested + "}"
    supervisor = shared_world.headers("supervisor")
    path = f"/api/v1/employees/{shared_world.employees['E1']}/evaluations"
    for url, headers in (
        ("/api/v1/auth/token", {}),
        (path, supervisor),
        (path, supervisor | {"Idempotency-Key": f"deep-{shape}"}),
    ):
        response = shared_client.post(
            url, data=body, content_type="application/json", headers=headers
        )
        assert "nested" in _assert_problem(response, 400)["detail"], url


@pytest.mark.parametrize(
    ("nip", "message"),
    [
        ("12345", "18 digits"),
        ("19850315201001100x", "18 digits"),
        ("198502302010011001", "birth date"),
        ("198503152010131001", "start year and month"),
        ("198503152010013001", "digit 15"),
    ],
)
def test_bad_nip_is_422(
    shared_client: FlaskClient, shared_world: World, nip: str, message: str
) -> None:
    body = {
        "nip": nip,
        "name": "X",
        "unit_id": shared_world.units["A"],
        "position_id": shared_world.position_id,
    }
    response = shared_client.post(
        "/api/v1/employees", json=body, headers=shared_world.headers("admin")
    )
    problem = _assert_problem(response, 422)
    assert problem["errors"][0]["field"] == "nip"
    assert message in problem["errors"][0]["message"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "a\x00b"}, "name"),
        ({"name": "x" * 201}, "name"),
        ({"name": "   "}, "name"),
        ({"name": 5}, "name"),
        ({"name": "ok", "parent_id": "1"}, "parent_id"),
        ({"name": "ok", "parent_id": 2**40}, "parent_id"),
        ({"name": "ok", "parent_id": True}, "parent_id"),
    ],
)
def test_hostile_or_mistyped_fields_are_422(
    shared_client: FlaskClient, shared_world: World, body: dict, field: str
) -> None:
    response = shared_client.post(
        "/api/v1/units", json=body, headers=shared_world.headers("admin")
    )
    problem = _assert_problem(response, 422)
    assert [error["field"] for error in problem["errors"]] == [field]


def test_nip_must_agree_with_birth_date_and_gender(
    shared_client: FlaskClient, shared_world: World
) -> None:
    nip = make_nip(7, gender="P")
    body = {
        "nip": nip,
        "name": "X",
        "unit_id": shared_world.units["A"],
        "position_id": shared_world.position_id,
        "gender": "L",
    }
    problem = _assert_problem(
        shared_client.post("/api/v1/employees", json=body, headers=shared_world.headers("admin")),
        422,
    )
    assert "gender" in problem["errors"][0]["message"]
    created = shared_client.post(
        "/api/v1/employees", json=body | {"gender": "P"}, headers=shared_world.headers("admin")
    )
    assert created.status_code == 201


def test_a_real_server_error_is_problem_json_and_writes_nothing(
    app: Flask, client: FlaskClient, world: World, session: Session
) -> None:
    """A stored value the code cannot read (SQLite keeps any text in a DATETIME column) fails
    after the audit row of the read was flushed: 500 problem+json, and that row is gone."""
    if session.get_bind().dialect.name != "sqlite":
        pytest.skip("only SQLite stores an unreadable timestamp")
    employee_id = world.employees["E1"]
    make_evaluation(session, employee_id=employee_id)
    session.execute(text("UPDATE evaluations SET created_at = 'garbage'"))
    session.commit()
    audited = session.scalar(select(func.count()).select_from(AuditEntry))
    path = f"/api/v1/employees/{employee_id}/evaluations"
    response = client.get(path, headers=world.headers("hr"))
    body = _assert_problem(response, 500)
    assert response.headers["X-Request-ID"] in body["detail"]
    assert "garbage" not in body["detail"]
    assert session.scalar(select(func.count()).select_from(AuditEntry)) == audited
