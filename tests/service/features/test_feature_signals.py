"""The continuous-performance features: activity-log regularity, 360 aggregates that respect
the anonymity threshold, dialogue follow-through; no leakage; serving equals training."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from service.features import Histories
from service.features import PeriodAxis
from service.features import employee_features
from service.features import panel_from_histories
from service.features.catalogue import FEATURE_INDEX
from service.features.compute import features_at
from service.features.panel import VALUE_COLUMNS
from tests.service.features.test_feature_panel import evaluation

YEAR = ["2024-Q1", "2024-Q2", "2024-Q3", "2024-Q4"]
AXIS = PeriodAxis.spanning(YEAR[0], YEAR[-1])


def answer(period: str, group: str, rating: str, round_id: int = 1) -> dict:
    row = {"employee_id": 1, "period": period, "round_id": round_id, "rater_group": group}
    return row | {name: rating for name in VALUE_COLUMNS}


def histories(**frames: list[dict]) -> Histories:
    return Histories(
        employees=pd.DataFrame(
            {"employee_id": [1], "hire_date": [date(2010, 1, 1)], "grade": ["III/a"]}
        ),  # fmt: skip
        evaluations=pd.DataFrame([evaluation(1, q) for q in YEAR]),
        **{name: pd.DataFrame(rows) for name, rows in frames.items()},
    )


def features(t: int, **frames: list[dict]) -> dict[str, float]:
    row = features_at(panel_from_histories(histories(**frames), AXIS), t)[0]
    return {name: row[i] for name, i in FEATURE_INDEX.items()}


def same(a: dict[str, float], b: dict[str, float]) -> bool:
    return all(np.isclose(a[k], b[k], equal_nan=True) for k in a)


def test_activity_regularity_counts_months_with_an_entry() -> None:
    logs = [{"employee_id": 1, "activity_date": day} for day in
            ("2024-04-02", "2024-04-20", "2024-06-11", "2024-07-01")]  # fmt: skip

    at_q2 = features(1, activity=logs)

    assert at_q2["activity_log_share_last"] == 2 / 3
    assert at_q2["activity_log_share_window"] == 2 / 6
    assert features(2, activity=logs)["activity_log_share_window"] == 3 / 9


def test_360_uses_only_anonymous_groups_that_reach_the_threshold() -> None:
    two_peers = [answer("2024-Q2", "peer", "di_bawah_ekspektasi")] * 2
    boss_and_self = [answer("2024-Q2", g, "di_atas_ekspektasi") for g in ("supervisor", "self")]
    three_subordinates = [answer("2024-Q2", "subordinate", "di_atas_ekspektasi")] * 3

    hidden = features(1, feedback360=two_peers + boss_and_self)
    shown = features(1, feedback360=two_peers + boss_and_self + three_subordinates)

    assert np.isnan(hidden["feedback360_peer_mean"])
    assert shown["feedback360_peer_mean"] == 1.0
    assert np.isnan(features(0, feedback360=three_subordinates)["feedback360_peer_mean"])


def test_follow_through_counts_actions_reviewed_by_the_period_end() -> None:
    actions = [
        {"employee_id": 1, "reviewed_at": "2024-05-02 10:00:00", "done": True},
        {"employee_id": 1, "reviewed_at": "2024-05-30 10:00:00", "done": False},
        {"employee_id": 1, "reviewed_at": "2024-08-01 10:00:00", "done": True},
    ]

    assert np.isnan(features(0, dialogue_actions=actions)["dialogue_follow_through_window"])
    assert features(1, dialogue_actions=actions)["dialogue_follow_through_window"] == 0.5
    assert features(2, dialogue_actions=actions)["dialogue_follow_through_window"] == 2 / 3


def test_later_records_do_not_change_earlier_features_and_serving_agrees() -> None:
    early = {
        "activity": [{"employee_id": 1, "activity_date": "2024-02-03"}],
        "feedback360": [answer("2024-Q1", "peer", "sesuai_ekspektasi")] * 3,
        "dialogue_actions": [{"employee_id": 1, "reviewed_at": "2024-03-01", "done": True}],
    }
    second_round = answer("2024-Q2", "peer", "di_atas_ekspektasi", round_id=2)
    late = {
        "activity": early["activity"] + [{"employee_id": 1, "activity_date": "2024-05-03"}],
        "feedback360": early["feedback360"] + [second_round] * 3,
        "dialogue_actions": early["dialogue_actions"]
        + [{"employee_id": 1, "reviewed_at": "2024-04-09", "done": False}],
    }  # fmt: skip

    assert same(features(0, **early), features(0, **late))
    assert not same(features(1, **early), features(1, **late))
    frames = histories(**late)
    person = {"employee_id": 1, "hire_date": date(2010, 1, 1), "grade": "III/a"}
    rows = {name: getattr(frames, name).to_dict("records") for name in late}
    served = employee_features(YEAR[-1], person, frames.evaluations.to_dict("records"), **rows)
    trained = features_at(panel_from_histories(frames, AXIS), 3)
    names = [
        "activity_log_share_window",
        "feedback360_peer_mean",
        "dialogue_follow_through_window",
    ]
    for name in names:
        np.testing.assert_equal(served[0, FEATURE_INDEX[name]], trained[0, FEATURE_INDEX[name]])
