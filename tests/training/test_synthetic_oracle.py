"""The truth on a few thousand employees: design bounds of DESIGN.md, measured (slow)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from tests.training.test_synthetic_support import evaluations_with_people
from tests.training.test_synthetic_support import seed_sqlite
from tests.training.test_synthetic_support import truth_with_outcome

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def outcomes(
    tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path
) -> Iterator[tuple[pd.DataFrame, pd.DataFrame]]:
    directory = tmp_path_factory.mktemp("oracle")
    engine, _ = seed_sqlite(directory, sqlite_template, employees=4_000, seed=2025)
    yield truth_with_outcome(engine), evaluations_with_people(engine)
    engine.dispose()


def test_oracle_auc_leaves_honest_uncertainty(outcomes: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    truth, _ = outcomes

    auc = roc_auc_score(truth["poor_next"], truth["p_poor_next"])

    assert 0.75 <= auc <= 0.90


def test_poor_rate_is_a_few_to_fifteen_percent(
    outcomes: tuple[pd.DataFrame, pd.DataFrame],
) -> None:
    _, evaluations = outcomes

    assert 0.03 <= evaluations["poor"].mean() <= 0.15
    assert evaluations["predikat"].value_counts(normalize=True)["baik"] > 0.6


def test_true_probabilities_are_calibrated(outcomes: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    truth, _ = outcomes
    bins = pd.qcut(truth["p_poor_next"], 10, labels=False)
    by_bin = truth.groupby(bins).agg(p=("p_poor_next", "mean"), rate=("poor_next", "mean"))
    size = truth.groupby(bins).size()
    tolerance = 4 * np.sqrt(by_bin["p"] * (1 - by_bin["p"]) / size) + 0.005

    assert ((by_bin["p"] - by_bin["rate"]).abs() <= tolerance).all()
