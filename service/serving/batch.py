"""Risk answers for many employees at once: one read per source, one prediction call.

A supervisor's team (ten thousand people in a large office) is answered the way
`kinerja score` answers an agency: everyone's history is read with one statement per source
(`repositories.risk.histories`), laid out as one `Panel` (`build_panel`, as the
single-employee path and training do), and `features_at` gives the same feature rows.
Ranking a team needs only the probabilities (one `predict_proba` over the rows); the drivers
of the members actually shown are explained together, in one call over all their
substituted rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlalchemy.orm import Session

from service.db.repositories import risk as repo
from service.db.repositories.risk import Who
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


def read_rows(session: Session, who: Who, period: str) -> FeatureRows:
    """Read the history of the employees `who` selects and compute their feature rows."""
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


def explain_rows(pipeline: Any, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Probability (n,) and per-feature contributions (n, features) of each row of `X`.

    As `predictor.explain` does for one row: each feature in turn takes its typical
    (training median) value and the drop in probability is its contribution; every
    substituted row of every employee goes through the model in one call. A feature that
    already has its typical value would be substituted by itself: its contribution is 0
    without a prediction (often a third of the cells: grades, counts, ratings).
    """
    n, width = X.shape
    reference = pipeline.named_steps["features"].reference_values_
    rows, columns = np.nonzero(X != reference)  # NaN differs from everything
    batch = np.concatenate([X, X[rows]])
    batch[n + np.arange(len(rows)), columns] = reference[columns]
    probability = pipeline.predict_proba(batch)[:, 1]
    contribution = np.zeros((n, width))
    contribution[rows, columns] = probability[rows] - probability[n:]
    return probability[:n], contribution


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
    return {
        "employee_id": employee_id,
        "as_of_period": period,
        "status": "ok",
        "probability": round(probability, 4),
        "flagged": probability >= model.threshold,
        "threshold": round(model.threshold, 4),
        "drivers": top_drivers(x, contribution),
        "model": model_block(model, fallback=False),
    }
