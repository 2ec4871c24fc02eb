"""Batch scores under another 360 anonymity threshold (KINERJA_FEEDBACK_MIN_GROUP_ANSWERS):
their stored feature rows and 360 drivers are not served, and the next score recomputes them."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy import update

from service.db import make_database
from service.db.models import RiskScore
from service.features.stored_rows import feature_set_id
from service.serving import ModelProvider
from service.serving.stored import stored_answer
from training.sample import Sample
from training.score import score_all

PEER_DRIVER = {
    "feature": "feedback360_peer_mean",
    "label": "Rata-rata umpan balik 360 dari rekan kerja dan bawahan",
    "label_en": "Average 360 feedback from peers and subordinates (shown groups only)",
    "value": -1.0,
    "contribution": 0.2,
}


def test_another_threshold_recomputes_the_stored_feature_rows(sample_copy: Sample) -> None:
    args = (sample_copy.database_url, sample_copy.tracking_uri, sample_copy.models_dir)
    at_three = score_all(*args)
    at_five = score_all(*args, min_group_answers=5)
    database = make_database(sample_copy.database_url)
    with database.sessions() as session:
        kept = set(session.scalars(select(RiskScore.feature_set)))
    database.engine.dispose()

    assert at_five.employees == at_three.employees
    assert at_five.recomputed == at_five.employees and at_five.reused == 0
    assert kept == {feature_set_id(5)}


def test_a_stored_row_of_another_threshold_is_answered_live(sample_copy: Sample) -> None:
    score_all(
        sample_copy.database_url, sample_copy.tracking_uri, sample_copy.models_dir, explain="all"
    )
    served = ModelProvider(sample_copy.tracking_uri, sample_copy.models_dir)
    database = make_database(sample_copy.database_url)
    with database.sessions() as session:
        period = served.latest_period(session)
        assert period is not None
        ok = session.scalars(select(RiskScore).where(RiskScore.status == "ok")).all()
        shown, plain = ok[0].employee_id, ok[1].employee_id
        session.execute(
            update(RiskScore)
            .where(RiskScore.employee_id == shown)
            .values(drivers=[PEER_DRIVER, *ok[0].drivers[:4]])
        )
        session.commit()
        model = served.risk.current()

        def answer(employee_id: int, minimum: int) -> dict | None:
            return stored_answer(session, employee_id, period, model, None, minimum)

        assert answer(shown, 3) is not None  # computed with 3: served as stored
        assert answer(shown, 5) is None  # its 360 value may rest on a group 5 hides
        assert answer(plain, 3) is not None
        assert answer(plain, 5) is None  # no 360 driver shown, but its probability may rest
        # on such a group too: answered live, as the team ranking does
    database.engine.dispose()
