"""Risk answers for many employees at once: one read per source, one prediction call.

A supervisor's team (ten thousand people in a large office) is answered the way
`kinerja score` answers an agency: everyone's history is read with one statement per source
(`repositories.risk_history.histories`), laid out as one `Panel` (`build_panel`, as the
single-employee path and training do), and `features_at` gives the same feature rows.
Ranking a team needs only the probabilities (one `predict_proba` over the rows); the drivers
of the members actually shown are explained together, in one call over all their
substituted rows.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any
from weakref import WeakKeyDictionary

import numpy as np
from sqlalchemy.orm import Session

from service.db.repositories import risk_history as repo
from service.db.repositories.risk_history import Who
from service.domain.feedback360_results import DEFAULT_MIN_GROUP_ANSWERS
from service.features import FEATURE_NAMES
from service.features import MIN_EVALUATED_PERIODS
from service.features import build_panel
from service.features import features_at
from service.features import history_start
from service.features import serving_axis
from service.features.catalogue import FEATURE_INDEX
from service.features.rules import rule_probability
from service.serving.fallback import fallback_answer
from service.serving.loader import LoadedModel
from service.serving.predictor import insufficient_answer
from service.serving.predictor import model_answer
from service.serving.predictor import model_block
from service.serving.predictor import top_drivers

#: An answer and the feature values it rests on (what coaching reads).
Assessed = tuple[dict[str, Any], dict[str, float]]


@dataclass(frozen=True)
class FeatureRows:
    """Feature rows of a set of employees as of the end of `period`.

    Attributes
    ----------
    period : the period code the rows describe
    employee_ids : (n,) int64, sorted
    X : (n, features) float, columns in `FEATURE_NAMES` order
    """

    period: str
    employee_ids: np.ndarray
    X: np.ndarray

    def enough(self) -> np.ndarray:
        """(n,) bool: rows resting on at least `MIN_EVALUATED_PERIODS` evaluated periods."""
        return self.X[:, FEATURE_INDEX["periods_evaluated"]] >= MIN_EVALUATED_PERIODS

    def take(self, employee_ids: list[int]) -> FeatureRows:
        """The rows of `employee_ids` (each must be present), in that order."""
        positions = np.searchsorted(self.employee_ids, np.asarray(employee_ids, dtype=np.int64))
        return FeatureRows(self.period, self.employee_ids[positions], self.X[positions])


def read_rows(
    session: Session, who: Who, period: str, min_group_answers: int = DEFAULT_MIN_GROUP_ANSWERS
) -> FeatureRows:
    """Read the history of the employees `who` selects and compute their feature rows
    (`min_group_answers`: the configured 360 threshold, see `build_panel`)."""
    axis = serving_axis(period)
    since = history_start(axis)
    found = repo.histories(session, who, axis.codes(), since)
    panel = build_panel(
        axis,
        found["employees"],
        found["evaluations"],
        found["achievements"],
        found["attendance"],
        found["assessments"],
        found["enrolments"],
        found["rater_stats"],
        found.get("activity"),
        found.get("feedback360"),
        found.get("dialogue_actions"),
        min_group_answers,
    )
    return FeatureRows(period, panel.employee_ids, features_at(panel, axis.length - 1))


def probabilities(
    rows: FeatureRows, model: LoadedModel | None, table: dict[str, float]
) -> np.ndarray:
    """(n,) probability of a poor next period; NaN where history is too thin.

    The model's calibrated probability, or the rule's rate when no model is served.
    """
    result = np.full(len(rows.employee_ids), np.nan)
    enough = rows.enough()
    if not enough.any():
        return result
    X = rows.X[enough]
    if model is None:
        result[enough] = rule_probability(table, X[:, FEATURE_INDEX["predikat_last"]])
    else:
        result[enough] = model.pipeline.predict_proba(X)[:, 1]
    return result


@dataclass(frozen=True)
class Predicted:
    """The probability of each row, and what explaining the rows can reuse of it.

    For gradient-boosted trees (`_TreeSums`), `X` is the rows as the trees read them and
    `leaves` (trees, rows) each row's leaf value in each tree: explaining a row starts from
    them instead of predicting it again. Otherwise `X` is the rows and `leaves` None.
    """

    probability: np.ndarray
    X: np.ndarray
    leaves: np.ndarray | None = None

    def take(self, positions: np.ndarray) -> Predicted:
        """The prediction of the rows at `positions`, in that order."""
        leaves = None if self.leaves is None else np.take(self.leaves, positions, axis=1)
        return Predicted(self.probability[positions], self.X[positions], leaves)


def predict_rows(pipeline: Any, X: np.ndarray) -> Predicted:
    """The calibrated probability of each row of `X` (`FEATURE_NAMES` order), as
    `pipeline.predict_proba` gives it to the bit, with its trees' leaf values when the model
    is one boosted classifier (`_TreeSums`)."""
    trees = _TreeSums.of(pipeline)
    if trees is None:
        return Predicted(pipeline.predict_proba(X)[:, 1], X)
    return trees.predict(X)


def prepare_rows(pipeline: Any) -> None:
    """Build, once per process, what `predict_rows` and `explain_rows` reuse for `pipeline`
    (`_TreeSums`: each tree's leaf paths, and which substitutions by the typical values
    leave them), so that a scoring process pays it at start-up, as it pays loading the
    model, rather than in its first chunk's prediction (0.15 s of CPU for 300 trees)."""
    trees = _TreeSums.of(pipeline)
    if trees is not None:
        trees._leaving(np.asarray(pipeline.named_steps["features"].reference_values_, float))


