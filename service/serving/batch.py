"""Risk answers for many employees at once: one read per source, one prediction pass.

A supervisor's team (ten thousand people in a large office) is answered the way
`kinerja score` answers an agency: everyone's history is read with one statement per source
(`repositories.risk_history.histories`), laid out as one `Panel` (`build_panel`, as the
single-employee path and training do), and `features_at` gives the same feature rows.
Ranking a team needs only the probabilities (`trees.predict_rows` over the rows); the
drivers of the members actually shown are explained together (`trees.strongest_rows`, the
evaluator the single-employee read uses, so both give the same numbers).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

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
from service.serving.predictor import MAX_DRIVERS
from service.serving.predictor import MIN_CONTRIBUTION
from service.serving.predictor import drivers_of
from service.serving.predictor import insufficient_answer
from service.serving.predictor import model_answer
from service.serving.predictor import model_block
from service.serving.trees import predict_rows
from service.serving.trees import strongest_rows

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
        result[enough] = predict_rows(model.pipeline, X).probability
    return result


def answers(
    rows: FeatureRows, model: LoadedModel | None, table: dict[str, float]
) -> list[Assessed]:
    """The API.md risk answer and the feature values of every row, in the rows' order."""
    enough = rows.enough()
    explained: dict[int, tuple[float, list[dict[str, Any]]]] = {}
    if model is not None and enough.any():
        X = rows.X[enough]
        probability, chosen, effect = strongest_rows(
            model.pipeline, X, MAX_DRIVERS, MIN_CONTRIBUTION
        )
        positions = np.flatnonzero(enough).tolist()
        pairs = zip(probability.tolist(), drivers_of(X, chosen, effect), strict=True)
        explained = dict(zip(positions, pairs, strict=True))
    block = model_block(model, model is None)
    found: list[Assessed] = []
    for i, (employee_id, x) in enumerate(zip(rows.employee_ids.tolist(), rows.X, strict=True)):
        features = dict(zip(FEATURE_NAMES, x.tolist(), strict=True))
        if not enough[i]:
            answer = insufficient_answer(employee_id, rows.period, block)
        elif model is None:
            answer = fallback_answer(employee_id, rows.period, x, table)
        else:
            answer = model_answer(employee_id, rows.period, *explained[i], model)
        found.append((answer, features))
    return found
