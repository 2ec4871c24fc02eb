"""The risk answer of API.md: calibrated probability, flag, and the drivers behind it.

Drivers are the features that push this employee's risk up most: for each feature, the model
is asked again with that one feature set to its typical (training median) value, and the
drop in probability is its contribution. One employee is explained as batch scoring
explains thousands (`serving.trees.explain_rows`): boosted trees by the compiled walk,
which re-walks only the trees a substitution can change, so a live answer and a stored one
are the same numbers.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from service.features import FEATURE_BY_NAME
from service.features import FEATURE_NAMES
from service.features import MIN_EVALUATED_PERIODS
from service.features.catalogue import FEATURE_INDEX
from service.serving.loader import LoadedModel
from service.serving.trees import explain_rows
from service.serving.uncertainty import uncertainty

RISK_MODEL_NAME = "kinerja-risk"
MAX_DRIVERS = 5
#: Contributions smaller than this (probability points) are not reasons.
MIN_CONTRIBUTION = 0.001


def _value(value: float) -> float | None:
    return None if math.isnan(value) else round(float(value), 4)


def driver(name: str, value: float, contribution: float) -> dict[str, Any]:
    """One driver entry: feature, labels in Indonesian and English, value, contribution."""
    feature = FEATURE_BY_NAME[name]
    return {
        "feature": name,
        "label": feature.label,
        "label_en": feature.label_en,
        "value": _value(value),
        "contribution": round(float(contribution), 4),
    }


def explain(pipeline: Any, row: np.ndarray) -> tuple[float, list[dict[str, Any]]]:
    """Return the probability of one (1, features) row and its top drivers, as batch
    scoring explains it (`trees.explain_rows`, the same evaluator: the same numbers)."""
    probability, contribution = explain_rows(pipeline, row.reshape(1, -1))
    return float(probability[0]), top_drivers(row.ravel(), contribution[0])


def top_drivers(values: np.ndarray, contribution: np.ndarray) -> list[dict[str, Any]]:
    """The up to `MAX_DRIVERS` features with the largest positive contribution."""
    return top_drivers_of(values.reshape(1, -1), np.reshape(contribution, (1, -1)))[0]


def top_drivers_of(X: np.ndarray, contribution: np.ndarray) -> list[list[dict[str, Any]]]:
    """`top_drivers` of each row of `X` and its contributions: the rows' features ordered by
    one stable sort of all of them (batch scoring explains thousands of rows at once).

    Only the `MAX_DRIVERS` first of each row become Python numbers (not all its features):
    their values and contributions are gathered into (rows, `MAX_DRIVERS`) arrays first.
    """
    order = np.argsort(-contribution, axis=1, kind="stable")[:, :MAX_DRIVERS]
    effects = np.take_along_axis(contribution, order, axis=1).tolist()
    values = np.take_along_axis(np.asarray(X), order, axis=1).tolist()
    return [
        [
            driver(FEATURE_NAMES[i], value, effect)
            for i, value, effect in zip(chosen, row, effect_row, strict=True)
            if effect >= MIN_CONTRIBUTION
        ]
        for chosen, row, effect_row in zip(order.tolist(), values, effects, strict=True)
    ]


def model_block(model: LoadedModel | None, fallback: bool) -> dict[str, Any]:
    """The `model` object every answer carries."""
    if model is None:
        return {"name": RISK_MODEL_NAME, "version": None, "fallback": fallback}
    return {"name": model.name, "version": model.version, "fallback": fallback}


def has_enough_history(row: np.ndarray) -> bool:
    """Whether the row rests on at least `MIN_EVALUATED_PERIODS` evaluated periods."""
    return float(row.ravel()[FEATURE_INDEX["periods_evaluated"]]) >= MIN_EVALUATED_PERIODS


def insufficient_answer(employee_id: int, period: str | None, model: dict) -> dict[str, Any]:
    """The answer when history is too thin: no probability, never flagged."""
    return {
        "employee_id": employee_id,
        "as_of_period": period,
        "status": "insufficient_data",
        "probability": None,
        "flagged": False,
        "threshold": None,
        "drivers": [],
        "model": model,
        "uncertainty": None,
    }


def risk_answer(employee_id: int, period: str, row: np.ndarray, model: LoadedModel) -> dict:
    """The model's answer for one employee's feature row (callers check history first)."""
    probability, drivers = explain(model.pipeline, row)
    return model_answer(employee_id, period, probability, drivers, model)


def model_answer(
    employee_id: int, period: str, probability: float, drivers: list, model: LoadedModel
) -> dict[str, Any]:
    """The `ok` answer of `model` for an explained probability: the live read's, the batch's
    and the team ranking's."""
    threshold = model.threshold
    return ok_answer(
        employee_id, period, probability, probability >= threshold, threshold, drivers, model
    )


def ok_answer(
    employee_id: int,
    period: str,
    probability: float,
    flagged: bool,
    threshold: float,
    drivers: list,
    model: LoadedModel,
) -> dict[str, Any]:
    """The one shape (and rounding) of an `ok` answer of `model`, computed now or stored by
    the batch run (whose flag is kept as it was stored)."""
    shown = round(probability, 4)
    return {
        "employee_id": employee_id,
        "as_of_period": period,
        "status": "ok",
        "probability": shown,
        "flagged": flagged,
        "threshold": round(threshold, 4),
        "drivers": drivers,
        "model": model_block(model, fallback=False),
        "uncertainty": uncertainty(model.bands, shown),
    }