def explain_rows(
    pipeline: Any, X: np.ndarray, predicted: Predicted | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Probability (n,) and per-feature contributions (n, features) of each row of `X`.

    As `predictor.explain` does for one row: each feature in turn takes its typical
    (training median) value and the drop in probability is its contribution. A feature that
    already has its typical value would be substituted by itself: its contribution is 0
    without a prediction (often a third of the cells: grades, counts, ratings). Gradient
    boosted trees are predicted tree by tree (`_TreeSums`): a substituted row only goes
    through the trees that split on its substituted feature; otherwise every substituted
    row of every employee goes through the model in one call. `predicted` is
    `predict_rows(pipeline, X)` when the caller has it already.
    """
    n, width = X.shape
    reference = pipeline.named_steps["features"].reference_values_
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
    contribution = np.zeros((n, width))
    contribution[rows, columns] = base[rows] - substituted
    return base, contribution


class _TreeSums:
    """The calibrated probability of a gradient-boosted pipeline, summed tree by tree.

    scikit-learn's `HistGradientBoostingClassifier` adds each tree's leaf value to the
    baseline in tree order. A row that differs from another in one feature j only reaches
    another leaf of a tree if the path to its leaf splits on j and the other value goes
    the other way at such a split (`x <= threshold`, NaN the split's missing side). Which
    substitutions leave the path to each leaf is known once per model and reference row
    (`_leaving`), and a row's leaf in each tree is known from its leaf value (leaves of
    equal value are taken together: any of them leaving counts). So a substituted row
    takes the original row's leaf values in every tree whose path it does not leave, goes
    through the others only, and a row that reaches the same leaf everywhere keeps the
    original probability; the same additions in the same order give the same probability
    to the bit (the tests against `predict_proba` and against substituting through it hold
    it to that).
    """

    def __init__(self, model: Any, estimator: Any) -> None:
        self.model, self.estimator = model, estimator
        self.trees = [iteration[0] for iteration in estimator._predictors]
        self.bitsets = estimator._bin_mapper.make_known_categories_bitsets()
        width = estimator.n_features_in_
        uses = np.zeros((width, len(self.trees)), dtype=bool)
        #: Per tree: its distinct leaf values (sorted), and per value the splits on the
        #: paths to its leaves as (feature, threshold, missing goes left, path goes left).
        self.values: list[np.ndarray] = []
        self.paths: list[list[list[tuple[int, float, bool, bool]]]] = []
        for t, tree in enumerate(self.trees):
            nodes = tree.nodes
            leaf = nodes["is_leaf"].astype(bool)
            inner = np.flatnonzero(~leaf)
            uses[nodes["feature_idx"][inner], t] = True
            parent = np.full(len(nodes), -1)
            parent[nodes["left"][inner]] = inner
            parent[nodes["right"][inner]] = inner
            left = np.zeros(len(nodes), dtype=bool)
            left[nodes["left"][inner]] = True
            feature, threshold = nodes["feature_idx"].tolist(), nodes["num_threshold"].tolist()
            missing = nodes["missing_go_to_left"].astype(bool).tolist()
            leaves = np.flatnonzero(leaf)
            values, group = np.unique(nodes["value"][leaves], return_inverse=True)
            paths: list[list[tuple[int, float, bool, bool]]] = [[] for _ in values]
            up, side = parent.tolist(), left.tolist()
            for node, g in zip(leaves.tolist(), group.tolist(), strict=True):
                while up[node] >= 0:
                    split = up[node]
                    paths[g].append((feature[split], threshold[split], missing[split], side[node]))
                    node = split
            self.values.append(values)
            self.paths.append(paths)
        self.uses = [np.flatnonzero(row) for row in uses]
        self._leaving_for: tuple[bytes, list[np.ndarray]] | None = None

    def _leaving(self, reference: np.ndarray) -> list[np.ndarray]:
        """Per feature j: (trees splitting on j, leaf values) whether `reference[j]` leaves
        the path to a leaf of that value in that tree."""
        key = reference.tobytes()
        if self._leaving_for is None or self._leaving_for[0] != key:
            widest = max(len(values) for values in self.values)
            tables = [np.zeros((len(trees), widest), dtype=bool) for trees in self.uses]
            slot = [{t: k for k, t in enumerate(trees.tolist())} for trees in self.uses]
            goes = [float(value) for value in reference]
            for t, paths in enumerate(self.paths):
                for g, path in enumerate(paths):
                    for j, threshold, missing, went_left in path:
                        r = goes[j]
                        if (missing if math.isnan(r) else r <= threshold) != went_left:
                            tables[j][slot[j][t], g] = True
            self._leaving_for = (key, tables)
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
        """Each row's leaf value in every tree, and its probability from them."""
        from sklearn.ensemble._hist_gradient_boosting._predictor import _predict_from_raw_data
        from sklearn.utils._openmp_helpers import _openmp_effective_n_threads

        threads = _openmp_effective_n_threads()
        X = self.estimator._preprocess_X(np.asarray(X, dtype=np.float64), reset=False)
        known, index = self.bitsets
        by_feature = np.asfortranarray(X)  # a tree reads few of the features: a little faster
        leaves = np.empty((len(self.trees), len(X)))
        raw = np.zeros(len(X))
        raw += self.estimator._baseline_prediction.ravel()[0]
        for t, tree in enumerate(self.trees):  # `tree.predict`, written in place
            _predict_from_raw_data(
                tree.nodes, by_feature, tree.raw_left_cat_bitsets, known, index, threads, leaves[t]
            )
            raw += leaves[t]  # as `_probability` adds them
        return Predicted(self.model._calibrate(raw), X, leaves)

    def _probability(self, leaves: np.ndarray) -> np.ndarray:
        """The calibrated probability from (trees, rows) leaf values, added as scikit-learn
        does (from the baseline, tree by tree in order)."""
        raw = np.zeros(leaves.shape[1])
        raw += self.estimator._baseline_prediction.ravel()[0]
        for values in leaves:
            raw += values
        return self.model._calibrate(raw)

    def substituted(
        self, predicted: Predicted, rows: np.ndarray, columns: np.ndarray, reference: np.ndarray
    ) -> np.ndarray:
        """Probability of row `rows[k]` of `predicted` with column `columns[k]` set to its
        reference value, for every k."""
        from sklearn.utils._openmp_helpers import _openmp_effective_n_threads

        threads = _openmp_effective_n_threads()
        X, by_tree = predicted.X, predicted.leaves
        assert by_tree is not None
        substituted = predicted.probability[rows]
        known, index = self.bitsets
        leaving = self._leaving(np.asarray(reference, dtype=np.float64))
        widest = max(len(values) for values in self.values)
        small = np.uint8 if widest <= 256 else np.intp  # an eighth of the bytes to gather
        position = np.empty(by_tree.shape, dtype=small)  # each row's leaf value, by tree
        for t, values in enumerate(self.values):
            position[t] = np.searchsorted(values, by_tree[t])
        order = np.argsort(columns, kind="stable")
        bounds = np.searchsorted(columns[order], np.arange(X.shape[1] + 1))
        for j, trees in enumerate(self.uses):
            at = order[bounds[j] : bounds[j + 1]]
            if not len(trees) or not len(at):
                continue  # never split on (every substituted row keeps its leaves), or none
            reached = position[np.ix_(trees, rows[at])]
            table = leaving[j]  # (trees, leaf values): one flat gather
            crossed = table.ravel()[np.arange(0, table.size, table.shape[1])[:, None] + reached]
            moved = crossed.any(axis=0)
            if not moved.any():
                continue
            at, crossed = at[moved], crossed[:, moved]
            changed = X[rows[at]]
            changed[:, j] = reference[j]
            leaves = np.take(by_tree, rows[at], axis=1)  # (trees, rows): added tree by tree
            for k in np.flatnonzero(crossed.any(axis=1)).tolist():
                t, going = int(trees[k]), np.flatnonzero(crossed[k])
                if 2 * len(going) >= len(at):  # most rows: no copy of the few others
                    leaves[t] = self.trees[t].predict(changed, known, index, threads)
                else:
                    leaves[t, going] = self.trees[t].predict(changed[going], known, index, threads)
            substituted[at] = self._probability(leaves)
        return substituted


#: The tree sums of each boosted model explained (built once: its thresholds per feature).
_SUMS: WeakKeyDictionary[Any, _TreeSums] = WeakKeyDictionary()


def answers(
    rows: FeatureRows, model: LoadedModel | None, table: dict[str, float]
) -> list[Assessed]:
    """The API.md risk answer and the feature values of every row, in the rows' order."""
    enough = rows.enough()
    explained: dict[int, tuple[float, np.ndarray]] = {}
    if model is not None and enough.any():
        probability, contribution = explain_rows(model.pipeline, rows.X[enough])
        positions = np.flatnonzero(enough).tolist()
        explained = dict(zip(positions, zip(probability, contribution, strict=True), strict=True))
    block = model_block(model, model is None)
    found: list[Assessed] = []
    for i, (employee_id, x) in enumerate(zip(rows.employee_ids.tolist(), rows.X, strict=True)):
        features = dict(zip(FEATURE_NAMES, x.tolist(), strict=True))
        if not enough[i]:
            answer = insufficient_answer(employee_id, rows.period, block)
        elif model is None:
            answer = fallback_answer(employee_id, rows.period, x, table)
        else:
            answer = _model_answer(employee_id, rows.period, x, explained[i], model)
        found.append((answer, features))
    return found


def _model_answer(
    employee_id: int,
    period: str,
    x: np.ndarray,
    explained: tuple[float, np.ndarray],
    model: LoadedModel,
) -> dict[str, Any]:
    """The same answer as `predictor.risk_answer`, from an already explained row."""
    probability, contribution = float(explained[0]), explained[1]
    drivers = top_drivers(x, contribution)
    return model_answer(employee_id, period, probability, drivers, model)
