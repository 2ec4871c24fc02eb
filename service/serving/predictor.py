"""The risk answer of API.md: calibrated probability, flag, and the drivers behind it.

Drivers are the features that push this employee's risk up most: for each feature, the model
is asked again with that one feature set to its typical (training median) value, and the
drop in probability is its contribution. One employee is explained as batch scoring
explains thousands (`serving.trees.explain_rows`): boosted trees by the compiled walk,
which re-walks only the trees a substitution can change, so a live answer and a stored one
are the same numbers.
"""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np

from service.features import FEATURE_BY_NAME
from service.features import FEATURE_NAMES
from service.features import MIN_EVALUATED_PERIODS
from service.features.catalogue import FEATURE_INDEX
from service.serving.loader import LoadedModel
from service.serving.trees import strongest_rows
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
    scoring explains it (`trees.strongest_rows`, the same evaluator: the same numbers)."""
    X = row.reshape(1, -1)
    probability, features, effect = strongest_rows(pipeline, X, MAX_DRIVERS, MIN_CONTRIBUTION)
    return float(probability[0]), drivers_of(X, features, effect)[0]


def drivers_of(
    X: np.ndarray, features: np.ndarray, effect: np.ndarray
) -> list[list[dict[str, Any]]]:
    """The drivers of each row of `X`: its features `features[i]` (-1: none) with their
    contributions `effect[i]` (`trees.strongest`), values and labels."""
    return [
        [driver(FEATURE_NAMES[j], value, c) for j, value, c in row]
        for row in _chosen(X, features, effect)
    ]


def drivers_json_of(X: np.ndarray, features: np.ndarray, effect: np.ndarray) -> list[str]:
    """`drivers_of` each row as the JSON text `json.dumps(..., ensure_ascii=False)` writes
    of it, without the dicts: each feature's fixed part (name, labels) is encoded once and
    the rounded numbers are written for all drivers at once (`_decimal_texts`). Batch
    scoring stores drivers so: 0.65 us a driver, against 1.6 for building its dict and 2.2
    for encoding it (`round` and `repr` of a float alone take 0.55 us)."""
    rows, slots = np.nonzero(features >= 0)  # row by row, each row's drivers in order
    chosen = features[rows, slots]
    values = _decimal_texts(np.asarray(X)[rows, chosen])
    effects = _decimal_texts(effect[rows, slots])
    drivers = [
        f'{_JSON_HEADS[j]}{value}, "contribution": {c}}}'
        for j, value, c in zip(chosen.tolist(), values, effects, strict=True)
    ]
    bounds = [0, *np.cumsum((features >= 0).sum(axis=1)).tolist()]
    return [
        "[" + ", ".join(drivers[a:b]) + "]" for a, b in zip(bounds[:-1], bounds[1:], strict=True)
    ]


def _decimal_texts(values: np.ndarray) -> list[str]:
    """JSON text of each `_value(v)` (`round(v, 4)`, null for NaN), as the encoder writes it.

    `round(v, 4)` is the double nearest to k / 10^4, k the integer nearest to v * 10^4 (ties
    to even), and its repr is that of `k / 10000.0` (exact k, one correctly rounded
    division). k is `rint(v * 1e4)` unless the product's rounding (at most 6e-8 below 1e9)
    could cross a tie: those, the rare values past 1e9 and the non-finite ones go through
    `round` itself. Each distinct k (-0.0 apart from 0.0) is written once.
    """
    scaled = values * 1e4
    k = np.rint(scaled)
    with np.errstate(invalid="ignore"):  # inf - inf, NaN: not fast
        fast = (np.abs(scaled) < 1e9) & (np.abs(np.abs(scaled - k) - 0.5) > 1e-6)
    bits = np.where(fast, k, 0.0).view(np.int64)  # by bits: -0.0 is written "-0.0"
    distinct, at = np.unique(bits, return_inverse=True)
    shown = [repr(v) for v in (distinct.view(np.float64) / 1e4).tolist()]
    texts = [shown[i] for i in at.tolist()]
    for i in np.flatnonzero(~fast).tolist():
        texts[i] = _json_value(float(values[i]))
    return texts


def _chosen(
    X: np.ndarray, features: np.ndarray, effect: np.ndarray
) -> list[list[tuple[int, float, float]]]:
    """(feature, value, contribution) of each row's chosen features, as Python numbers."""
    values = np.take_along_axis(np.asarray(X), np.maximum(features, 0), axis=1).tolist()
    return [
        [(j, value, c) for j, value, c in zip(row, row_values, row_effect, strict=True) if j >= 0]
        for row, row_values, row_effect in zip(
            features.tolist(), values, effect.tolist(), strict=True
        )
    ]


def _json_float(value: float) -> str:
    return repr(value) if math.isfinite(value) else json.dumps(value)


def _json_value(value: float) -> str:
    shown = _value(value)
    return "null" if shown is None else _json_float(shown)


#: Each feature's driver as JSON up to its value: `{"feature": ..., "value": `.
_JSON_HEADS = [
    json.dumps(
        {"feature": name, "label": FEATURE_BY_NAME[name].label,
         "label_en": FEATURE_BY_NAME[name].label_en, "value": None},
        ensure_ascii=False,
    ).removesuffix("null}")
    for name in FEATURE_NAMES
]  # fmt: skip


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
