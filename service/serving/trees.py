"""The risk model's probability and its explanation, for one row or a million, one way.

Explaining a row asks the model again with each feature in turn set to its typical
(training median) value: the drop in probability is that feature's contribution. The
single-employee read (`predictor.explain`), the team and batch answers (`serving.batch`)
and `kinerja score` all go through `predict_rows` and `strongest_rows` here (each row's
strongest drivers; `explain_rows` gives every contribution), so they give the same numbers.

A gradient-boosted pipeline (`_TreeSums`) is evaluated by one compiled walk of its trees
(`serving.tree_walk`): each row's leaf in every tree is kept, and a substituted row walks
again only the trees whose path to its leaf the typical value leaves, from the split where
it leaves it, taking its leaf in every other tree as it was. The raw score is added as
scikit-learn adds it and calibrated by the model itself, so every probability is
`pipeline.predict_proba`'s to the bit (the tests hold it to that). Any other model is asked
through `predict_proba`, all substituted rows in one call.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from weakref import WeakKeyDictionary

import numpy as np


def cache_compiled_code_under(home: str | Path) -> None:
    """Keep the compiled tree walk under `home` (KINERJA_HOME: writable, kept across
    restarts), unless NUMBA_CACHE_DIR says where: a worker then loads it instead of
    compiling it again (about 4 s of CPU). Spawned scoring workers inherit the setting."""
    os.environ.setdefault("NUMBA_CACHE_DIR", str(Path(home) / "cache" / "numba"))


def compile_walk() -> None:
    """Load the compiled tree walk from numba's cache now, or compile it (about 4 s of CPU)
    when the cache holds none: on tiny arrays of the types `_TreeSums` passes, so a real
    model's first rows find it ready."""
    from service.serving import tree_walk

    nodes = (
        np.zeros(1, np.intp), np.zeros(1, np.int32), np.zeros(1), np.zeros(1, bool),
        np.zeros(2, np.int32), np.zeros(1), np.zeros(1, bool),
    )  # fmt: skip
    X, leaves, raw, index = (
        np.zeros((1, 1)),
        np.zeros((1, 1), np.int32),
        np.zeros(1),
        np.zeros(1, np.intp),
    )
    tree_walk.predict(X, nodes, 0.0, leaves, raw)
    leaving = (np.zeros(2, np.intp), np.zeros(0, np.intp), np.zeros(0, np.intp))
    tree_walk.substitute(
        X, leaves, index, index, np.zeros(1), leaving, nodes, 0.0, raw, np.zeros(1, bool)
    )
    tree_walk.strongest(index, index, raw, 1.0, np.zeros((1, 1), np.intp), np.zeros((1, 1)))


@dataclass(frozen=True)
class Predicted:
    """The probability of each row, and what explaining the rows can reuse of it.

    For gradient-boosted trees (`_TreeSums`), `X` is the rows as the trees read them and
    `leaves` (rows, trees) each row's leaf (node index) in each tree: explaining a row
    starts from them instead of walking every tree again. Otherwise `X` is the rows and
    `leaves` None.
    """

    probability: np.ndarray
    X: np.ndarray
    leaves: np.ndarray | None = None

    def take(self, positions: np.ndarray) -> Predicted:
        """The prediction of the rows at `positions`, in that order."""
        leaves = None if self.leaves is None else self.leaves[positions]
        return Predicted(self.probability[positions], self.X[positions], leaves)


def predict_rows(pipeline: Any, X: np.ndarray) -> Predicted:
    """The calibrated probability of each row of `X` (`FEATURE_NAMES` order), as
    `pipeline.predict_proba` gives it to the bit, with its leaves when the model is one
    boosted classifier (`_TreeSums`)."""
    trees = _TreeSums.of(pipeline)
    if trees is None:
        return Predicted(pipeline.predict_proba(X)[:, 1], X)
    return trees.predict(X)


def prepare_rows(pipeline: Any) -> None:
    """Build, once per process, what `predict_rows` and `explain_rows` reuse for `pipeline`
    (`_TreeSums`: the flattened trees, which leaf paths the typical values leave, and the
    compiled walk, loaded from numba's cache), so that a scoring process pays it at
    start-up, as it pays loading the model, rather than in its first chunk."""
    trees = _TreeSums.of(pipeline)
    if trees is not None:
        reference = np.asarray(pipeline.named_steps["features"].reference_values_, float)
        trees._leaving(reference)
        compile_walk()


