"""POST /employees/{id}/competency-assessments and /trainings: dates that cannot be true yet."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask.testing import FlaskClient

import service.api.assessments  # noqa: F401  (adds the routes to the blueprint)
import service.api.trainings  # noqa: F401
from service.domain.periods import today_in_indonesia
from tests.service.api.world import World


def _post(client: FlaskClient, world: World, path: str, body: dict) -> object:
    url = f"/api/v1/employees/{world.employees['E2']}/{path}"
    return client.post(url, json=body, headers=world.headers("hr"))


def _count(client: FlaskClient, world: World, path: str) -> int:
    url = f"/api/v1/employees/{world.employees['E2']}/{path}"
    return client.get(url, headers=world.headers("hr")).json["total"]


def test_a_completion_that_has_not_ended_is_refused(
    shared_client: FlaskClient, shared_world: World
) -> None:
    """A 'completed' programme ending next month would count its JP this year already."""
    today = today_in_indonesia()
    body = {
        "training_code": shared_world.training_code,
        "start_date": today.isoformat(),
        "end_date": (today + timedelta(days=30)).isoformat(),
        "status": "completed",
    }
    before = _count(shared_client, shared_world, "trainings")

    refused = _post(shared_client, shared_world, "trainings", body)
    enrolled = _post(shared_client, shared_world, "trainings", {**body, "status": "enrolled"})
    ended = _post(
        shared_client, shared_world, "trainings", {**body, "end_date": today.isoformat()}
    )

    assert refused.status_code == 422  # type: ignore[attr-defined]
    assert [e["field"] for e in refused.json["errors"]] == ["end_date"]  # type: ignore[attr-defined]
    assert (enrolled.status_code, ended.status_code) == (201, 201)  # type: ignore[attr-defined]
    assert _count(shared_client, shared_world, "trainings") == before + 2


@pytest.mark.parametrize("days", [1, 365 * 27])
def test_an_assessment_dated_in_the_future_is_refused(
    shared_client: FlaskClient, shared_world: World, days: int
) -> None:
    """A mistyped year (2052 for 2025) would stay the 'latest' level over every real one."""
    on = today_in_indonesia() + timedelta(days=days)
    body = {"assessed_on": on.isoformat(), "method": "cat", "levels": {"M.01": 2}}
    before = _count(shared_client, shared_world, "competency-assessments")

    response = _post(shared_client, shared_world, "competency-assessments", body)

    assert response.status_code == 422  # type: ignore[attr-defined]
    assert [e["field"] for e in response.json["errors"]] == ["assessed_on"]  # type: ignore[attr-defined]
    assert _count(shared_client, shared_world, "competency-assessments") == before


def test_the_same_completion_recorded_twice_is_a_conflict(
    shared_client: FlaskClient, shared_world: World
) -> None:
    """A repeated POST (no Idempotency-Key) counted the programme's JP twice in the year."""
    ended = today_in_indonesia() - timedelta(days=3)
    body = {
        "training_code": shared_world.training_code,
        "start_date": (ended - timedelta(days=2)).isoformat(),
        "end_date": ended.isoformat(),
        "status": "enrolled",
    }
    before = _count(shared_client, shared_world, "trainings")

    first = _post(shared_client, shared_world, "trainings", body)
    again = _post(shared_client, shared_world, "trainings", body)
    done = _post(shared_client, shared_world, "trainings", {**body, "status": "completed"})
    done_again = _post(shared_client, shared_world, "trainings", {**body, "status": "completed"})

    assert [r.status_code for r in (first, again, done, done_again)] == [201, 409, 201, 409]  # type: ignore[attr-defined]
    assert done_again.mimetype == "application/problem+json"  # type: ignore[attr-defined]
    assert _count(shared_client, shared_world, "trainings") == before + 2
