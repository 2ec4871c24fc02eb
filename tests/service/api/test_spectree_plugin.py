"""The API's spectree plugin (`LeanFlaskPlugin`) answers exactly as spectree's own Flask plugin.

Each request is sent twice, once through each plugin, and the answers must match: status,
every header in order (the request id aside) and the body, for model answers, listings with
a query model, header models, raw (replayed) answers and validation errors.
"""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Iterator
from typing import Any

import pytest
from flask.testing import FlaskClient
from spectree.plugins.flask_plugin import FlaskPlugin
from werkzeug.test import TestResponse

from service.api.openapi import LeanFlaskPlugin
from service.api.openapi import spec
from tests.service.api.world import World


@pytest.fixture
def both() -> Iterator[Callable[[Callable[[], TestResponse]], tuple[Any, Any]]]:
    """Send a request through spectree's plugin, then through ours; give both answers."""

    def send(request: Callable[[], TestResponse]) -> tuple[Any, Any]:
        answers = []
        for plugin in (FlaskPlugin, LeanFlaskPlugin):
            spec.backend = plugin(spec)
            answers.append(_comparable(request()))
        return answers[0], answers[1]

    try:
        yield send
    finally:
        spec.backend = LeanFlaskPlugin(spec)


def _comparable(response: TestResponse) -> tuple[int, list[tuple[str, str]], bytes]:
    headers = [(k, v) for k, v in response.headers.items() if k != "X-Request-ID"]
    return response.status_code, headers, response.data


def _evaluation(period: str) -> dict[str, str]:
    return {
        "period": period,
        "work_result_rating": "sesuai_ekspektasi",
        "behavior_rating": "di_atas_ekspektasi",
    }


def test_spec_uses_the_lean_plugin() -> None:
    assert type(spec.backend) is LeanFlaskPlugin


def test_reads_and_listings_answer_the_same(
    client: FlaskClient, world: World, both: Callable[..., tuple[Any, Any]]
) -> None:
    auth = world.headers("supervisor")
    path = f"/api/v1/employees/{world.employees['E1']}/evaluations"
    created = client.post(path, json=_evaluation("2025-01"), headers=auth)
    assert created.status_code == 201
    one = f"/api/v1/evaluations/{created.json['id']}"
    statuses: list[int] = []
    for request in (
        lambda: client.get(one, headers=auth),
        lambda: client.get(f"{path}?limit=1&period=2025-01", headers=auth),
        lambda: client.get(f"{path}?limit=1&limit=2", headers=auth),
        lambda: client.get(f"{path}?limit=zero", headers=auth),
        lambda: client.get(f"{path}?period=2025-13", headers=auth),
        lambda: client.get("/api/v1/evaluations/999999", headers=auth),
    ):
        spectree, lean = both(request)
        assert lean == spectree
        statuses.append(lean[0])
    assert statuses == [200, 200, 422, 422, 422, 404]


def test_writes_and_their_errors_answer_the_same(
    client: FlaskClient, world: World, both: Callable[..., tuple[Any, Any]]
) -> None:
    auth = world.headers("supervisor")
    path = f"/api/v1/employees/{world.employees['E1']}/evaluations"
    replay = auth | {"Idempotency-Key": "k-1"}
    client.post(path, json=_evaluation("2025-02"), headers=replay)
    statuses: list[int] = []
    for request in (
        lambda: client.post(path, json=_evaluation("2025-02"), headers=replay),
        lambda: client.post(path, json=_evaluation("2025-02"), headers=auth),  # 409
        lambda: client.post(path, json={"period": "2025-03"}, headers=auth),
        lambda: client.post(path, data="{", headers=auth, content_type="application/json"),
        lambda: client.post(path, data="x", headers=auth, content_type="text/plain"),
        lambda: client.post(path, json=[1], headers=auth),
        lambda: client.post(
            path, json=_evaluation("2025-04"), headers=auth | {"Idempotency-Key": ""}
        ),
    ):
        spectree, lean = both(request)
        assert lean == spectree
        statuses.append(lean[0])
    assert statuses == [201, 409, 422, 400, 415, 400, 422]


def test_a_new_evaluation_is_answered_the_same(client: FlaskClient, world: World) -> None:
    auth = world.headers("supervisor")
    path = f"/api/v1/employees/{world.employees['E1']}/evaluations"
    answers = []
    for plugin, period in ((FlaskPlugin, "2025-07"), (LeanFlaskPlugin, "2025-08")):
        spec.backend = plugin(spec)
        try:
            response = client.post(path, json=_evaluation(period), headers=auth)
        finally:
            spec.backend = LeanFlaskPlugin(spec)
        body = response.json
        body.pop("id")
        body.pop("period")
        status, headers, _ = _comparable(response)
        answers.append(
            (status, [(k, v if k != "Content-Length" else "") for k, v in headers], body)
        )
    assert answers[1] == answers[0]
    assert answers[0][0] == 201