def explain_rows(
    pipeline: Any, X: np.ndarray, predicted: Predicted | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Probability (n,) and per-feature contributions (n, features) of each row of `X`.

    `predicted` is `predict_rows(pipeline, X)` when the caller has it already.
    """
    probability, rows, columns, drop = _substitutions(pipeline, X, predicted)
    contribution = np.zeros(X.shape)
    contribution[rows, columns] = drop
    return probability, contribution


def strongest_rows(
    pipeline: Any, X: np.ndarray, count: int, minimum: float, predicted: Predicted | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Probability (n,) of each row of `X` and its up to `count` largest contributions of at
    least `minimum` (`strongest`), without the (n, features) matrix of all of them."""
    probability, rows, columns, drop = _substitutions(pipeline, X, predicted)
    return probability, *strongest(rows, columns, drop, (len(X), count), minimum)


def strongest(
    rows: np.ndarray, columns: np.ndarray, contribution: np.ndarray,
    shape: tuple[int, int], minimum: float,
) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """The features (`shape` (rows, count), -1 past the last) and contributions of each
    row's largest contributions of at least `minimum` (> 0), largest first, equal ones in
    feature order: what one stable sort of each row's contributions keeps of its first
    `count`. `contribution[e]` is feature `columns[e]`'s in row `rows[e]`; an unlisted
    feature contributes 0. Compiled (`tree_walk.strongest`): 0.2 us a flagged row, against
    4.7 us for sorting all 54 features of every row and gathering the first five."""
    from service.serving import tree_walk

    features, effect = np.empty(shape, dtype=np.intp), np.empty(shape)
    tree_walk.strongest(
        rows.astype(np.intp), columns.astype(np.intp), _plain(contribution, np.float64),
        minimum, features, effect,
    )  # fmt: skip
    return features, effect


def _substitutions(
    pipeline: Any, X: np.ndarray, predicted: Predicted | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Probability (n,) of each row, and the drop in it (`drop[k]`) when column
    `columns[k]` of row `rows[k]` takes its typical value, for every cell not already
    typical (such a cell would be substituted by itself, and contributes 0 without a
    prediction: often a third of the cells, grades, counts, ratings), row by row."""
    n = len(X)
    reference = np.asarray(pipeline.named_steps["features"].reference_values_, float)
    rows, columns = np.nonzero(X != reference)  # NaN differs from everything
    trees = _TreeSums.of(pipeline)
    if trees is not None:
        predicted = predicted if predicted is not None else trees.predict(X)
        base = predicted.probability
        substituted = trees.substituted(predicted, rows, columns, reference)
    else:
        batch = np.concatenate([X, X[rows]])
        batch[n + np.arange(len(rows)), columns] = reference[columns]
        probability = pipeline.predict_proba(batch)[:, 1]
        base, substituted = probability[:n], probability[n:]
    return base, rows, columns, base[rows] - substituted


class _TreeSums:
    """The calibrated probability of a gradient-boosted pipeline, summed tree by tree.

    scikit-learn's `HistGradientBoostingClassifier` adds each tree's leaf value to the
    baseline in tree order. Its trees are flattened here into one table of nodes (the
    arrays `serving.tree_walk` reads). A row that differs from another in one feature j
    only reaches another leaf of a tree if the path to its leaf splits on j and the other
    value goes the other way at such a split (`x <= threshold`, NaN the split's missing
    side): which leaves the typical values leave so is known once per model and
    reference row (`_leaving`).
    """

    def __init__(self, model: Any, estimator: Any) -> None:
        self.model, self.estimator = model, estimator
        nodes = [iteration[0].nodes for iteration in estimator._predictors]
        sizes = np.array([len(tree) for tree in nodes])
        self.roots = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.intp)
        table = np.concatenate(nodes)
        offset = np.repeat(self.roots, sizes)
        self.feature = table["feature_idx"].astype(np.intp)
        self.threshold = table["num_threshold"].astype(np.float64)
        self.missing_left = table["missing_go_to_left"].astype(bool)
        self.is_leaf = table["is_leaf"].astype(bool)
        self.left = (table["left"] + offset).astype(np.intp)
        self.right = (table["right"] + offset).astype(np.intp)
        self.value = table["value"].astype(np.float64)
        self.baseline = float(estimator._baseline_prediction.ravel()[0])
        self.width = int(estimator.n_features_in_)
        self._paths = self._leaf_paths()
        self._leaving_for: tuple[bytes, tuple[np.ndarray, ...]] | None = None
        self._walked = self._walk_nodes()

    def _walk_nodes(self) -> tuple[np.ndarray, ...]:
        """The nodes as `tree_walk` reads them: the trees' roots, and per node its feature,
        threshold, missing side, children, value and whether it splits; a leaf leads to
        itself (feature 0, threshold +inf, both children itself)."""
        node = np.arange(len(self.value))
        children = np.empty(2 * len(self.value), dtype=np.int32)
        children[0::2] = np.where(self.is_leaf, node, self.left)
        children[1::2] = np.where(self.is_leaf, node, self.right)
        return (
            self.roots, np.where(self.is_leaf, 0, self.feature).astype(np.int32),
            np.where(self.is_leaf, np.inf, self.threshold), ~self.missing_left & ~self.is_leaf,
            children, self.value, ~self.is_leaf,
        )  # fmt: skip

    def _leaf_paths(self) -> tuple[np.ndarray, ...]:
        """Every (leaf, split on its path, whether the path goes left there, how many splits
        lie between them), as arrays."""
        inner = np.flatnonzero(~self.is_leaf)
        parent = np.full(len(self.value), -1)
        parent[self.left[inner]] = inner
        parent[self.right[inner]] = inner
        leaves, splits, lefts, between = [], [], [], []
        leaf = np.flatnonzero(self.is_leaf)
        node = leaf
        while len(leaf):
            split = parent[node]
            up = split >= 0
            leaf, node, split = leaf[up], node[up], split[up]
            leaves.append(leaf)
            splits.append(split)
            lefts.append(self.left[split] == node)
            between.append(np.full(len(leaf), len(between)))
            node = split
        return tuple(np.concatenate(found) for found in (leaves, splits, lefts, between))

    def _leaving(self, reference: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Which reference values leave the path to each leaf, and where: (start, feature,
        resume), for leaf `node` the features `feature[start[node]:start[node + 1]]` and,
        for each, the other child of the first split on the path (from the root) that the
        reference value goes the other way at, where a substituted row's walk resumes."""
        key = reference.tobytes()
        if self._leaving_for is None or self._leaving_for[0] != key:
            leaf, split, went_left, between = self._paths
            goes = reference[self.feature[split]]
            goes_left = np.where(
                np.isnan(goes), self.missing_left[split], goes <= self.threshold[split]
            )
            away = goes_left != went_left
            leaf, split, went_left, between = (a[away] for a in (leaf, split, went_left, between))
            feature = self.feature[split]
            order = np.lexsort((-between, feature, leaf))  # the split nearest the root first
            leaf, split, went_left, feature = (a[order] for a in (leaf, split, went_left, feature))
            first = np.ones(len(leaf), dtype=bool)
            first[1:] = (leaf[1:] != leaf[:-1]) | (feature[1:] != feature[:-1])
            leaf, split, went_left, feature = (a[first] for a in (leaf, split, went_left, feature))
            resume = np.where(went_left, self.right[split], self.left[split])
            start = np.searchsorted(leaf, np.arange(len(self.value) + 1))
            table = (start.astype(np.intp), feature.astype(np.intp), resume.astype(np.intp))
            self._leaving_for = (key, table)
        return self._leaving_for[1]

    @classmethod
    def of(cls, pipeline: Any) -> _TreeSums | None:
        """The tree sums of `pipeline`'s model, or None when it is not one binary HGB."""
        from sklearn.ensemble import HistGradientBoostingClassifier

        model = pipeline.named_steps.get("model")
        estimator = getattr(model, "estimator_", None)
        plain = isinstance(estimator, HistGradientBoostingClassifier) and hasattr(
            model, "_calibrate"
        )
        if not plain or estimator.n_trees_per_iteration_ != 1 or len(pipeline.steps) != 2:
            return None
        if estimator.is_categorical_ is not None and estimator.is_categorical_.any():
            return None
        found = _SUMS.get(estimator)
        if found is None or found.model is not model:
            found = _SUMS[estimator] = cls(model, estimator)
        return found

    def predict(self, X: np.ndarray) -> Predicted:
        """Each row's leaf in every tree, and its probability from them."""
        from service.serving import tree_walk

        X = _plain(X, np.float64)
        if X.ndim != 2 or X.shape[1] != self.width:
            raise ValueError(f"expected a (rows, {self.width}) feature matrix, got {X.shape}")
        leaves = np.empty((len(X), len(self.roots)), dtype=np.int32)  # half of float64's bytes
        raw = np.empty(len(X))
        tree_walk.predict(X, self._walked, self.baseline, leaves, raw)
        return Predicted(self.model._calibrate(raw), X, leaves)

    def substituted(
        self, predicted: Predicted, rows: np.ndarray, columns: np.ndarray, reference: np.ndarray
    ) -> np.ndarray:
        """Probability of row `rows[k]` of `predicted` with column `columns[k]` set to its
        reference value, for every k: the row's own where no leaf changes, else calibrated
        from the raw scores of the moved rows together."""
        from service.serving import tree_walk

        assert predicted.leaves is not None
        substituted = predicted.probability[rows]
        raw = np.empty(len(rows))
        moved = np.zeros(len(rows), dtype=bool)
        tree_walk.substitute(
            _plain(predicted.X, np.float64), _plain(predicted.leaves, np.int32),
            rows.astype(np.intp), columns.astype(np.intp), _plain(reference, np.float64),
            self._leaving(reference), self._walked, self.baseline, raw, moved,
        )  # fmt: skip
        if moved.any():
            substituted[moved] = self.model._calibrate(raw[moved])
        return substituted


def _plain(array: np.ndarray, dtype: type) -> np.ndarray:
    """`array` as the compiled walk was compiled for: C order and writable (a feature row
    read from its stored bytes is read-only, and numba compiles read-only arrays apart)."""
    return np.require(array, dtype, requirements=["C", "W"])


#: The tree sums of each boosted model evaluated (built once: its flattened trees).
_SUMS: WeakKeyDictionary[Any, _TreeSums] = WeakKeyDictionary()
