"""Concurrent edits of one object: exactly one wins, every other gets 412, nothing is lost.

Several threads send PATCH with the same If-Match at the same moment (a barrier releases
them together), each with a different change. One change is stored and its ETag answered;
every other request answers 412 problem+json (never 200 twice, never 409/5xx), and the
stored object is the winner's.
"""

from __future__ import annotations

import threading
from collections import Counter

import pytest
from flask import Flask
from werkzeug.test import TestResponse

from tests.service.api.world import World

GRADES = ("II/a", "II/b", "II/c", "II/d", "III/a", "III/b", "III/c")
EDITORS = 6


def _race(app: Flask, path: str, headers: dict[str, str], bodies: list[dict]) -> list:
    """Send one PATCH per body from its own thread, all released at once."""
    barrier = threading.Barrier(len(bodies))
    answers: list[tuple[dict, TestResponse]] = []
    lock = threading.Lock()

    def edit(body: dict) -> None:
        client = app.test_client()
        barrier.wait()
        response = client.patch(path, json=body, headers=headers)
        with lock:
            answers.append((body, response))

    threads = [threading.Thread(target=edit, args=(body,)) for body in bodies]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return answers


@pytest.mark.parametrize("role", ["hr", "admin"])
def test_one_of_several_concurrent_edits_wins_and_the_rest_get_412(
    app: Flask, world: World, role: str
) -> None:
    person = "S" if role == "hr" else "AS"
    path = f"/api/v1/employees/{world.employees[person]}"
    headers = world.headers(role)
    client = app.test_client()
    current = client.get(path, headers=headers)
    assert current.status_code == 200
    tag = current.headers["ETag"]
    # Every change differs from the stored grade: a PATCH that changes nothing writes nothing.
    grades = [grade for grade in GRADES if grade != current.get_json()["grade"]][:EDITORS]
    bodies = [{"grade": grade} for grade in grades]

    answers = _race(app, path, {**headers, "If-Match": tag}, bodies)

    statuses = Counter(response.status_code for _, response in answers)
    seen = [(b["grade"], r.status_code, r.headers.get("ETag")) for b, r in answers]
    assert statuses == {200: 1, 412: EDITORS - 1}, seen
    [(winner, won)] = [(b, r) for b, r in answers if r.status_code == 200]
    for _, lost in answers:
        if lost.status_code == 412:
            assert lost.mimetype == "application/problem+json"
    stored = client.get(path, headers=headers)
    assert stored.get_json()["grade"] == winner["grade"]
    assert stored.headers["ETag"] == won.headers["ETag"] != tag
