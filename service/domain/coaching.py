"""Coaching suggestions for a supervisor, each citing the employee's own evidence.

Rules come from the reviewed catalogue `data/reference/coaching_actions.csv`: a rule fires
when the employee's feature value meets its condition; fired rules whose feature is one of the
risk drivers come first, ordered by the driver's contribution, then the rest in catalogue
order. Each suggestion is in Indonesian (`action`, `why`) and English (`action_en`, `why_en`).
"""

from __future__ import annotations

import csv
import math
import operator
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from service.features import FEATURE_NAMES

CATALOGUE = Path(__file__).resolve().parents[2] / "data" / "reference" / "coaching_actions.csv"
MAX_SUGGESTIONS = 3
_OPERATORS = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge}


@dataclass(frozen=True)
class CoachingRule:
    """One reviewed rule: when `feature` `operator` `threshold`, suggest `action` because `why`."""

    code: str
    feature: str
    operator: str
    threshold: float
    action: str
    action_en: str
    why: str
    why_en: str

    def fires(self, value: float | None) -> bool:
        """Whether the employee's value meets the condition (never on a missing value)."""
        if value is None or math.isnan(value):
            return False
        return bool(_OPERATORS[self.operator](value, self.threshold))

    def suggestion(self, value: float) -> dict[str, str]:
        return {
            "code": self.code,
            "action": self.action,
            "why": self.why.format(value=value),
            "action_en": self.action_en,
            "why_en": self.why_en.format(value=value),
        }


def _rule(line: int, row: Mapping[str, str], path: Path) -> CoachingRule:
    if row["feature"] not in FEATURE_NAMES or row["operator"] not in _OPERATORS:
        raise ValueError(
            f"{path}:{line}: feature {row['feature']!r} or operator {row['operator']!r} unknown"
        )
    fields = {k: row[k] for k in ("code", "feature", "operator", "action", "action_en")}
    rule = CoachingRule(
        **fields, threshold=float(row["threshold"]), why=row["why"], why_en=row["why_en"]
    )
    rule.suggestion(1.0)  # a broken template fails here, at load time
    return rule


@cache
def load_catalogue(path: Path = CATALOGUE) -> tuple[CoachingRule, ...]:
    """Read and check the catalogue once per process; ValueError names a bad line."""
    with path.open(newline="", encoding="utf-8") as handle:
        return tuple(_rule(i, row, path) for i, row in enumerate(csv.DictReader(handle), 2))


def coaching_for(
    features: Mapping[str, float],
    drivers: list[dict[str, Any]],
    catalogue: tuple[CoachingRule, ...] | None = None,
    limit: int = MAX_SUGGESTIONS,
) -> list[dict[str, str]]:
    """Suggestions for one employee from their feature values, drivers first."""
    weight = {d["feature"]: d["contribution"] for d in drivers}
    fired = [
        (position, rule)
        for position, rule in enumerate(catalogue or load_catalogue())
        if rule.fires(features.get(rule.feature))
    ]
    fired.sort(key=lambda item: (-weight.get(item[1].feature, 0.0), item[0]))
    return [rule.suggestion(features[rule.feature]) for _, rule in fired[:limit]]
