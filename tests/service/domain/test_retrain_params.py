"""The settings a retrain may change, checked before a job is queued."""

from __future__ import annotations

import pytest

from service.domain.errors import Invalid
from service.domain.retrain_params import checked_params


def test_accepted_settings_come_back_as_the_pipeline_takes_them() -> None:
    given = {"max_iter": 100.0, "learning_rate": 1, "calibration": "sigmoid"}
    expected = {"max_iter": 100, "learning_rate": 1.0, "calibration": "sigmoid"}
    assert checked_params(given) == expected
    assert checked_params({}) == {}


@pytest.mark.parametrize(
    ("name", "value"),
    [("max_iter", 9), ("max_iter", 10.5), ("max_iter", True), ("learning_rate", 0),
     ("learning_rate", "0.1"), ("l2_regularization", -1), ("max_leaf_nodes", 256),
     ("calibration", "platt"), ("random_state", 1)],
)  # fmt: skip
def test_every_bad_setting_is_named(name: str, value: object) -> None:
    with pytest.raises(Invalid) as raised:
        checked_params({name: value, "max_iter": 50} if name != "max_iter" else {name: value})
    assert [error.field for error in raised.value.errors] == [f"params.{name}"]
