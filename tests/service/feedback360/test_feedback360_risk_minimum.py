"""The risk model's 360 feature honours the configured anonymity minimum, never below 3.

KINERJA_FEEDBACK_MIN_GROUP_ANSWERS above 3 hides a peer group of 3 or 4 answers from the
results; the risk feature (shown as a driver's value) must not read that group either, and
stored feature rows computed with another minimum must not be served.
"""

from __future__ import annotations

import numpy as np
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from service.db.models import Employee
from service.features.catalogue import FEATURE_INDEX
from service.features.stored_rows import feature_set_id
from service.features.stored_rows import stored_row
from service.features.stored_rows import to_bytes
from service.serving import ModelProvider
from service.serving.history import employee_row
from tests.service.feedback360.f360_people import BELOW
from tests.service.feedback360.f360_people import Team
from tests.service.feedback360.f360_people import answer
from tests.service.feedback360.f360_people import close
from tests.service.feedback360.f360_people import group
from tests.service.feedback360.f360_people import ratings
from tests.service.feedback360.f360_people import results
from tests.service.feedback360.f360_people import start

PEER_MEAN = FEATURE_INDEX["feedback360_peer_mean"]
FIVE_PEERS = {"P1": "peer", "P2": "peer", "P3": "peer", "P4": "peer", "HP": "peer"}


@pytest.fixture
def app_config(app_config: dict[str, str]) -> dict[str, str]:
    return app_config | {"KINERJA_FEEDBACK_MIN_GROUP_ANSWERS": "5"}


def test_a_group_hidden_by_the_configured_minimum_feeds_no_risk_feature(
    app: Flask, client: FlaskClient, team: Team, session: Session
) -> None:
    """Four of five peers answer: hidden from the results (minimum 5), and so from the risk
    feature the served model reads, while the fixed minimum of 3 would have read it."""
    created = start(client, team, FIVE_PEERS, period="2025-Q3")
    assert created.status_code == 201, created.json
    round_id = int(created.json["id"])
    for who in ("P1", "P2", "P3", "P4"):
        posted = answer(client, team, round_id, who, ratings(BELOW))
        assert posted.status_code == 201, posted.json
    assert close(client, team, round_id).status_code == 200
    peer = group(results(client, team, round_id, "supervisor").json, "peer")
    assert (peer["shown"], peer["answered"]) == (False, 4)
    session.expire_all()
    employee = session.get(Employee, team.id("E1"))
    assert employee is not None

    at_three = employee_row(session, employee, "2025-Q4")
    served: ModelProvider = app.extensions["models"]
    _, features = served._assess(session, employee, None, "2025-Q4")

    assert at_three[0, PEER_MEAN] == -1.0  # the old rule read the four answers
    assert served.min_group_answers == 5
    assert np.isnan(features["feedback360_peer_mean"])


def test_stored_rows_of_another_minimum_are_not_served() -> None:
    row = np.zeros(len(FEATURE_INDEX))
    blob = to_bytes(row)

    assert feature_set_id(5) != feature_set_id(3)
    assert feature_set_id(2) == feature_set_id(3) == feature_set_id()  # never below 3
    assert stored_row(blob, feature_set_id(3), 5) is None
    assert stored_row(blob, feature_set_id(5), 3) is None
    np.testing.assert_array_equal(stored_row(blob, feature_set_id(5), 5), row)
    np.testing.assert_array_equal(stored_row(blob, feature_set_id(3), 2), row)
