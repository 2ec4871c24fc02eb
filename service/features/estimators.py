"""scikit-learn estimators of the risk model, importable by serving without training code.

`FeatureMatrix` is the first step of every risk pipeline: it fixes the column order to
`FEATURE_NAMES` and remembers typical (median) values used to explain single predictions.
`PeriodCalibratedClassifier` fits its trees on earlier periods and its calibration on a later
one, so calibration is learned on data the trees never saw, as serving will see it.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.base import ClassifierMixin
from sklearn.base import TransformerMixin
from sklearn.base import clone
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression

from service.features.catalogue import FEATURE_NAMES

CALIBRATION_METHODS = ("sigmoid", "isotonic")


class FeatureMatrix(TransformerMixin, BaseEstimator):
    """Select `FEATURE_NAMES` in order as a float matrix; ndarray input must already be so."""

    def fit(self, X: pd.DataFrame | np.ndarray, y: Any = None) -> FeatureMatrix:
        matrix = self.transform_unfitted(X)
        self.n_features_in_ = matrix.shape[1]
        known = ~np.isnan(matrix)
        medians = [
            np.median(col[ok]) if ok.any() else np.nan
            for col, ok in zip(matrix.T, known.T, strict=True)
        ]
        self.reference_values_ = np.asarray(medians, dtype=np.float64)
        return self

    def transform(self, X: pd.DataFrame | np.ndarray) -> np.ndarray:
        return self.transform_unfitted(X)

    @staticmethod
    def transform_unfitted(X: pd.DataFrame | np.ndarray) -> np.ndarray:
        """Return X as a (rows, len(FEATURE_NAMES)) float64 matrix, checking its columns."""
        if isinstance(X, pd.DataFrame):
            missing = [name for name in FEATURE_NAMES if name not in X.columns]
            if missing:
                raise ValueError(f"feature columns missing: {', '.join(missing)}")
            return X[list(FEATURE_NAMES)].to_numpy(dtype=np.float64)
        matrix = np.asarray(X, dtype=np.float64)
        if matrix.ndim != 2 or matrix.shape[1] != len(FEATURE_NAMES):
            raise ValueError(
                f"expected a (rows, {len(FEATURE_NAMES)}) feature matrix, got {matrix.shape}"
            )
        return matrix

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        return np.asarray(FEATURE_NAMES, dtype=object)


class PeriodCalibratedClassifier(ClassifierMixin, BaseEstimator):
    """Trees fitted on earlier periods, calibrated (sigmoid or isotonic) on a later period.

    Parameters
    ----------
    estimator : an unfitted binary classifier with `decision_function`
    method : "sigmoid" (smooth, default) or "isotonic"
    """

    def __init__(self, estimator: Any, method: str = "sigmoid") -> None:
        self.estimator = estimator
        self.method = method

    def fit(
        self, X: np.ndarray, y: np.ndarray, calibration_mask: np.ndarray | None = None
    ) -> PeriodCalibratedClassifier:
        """Fit the trees on rows outside `calibration_mask` and calibrate on rows inside it."""
        if self.method not in CALIBRATION_METHODS:
            raise ValueError(f"method must be one of {CALIBRATION_METHODS}; got {self.method!r}")
        y = np.asarray(y).astype(int)
        if calibration_mask is None:
            raise ValueError("calibration_mask is required: calibrate on a later period")
        mask = np.asarray(calibration_mask, dtype=bool)
        if mask.all() or not mask.any():
            raise ValueError("calibration_mask must select some rows and leave some for trees")
        self.estimator_ = clone(self.estimator).fit(X[~mask], y[~mask])
        self.classes_ = self.estimator_.classes_
        score = self.estimator_.decision_function(X[mask])
        self.calibrator_ = self._calibrator().fit(self._calibration_input(score), y[mask])
        self.threshold_ = best_f1_threshold(self._calibrate(score), y[mask])
        return self

    def _calibrator(self) -> Any:
        if self.method == "isotonic":
            return IsotonicRegression(out_of_bounds="clip", y_min=0.0, y_max=1.0)
        return LogisticRegression(C=1e6)

    def _calibration_input(self, score: np.ndarray) -> np.ndarray:
        return score if self.method == "isotonic" else score.reshape(-1, 1)

    def _calibrate(self, score: np.ndarray) -> np.ndarray:
        if self.method == "isotonic":
            return self.calibrator_.predict(score)
        slope = self.calibrator_.coef_[0, 0]
        return 1.0 / (1.0 + np.exp(-(slope * score + self.calibrator_.intercept_[0])))

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        """Return calibrated [P(not poor), P(poor)] per row."""
        positive = self._calibrate(self.estimator_.decision_function(X))
        return np.column_stack([1.0 - positive, positive])

    def predict(self, X: np.ndarray) -> np.ndarray:
        """Flag rows whose calibrated probability reaches `threshold_`."""
        return (self.predict_proba(X)[:, 1] >= self.threshold_).astype(int)


def best_f1_threshold(probability: np.ndarray, y: np.ndarray) -> float:
    """Return the probability cut-off with the highest F1 on (probability, y)."""
    order = np.argsort(-probability, kind="stable")
    p, truth = probability[order], np.asarray(y)[order]
    true_pos = np.cumsum(truth)
    f1 = 2 * true_pos / (np.arange(1, len(p) + 1) + truth.sum())
    distinct = np.r_[p[1:] != p[:-1], True]
    if not truth.any() or not distinct.any():
        return 0.5
    best = np.argmax(np.where(distinct, f1, -1.0))
    return float(p[best])
