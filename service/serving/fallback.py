"""Rule-based risk answers, marked `fallback: true`, for when no model can be loaded.

The probability is the historical share of poor next periods after the same last predikat,
taken from the last exported model's metadata, else computed from the two latest stored
periods, else a conservative prior. Flagged means the rule fires: the last predikat was poor.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np

from service.features.catalogue import FEATURE_INDEX
from service.features.catalogue import PREDIKAT_SCORE
from service.features.rules import OVERALL
from service.features.rules import poor_rate_table
from service.features.rules import rule_probability
from service.serving.predictor import driver
from service.serving.predictor import model_block

#: Used only when neither an exported model nor two stored periods exist.
PRIOR_TABLE: dict[str, float] = {OVERALL: 0.10}
POOR_CODES = tuple(code for code, score in PREDIKAT_SCORE.items() if score < 3.0)


def table_from_transitions(pairs: list[tuple[str, str]]) -> dict[str, float]:
    """Rule table from (predikat in t, predikat in t+1) pairs."""
    if not pairs:
        return dict(PRIOR_TABLE)
    last = np.array([PREDIKAT_SCORE.get(a, np.nan) for a, _ in pairs])
    poor_next = np.array([PREDIKAT_SCORE.get(b, 3.0) < 3.0 for _, b in pairs], dtype=float)
    return poor_rate_table(last, poor_next)


class RuleTable:
    """The fallback's rate table, rebuilt at most every `ttl` seconds from `sources`."""

    def __init__(self, sources: list[Callable[[], dict[str, float] | None]], ttl: float = 300):
        self.sources = sources
        self.ttl = ttl
        self._table: dict[str, float] | None = None
        self._at = float("-inf")

    def get(self) -> dict[str, float]:
        if self._table is None or time.monotonic() - self._at > self.ttl:
            self._table = next((t for t in (s() for s in self.sources) if t), PRIOR_TABLE)
            self._at = time.monotonic()
        return self._table


def fallback_answer(
    employee_id: int, period: str, row: np.ndarray, table: dict[str, float]
) -> dict[str, Any]:
    """Answer with the rule; the one driver is the last predikat when it raises the rate."""
    values = row.ravel()
    last = values[FEATURE_INDEX["predikat_last"]]
    probability = float(rule_probability(table, np.array([last]))[0])
    poor_rates = [table[code] for code in POOR_CODES if code in table]
    lift = probability - table.get(OVERALL, probability)
    drivers = [driver("predikat_last", last, lift)] if lift > 0 else []
    return {
        "employee_id": employee_id,
        "as_of_period": period,
        "status": "ok",
        "probability": round(probability, 4),
        "flagged": bool(values[FEATURE_INDEX["poor_last"]] == 1.0),
        "threshold": round(min(poor_rates), 4) if poor_rates else None,
        "drivers": drivers,
        "model": model_block(None, fallback=True),
        "uncertainty": None,
    }
