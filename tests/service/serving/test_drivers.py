"""Choosing and writing drivers: the compiled choice (`trees.strongest`) against a stable
sort of each row's contributions, and the batch's JSON text (`drivers_json_of`) against
`json.dumps` of the live read's dicts (`drivers_of`)."""

from __future__ import annotations

import json

import numpy as np

from service.features import FEATURE_NAMES
from service.serving.predictor import MAX_DRIVERS
from service.serving.predictor import MIN_CONTRIBUTION
from service.serving.predictor import drivers_json_of
from service.serving.predictor import drivers_of
from service.serving.trees import strongest

WIDTH = len(FEATURE_NAMES)


def _sorted_choice(contribution: np.ndarray, count: int, minimum: float) -> list[list[int]]:
    """Each row's first `count` features by one stable sort, largest first, kept if they
    reach `minimum` (how the drivers were chosen before `strongest`)."""
    order = np.argsort(-contribution, axis=1, kind="stable")[:, :count]
    return [
        [j for j in row if c[j] >= minimum] for row, c in zip(order, contribution, strict=True)
    ]


def test_strongest_keeps_what_a_stable_sort_keeps_ties_in_feature_order() -> None:
    """Many equal contributions (more than fit), some just under the minimum, cells listed
    in any order and zero cells left out: the same features, in the same order."""
    rng = np.random.default_rng(11)
    contribution = rng.choice([0.0, 0.0009, 0.001, 0.02, 0.02, 0.02, 0.5, -0.3], size=(300, WIDTH))
    contribution[:3] = 0.02  # every feature ties: the first five by index
    contribution[3:6] = 0.0  # none at all
    rows, columns = np.nonzero(contribution)
    shuffled = rng.permutation(len(rows))
    shape = (len(contribution), MAX_DRIVERS)
    features, effect = strongest(
        rows[shuffled], columns[shuffled], contribution[rows, columns][shuffled], shape,
        MIN_CONTRIBUTION,
    )  # fmt: skip
    expected = _sorted_choice(contribution, MAX_DRIVERS, MIN_CONTRIBUTION)
    assert [[j for j in row if j >= 0] for row in features.tolist()] == expected
    for row, chosen, found in zip(contribution, features, effect, strict=True):
        kept = chosen >= 0
        assert np.array_equal(found[kept], row[chosen[kept]])
    assert expected[0] == [0, 1, 2, 3, 4] and expected[3] == []


def _awkward_values(rng: np.random.Generator, rows: int) -> np.ndarray:
    """Feature values JSON and rounding trip on: NaN, infinities, -0.0 and tiny negatives
    (written "-0.0"), exact and near ties at the fifth decimal, huge and whole numbers."""
    scale = rng.choice([1e-6, 1e-3, 1.0, 1e3, 1e8, 1e12, 1e17], size=(rows, WIDTH))
    X = rng.normal(size=(rows, WIDTH)) * scale
    near_tie = rng.random(X.shape) < 0.3
    X[near_tie] = np.round(X[near_tie] * 1e4) / 1e4 + 0.00005
    X[rng.random(X.shape) < 0.1] = np.nan
    special = [0.03125, -0.03125, 2.5e-05, -0.0, -1e-06, np.inf, -np.inf, 1e9, 7.0, 0.00015]
    X.flat[: len(special)] = special
    return X


def test_drivers_json_is_json_dumps_of_the_live_drivers() -> None:
    rng = np.random.default_rng(12)
    X = _awkward_values(rng, 2_000)
    features = rng.integers(-1, WIDTH, size=(len(X), MAX_DRIVERS))
    features[:, 0] = np.arange(len(X)) % WIDTH  # every special value is shown
    features[-5:] = -1  # no driver: "[]"
    effect = rng.choice([0.00125, 0.03125, 1.0, 0.1234567], size=features.shape)
    effect[::7] = rng.random(effect[::7].shape)
    texts = drivers_json_of(X, features, effect)
    dicts = drivers_of(X, features, effect)
    assert texts == [json.dumps(row, ensure_ascii=False) for row in dicts]
    assert texts[-1] == "[]" and any('"value": -0.0,' in text for text in texts)
    assert any('"value": null' in text for text in texts)
    none = np.empty((0, MAX_DRIVERS), dtype=np.intp)
    assert (
        drivers_json_of(X[:0], none, np.empty(none.shape)) == drivers_of(X[:0], none, none) == []
    )
