"""The compiled tree walk (`serving.trees`) against scikit-learn's own prediction.

Missing values (each split's missing side) and a typical value that is itself missing are
what the served sample rarely has: a small boosted model trained on rows with holes covers
them, under both calibrations.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.pipeline import Pipeline

from service import create_app
from service.features import FEATURE_NAMES
from service.features.estimators import FeatureMatrix
from service.features.estimators import PeriodCalibratedClassifier
from service.serving import tree_walk
from service.serving.predictor import MAX_DRIVERS
from service.serving.predictor import MIN_CONTRIBUTION
from service.serving.predictor import drivers_of
from service.serving.predictor import explain
from service.serving.trees import _TreeSums
from service.serving.trees import compile_walk
from service.serving.trees import explain_rows
from service.serving.trees import predict_rows
from service.serving.trees import strongest_rows
from tests.service.serving.dense_drivers import top_drivers
from tests.service.serving.dense_drivers import top_drivers_of

WIDTH = len(FEATURE_NAMES)
ROOT = Path(__file__).resolve().parents[3]


def _boosted(method: str) -> tuple[Pipeline, np.ndarray]:
    """A calibrated boosted pipeline fitted on rows with missing values, and those rows;
    the typical value of feature 2 is made missing (substituting it sends rows to the
    missing side)."""
    rng = np.random.default_rng(5)
    X = rng.normal(size=(800, WIDTH)).round(1)
    X[rng.random(X.shape) < 0.2] = np.nan
    signal = np.nan_to_num(X[:, 0]) + np.nan_to_num(X[:, 2]) + np.isnan(X[:, 3])
    y = (signal + rng.normal(size=len(X)) > 0.7).astype(int)
    model = PeriodCalibratedClassifier(
        HistGradientBoostingClassifier(max_iter=40, random_state=0), method=method
    )
    pipeline = Pipeline([("features", FeatureMatrix()), ("model", model)])
    pipeline.fit(X, y, model__calibration_mask=np.arange(len(X)) >= 600)
    pipeline.named_steps["features"].reference_values_[2] = np.nan
    return pipeline, X


def _substituted_everywhere(pipeline: Pipeline, X: np.ndarray) -> np.ndarray:
    """(rows, 1 + features) `predict_proba` of each row, then of it with each feature in
    turn set to its typical value."""
    reference = pipeline.named_steps["features"].reference_values_
    every = np.repeat(X, WIDTH + 1, axis=0).reshape(len(X), WIDTH + 1, WIDTH)
    every[:, np.arange(WIDTH) + 1, np.arange(WIDTH)] = reference
    return pipeline.predict_proba(every.reshape(-1, WIDTH))[:, 1].reshape(len(X), WIDTH + 1)


@pytest.mark.parametrize("method", ["sigmoid", "isotonic"])
def test_every_probability_is_predict_probas_with_missing_values(method: str) -> None:
    pipeline, X = _boosted(method)
    trees = _TreeSums.of(pipeline)
    assert trees is not None and trees.missing_left[~trees.is_leaf].any()
    predicted = predict_rows(pipeline, X)
    assert np.array_equal(predicted.probability, pipeline.predict_proba(X)[:, 1])


@pytest.mark.parametrize("method", ["sigmoid", "isotonic"])
def test_each_substitution_is_predict_probas_of_the_substituted_row(method: str) -> None:
    """Every contribution is the drop `predict_proba` gives, to the bit, a missing typical
    value included."""
    pipeline, X = _boosted(method)
    X = X[:60]
    probability, contribution = explain_rows(pipeline, X)
    full = _substituted_everywhere(pipeline, X)
    assert np.array_equal(probability, full[:, 0])
    assert np.array_equal(contribution, full[:, :1] - full[:, 1:])
    assert (contribution[~np.isnan(X[:, 2]), 2] != 0).any()  # the missing value moved rows


@pytest.mark.parametrize("rows", [1, 7, 9, 17])
def test_rows_walked_eight_at_a_time_in_any_number(rows: int) -> None:
    """The walk takes rows eight at a time: a last group of fewer gives each row its own
    leaves and probability."""
    pipeline, X = _boosted("isotonic")
    predicted = predict_rows(pipeline, X[:rows])
    assert np.array_equal(predicted.probability, pipeline.predict_proba(X[:rows])[:, 1])
    every = predict_rows(pipeline, X[:24])
    assert predicted.leaves is not None and every.leaves is not None
    assert np.array_equal(predicted.leaves, every.leaves[:rows])


def test_a_tree_that_is_one_leaf_is_walked() -> None:
    """A tree that never split (too few rows for a leaf) is its root: walked and explained
    as scikit-learn predicts it."""
    rng = np.random.default_rng(6)
    X = rng.normal(size=(300, WIDTH))
    y = (X[:, 0] + rng.normal(size=300) > 0).astype(int)
    model = PeriodCalibratedClassifier(
        HistGradientBoostingClassifier(max_iter=5, min_samples_leaf=150, random_state=0)
    )
    pipeline = Pipeline([("features", FeatureMatrix()), ("model", model)])
    pipeline.fit(X, y, model__calibration_mask=np.arange(300) >= 200)
    trees = _TreeSums.of(pipeline)
    assert trees is not None and trees.is_leaf[trees.roots].any()
    probability, contribution = explain_rows(pipeline, X[:30])
    full = _substituted_everywhere(pipeline, X[:30])
    assert np.array_equal(probability, full[:, 0])
    assert np.array_equal(contribution, full[:, :1] - full[:, 1:])


@pytest.mark.parametrize("method", ["sigmoid", "isotonic"])
def test_the_strongest_contributions_are_those_of_every_contribution(method: str) -> None:
    """`strongest_rows` (batch scoring, the live read, team answers) picks the drivers that
    sorting every contribution (`explain_rows`) picks, with the same numbers."""
    pipeline, X = _boosted(method)
    probability, contribution = explain_rows(pipeline, X[:200])
    found, features, effect = strongest_rows(pipeline, X[:200], MAX_DRIVERS, MIN_CONTRIBUTION)
    assert np.array_equal(found, probability)
    assert drivers_of(X[:200], features, effect) == top_drivers_of(X[:200], contribution)
    assert (features[:, 0] >= 0).any() and (features[:, -1] < 0).any()


def test_one_employee_is_explained_as_the_batch_explains_him() -> None:
    """The live read (`predictor.explain`, one row) and batch scoring (`explain_rows`, many)
    give the same probability and drivers, to the bit."""
    pipeline, X = _boosted("sigmoid")
    probability, contribution = explain_rows(pipeline, X[:25])
    for i in range(25):
        single = explain(pipeline, X[i])
        assert single == (float(probability[i]), top_drivers(X[i], contribution[i]))


def test_the_walk_compiled_ahead_is_the_one_a_model_uses() -> None:
    """`compile_walk` (a scoring worker's and the tests' start) compiles the types a real
    model passes: its first rows, a read-only stored feature row too, compile nothing more."""
    compile_walk()
    pipeline, X = _boosted("isotonic")
    explain_rows(pipeline, X[:5], predict_rows(pipeline, X).take(np.arange(5)))
    stored = np.frombuffer(X[7].tobytes())  # read-only, as a stored feature row is read
    explain(pipeline, stored)
    assert len(tree_walk.predict.signatures) == 1
    assert len(tree_walk.substitute.signatures) == 1
    assert len(tree_walk.strongest.signatures) == 1


def test_serving_and_scoring_do_not_import_numba_until_a_tree_is_walked() -> None:
    """Importing numba costs about half a second: a server's start and its stored answers
    never pay it, only the first row the trees evaluate."""
    code = (
        "import sys, service, service.serving, service.serving.batch, training.score, "
        "training.score_workers; from service import create_app; "
        "print('numba' in sys.modules)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert done.stdout.strip() == "False"


def test_the_app_keeps_the_compiled_walk_under_kinerja_home(
    app_config: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NUMBA_CACHE_DIR", "unset")
    monkeypatch.delenv("NUMBA_CACHE_DIR")  # restored (unset) after the test
    app = create_app(app_config, use_env=False)
    expected = Path(app.config["KINERJA_HOME"]) / "cache" / "numba"
    assert os.environ["NUMBA_CACHE_DIR"] == str(expected)
    monkeypatch.setenv("NUMBA_CACHE_DIR", "/elsewhere")
    other = create_app(app_config, use_env=False)
    assert os.environ["NUMBA_CACHE_DIR"] == "/elsewhere"  # an explicit setting wins
    for built in (app, other):
        built.extensions["db"].engine.dispose()
