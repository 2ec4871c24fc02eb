"""GET /users and GET /users/{id}: admin only, paginated, never a password hash."""

from __future__ import annotations

from flask.testing import FlaskClient

from tests.service.api.world import ROLES
from tests.service.api.world import World


def test_admin_lists_logins_by_page_without_hashes(client: FlaskClient, world: World) -> None:
    admin = world.headers("admin")
    page = client.get("/api/v1/users?limit=2&offset=1", headers=admin)
    assert page.status_code == 200
    assert page.json["total"] == len(ROLES)
    ids = sorted(world.users.values())
    assert [user["id"] for user in page.json["items"]] == ids[1:3]
    everyone = client.get("/api/v1/users", headers=admin).get_data(as_text=True)
    assert "password" not in everyone and "argon2" not in everyone
    hr_only = client.get("/api/v1/users?role=hr", headers=admin).json
    assert [(u["username"], u["employee_id"]) for u in hr_only["items"]] == [
        ("user-hr", world.employees["H"])
    ]
    assert client.get("/api/v1/users?role=boss", headers=admin).status_code == 422
    assert client.get("/api/v1/users?limit=1001", headers=admin).status_code == 422


def test_one_login_or_404(client: FlaskClient, world: World) -> None:
    admin = world.headers("admin")
    one = client.get(f"/api/v1/users/{world.users['data']}", headers=admin)
    assert one.status_code == 200
    assert one.json == {
        "id": world.users["data"],
        "username": "user-data",
        "role": "data",
        "employee_id": None,
        "unit_id": None,
        "is_active": True,
    }
    assert client.get("/api/v1/users/999999", headers=admin).status_code == 404
    assert client.get("/api/v1/users", headers=world.headers("hr")).status_code == 403


def test_a_new_login_names_only_what_exists_and_a_plain_username(
    shared_client: FlaskClient, shared_world: World
) -> None:
    """A username with a line end (`$` matches before one) and an HR unit that does not exist
    are bad input (422 naming the field), not a stored user or a database conflict."""
    admin = shared_world.headers("admin")
    password = "a fine long passphrase"
    bodies = {
        "username": {"username": "newline\n", "password": password, "role": "employee"},
        "unit_id": {
            "username": "hr-nowhere",
            "password": password,
            "role": "hr",
            "unit_id": 2_000_000_000,
        },
    }
    for field, body in bodies.items():
        response = shared_client.post("/api/v1/users", json=body, headers=admin)
        assert response.status_code == 422, response.get_data(as_text=True)
        assert response.mimetype == "application/problem+json"
        assert [e["field"] for e in response.json["errors"]] == [field]
    names = {
        u["username"] for u in shared_client.get("/api/v1/users", headers=admin).json["items"]
    }
    assert names.isdisjoint({"newline\n", "hr-nowhere"})
