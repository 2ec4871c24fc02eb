"""The risk pipeline's own estimators and the rule table."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pandas as pd
import pytest
from sklearn.ensemble import HistGradientBoostingClassifier
from threadpoolctl import threadpool_limits

from service.features import FEATURE_NAMES
from service.features.estimators import FeatureMatrix
from service.features.estimators import PeriodCalibratedClassifier
from service.features.estimators import best_f1_threshold
from service.features.rules import poor_rate_table
from service.features.rules import rule_probability

F = len(FEATURE_NAMES)


@pytest.fixture(autouse=True)
def one_thread() -> Iterator[None]:
    """Trees on one OpenMP thread: on a busy machine, threads spin-wait for seconds."""
    with threadpool_limits(limits=1, user_api="openmp"):
        yield


def test_feature_matrix_orders_columns_and_remembers_medians() -> None:
    frame = pd.DataFrame({name: [1.0, 2.0, 9.0] for name in reversed(FEATURE_NAMES)})
    frame[FEATURE_NAMES[0]] = [np.nan, 4.0, 6.0]
    step = FeatureMatrix().fit(frame)
    assert step.reference_values_[0] == 5.0 and step.reference_values_[1] == 2.0
    assert step.transform(frame).shape == (3, F)
    assert list(step.get_feature_names_out()) == list(FEATURE_NAMES)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (pd.DataFrame({"predikat_last": [1.0]}), "feature columns missing: poor_last"),
        (np.zeros((2, F - 1)), rf"expected a \(rows, {F}\) feature matrix"),
    ],
)
def test_feature_matrix_refuses_other_inputs(data: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        FeatureMatrix().fit(data)


def _data(seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(3000, F))
    y = (X[:, 0] + rng.normal(size=3000) > 1.5).astype(int)
    later = np.arange(3000) >= 2000
    return X, y, later


@pytest.mark.parametrize("method", ["sigmoid", "isotonic"])
def test_calibration_is_fitted_on_the_later_rows_only(method: str) -> None:
    X, y, later = _data()
    model = PeriodCalibratedClassifier(HistGradientBoostingClassifier(max_iter=30), method)
    model.fit(X, y, calibration_mask=later)
    assert model.estimator_.n_features_in_ == F
    probability = model.predict_proba(X[later])[:, 1]
    assert abs(probability.mean() - y[later].mean()) < 0.02  # calibrated in the large
    assert np.array_equal(model.predict(X), model.predict_proba(X)[:, 1] >= model.threshold_)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"calibration_mask": None}, "calibration_mask is required"),
        ({"calibration_mask": np.ones(3000, bool)}, "must select some rows"),
    ],
)
def test_calibration_needs_a_later_period(kwargs: dict, message: str) -> None:
    X, y, _ = _data()
    with pytest.raises(ValueError, match=message):
        PeriodCalibratedClassifier(HistGradientBoostingClassifier(max_iter=5)).fit(X, y, **kwargs)


def test_unknown_calibration_method() -> None:
    X, y, later = _data()
    with pytest.raises(ValueError, match="method must be one of"):
        PeriodCalibratedClassifier(HistGradientBoostingClassifier(max_iter=5), "beta").fit(
            X, y, later
        )


def test_best_f1_threshold_by_hand() -> None:
    # F1 = 2 tp / (flagged + positives): cut 0.9 -> 2/4, 0.8 -> 4/5, 0.6 -> 4/6, 0.3 -> 6/7,
    # 0.2 -> 6/8; the best cut is 0.3
    probability = np.array([0.9, 0.8, 0.6, 0.3, 0.2])
    assert best_f1_threshold(probability, np.array([1, 1, 0, 1, 0])) == 0.3


def test_rule_table_and_lookup() -> None:
    last = np.array([3.0, 3.0, 3.0, 2.0, 2.0, np.nan])  # baik x3, butuh_perbaikan x2, unknown
    label = np.array([0, 0, 1, 1, 1, 0])
    table = poor_rate_table(last, label)
    assert table == {"*": 0.5, "baik": pytest.approx(1 / 3), "butuh_perbaikan": 1.0}
    assert rule_probability(table, np.array([2.0, 4.0, np.nan])).tolist() == [1.0, 0.5, 0.5]
