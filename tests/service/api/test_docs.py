"""The OpenAPI document covers every route with its errors; the docs page needs no internet."""

from __future__ import annotations

import re

from flask import Flask
from flask.testing import FlaskClient


def _spec_path(rule: str) -> str:
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule)


def test_document_describes_every_api_route(shared_app: Flask, shared_client: FlaskClient) -> None:
    doc = shared_client.get("/api/v1/openapi.json").json
    assert doc["openapi"].startswith("3.")
    documented = {(m.upper(), p) for p, ops in doc["paths"].items() for m in ops}
    hidden = {"/api/v1/docs", "/api/v1/docs/assets/<path:filename>"}
    expected = {
        (method, _spec_path(rule.rule))
        for rule in shared_app.url_map.iter_rules()
        if rule.rule.startswith("/api/v1") and rule.rule not in hidden
        for method in rule.methods or ()
        if method not in ("HEAD", "OPTIONS")
    }
    assert expected <= documented
    token = doc["paths"]["/api/v1/auth/token"]["post"]
    assert token["security"] == []
    assert "application/problem+json" in token["responses"]["401"]["content"]
    create = doc["paths"]["/api/v1/employees/{employee_id}/evaluations"]["post"]
    assert {"201", "409", "422"} <= set(create["responses"])
    assert "requestBody" in create


def test_docs_page_loads_only_local_assets(shared_client: FlaskClient) -> None:
    page = shared_client.get("/api/v1/docs").get_data(as_text=True)
    assets = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert assets and all(url.startswith("/api/v1/docs/assets/") for url in assets)
    for url in assets:
        with shared_client.get(url) as response:
            assert response.status_code == 200
