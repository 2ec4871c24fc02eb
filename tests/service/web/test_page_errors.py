"""Errors outside any page's own code (no route, wrong method, too large) as the pages' HTML
error page in the user's language; the API keeps its problem+json."""

from __future__ import annotations

import io

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.service.api.world import World
from tests.service.web.conftest import csrf_token
from tests.service.web.conftest import sign_in

WERKZEUG_WORDS = ("The requested URL", "The method is not allowed", "exceeds the capacity")


def _error_page(answer: object, status: int, title: str) -> str:
    body = answer.get_data(as_text=True)
    assert answer.status_code == status
    assert answer.mimetype == "text/html"
    assert '<html lang="id">' in body
    assert f'<h1 id="error-title">{title} <span class="status-code">({status})</span></h1>' in body
    assert not [words for words in WERKZEUG_WORDS if words in body]
    assert answer.headers["Content-Security-Policy"].startswith("default-src 'self'")
    return body


@pytest.mark.parametrize("path", ["/no-such-page", "/employees/abc", "/employees/99999999999"])
def test_an_address_with_no_page_is_the_error_page(
    client: FlaskClient, world: World, path: str
) -> None:
    sign_in(client, "supervisor")
    _error_page(client.get(path), 404, "Tidak ditemukan")


def test_opening_a_form_address_is_the_error_page(client: FlaskClient, world: World) -> None:
    """After a refused form the address bar shows the form's address, which takes only POST."""
    sign_in(client, "supervisor")
    _error_page(client.get("/team/evaluation"), 405, "Kesalahan")


def test_a_file_over_the_size_limit_is_the_error_page(
    client: FlaskClient, app: Flask, world: World
) -> None:
    app.config["MAX_CONTENT_LENGTH"] = 256 * 1024  # the test client spools 10 MiB to disk
    sign_in(client, "hr")
    token = csrf_token(client, "/imports/attendance")
    big = io.BytesIO(b"0" * (app.config["MAX_CONTENT_LENGTH"] + 1))
    answer = client.post(
        "/imports/attendance",
        data={"csrf_token": token, "file": (big, "presensi.csv")},
        content_type="multipart/form-data",
    )
    body = _error_page(answer, 413, "Kesalahan")
    assert "paling besar 0,2 MiB" in body


def test_the_api_still_answers_problem_json(client: FlaskClient, world: World) -> None:
    for answer, status in (
        (client.get("/api/v1/no-such-thing"), 404),
        (client.delete("/api/v1/units"), 405),
    ):
        assert (answer.status_code, answer.mimetype) == (status, "application/problem+json")


@pytest.mark.parametrize(
    ("role", "path", "status", "explanation"),
    [
        ("supervisor", "/employees/{O}", 404, "Data ini tidak ada atau tidak dapat Anda lihat."),
        ("supervisor", "/units/{A}/training-needs", 403, "Anda tidak berwenang membuka"),
    ],
)
def test_a_refusal_of_the_domain_is_explained_in_the_users_language(
    client: FlaskClient, world: World, role: str, path: str, status: int, explanation: str
) -> None:
    """The domain's own detail (English, for the API) stays, below the explanation."""
    sign_in(client, role)
    answer = client.get(path.format(**world.employees, **world.units))
    assert answer.status_code == status
    assert explanation in answer.get_data(as_text=True)
