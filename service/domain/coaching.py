"""Coaching suggestions for a supervisor, each citing the employee's own evidence.

Rules come from the reviewed catalogue `data/reference/coaching_actions.csv`: a rule fires
when the employee's feature value meets its condition; fired rules whose feature is one of the
risk drivers come first, ordered by the driver's contribution, then the rest in catalogue
order. Each suggestion is in Indonesian (`action`, `why`) and English (`action_en`, `why_en`).

A threshold may be `jp_minimum` instead of a number: the person's own yearly JP minimum
(`development.jp_minimum`: the configured `JP_MINIMUM_PNS` for PNS and CPNS, none for PPPK).
Such a rule never fires for someone without a minimum, and its `why` may name the minimum
(`{minimum}`) as it names the value (`{value}`); actions are plain text (the dialogue form
lists them apart from any person).
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
#: A threshold that is the person's yearly JP minimum rather than a number.
JP_MINIMUM = "jp_minimum"
#: The minimum assumed when the caller names none: a PNS under the default rule.
DEFAULT_JP_MINIMUM = 20.0
_OPERATORS = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge}


@dataclass(frozen=True)
class CoachingRule:
    """One reviewed rule: when `feature` `operator` `threshold`, suggest `action` because `why`."""

    code: str
    feature: str
    operator: str
    threshold: float | str
    action: str
    action_en: str
    why: str
    why_en: str

    def limit(self, jp_minimum: float) -> float | None:
        """The threshold for a person with this yearly JP minimum (None: the rule is off)."""
        if self.threshold != JP_MINIMUM:
            return float(self.threshold)
        return jp_minimum if jp_minimum > 0 else None

    def fires(self, value: float | None, jp_minimum: float = DEFAULT_JP_MINIMUM) -> bool:
        """Whether the employee's value meets the condition (never on a missing value)."""
        limit = self.limit(jp_minimum)
        if limit is None or value is None or math.isnan(value):
            return False
        return bool(_OPERATORS[self.operator](value, limit))

    def suggestion(self, value: float, jp_minimum: float = DEFAULT_JP_MINIMUM) -> dict[str, str]:
        fields = {"value": value, "minimum": jp_minimum}
        return {
            "code": self.code,
            "action": self.action,
            "why": self.why.format(**fields),
            "action_en": self.action_en,
            "why_en": self.why_en.format(**fields),
        }


def _rule(line: int, row: Mapping[str, str], path: Path) -> CoachingRule:
    if row["feature"] not in FEATURE_NAMES or row["operator"] not in _OPERATORS:
        raise ValueError(
            f"{path}:{line}: feature {row['feature']!r} or operator {row['operator']!r} unknown"
        )
    fields = {k: row[k] for k in ("code", "feature", "operator", "action", "action_en")}
    threshold = row["threshold"] if row["threshold"] == JP_MINIMUM else float(row["threshold"])
    rule = CoachingRule(**fields, threshold=threshold, why=row["why"], why_en=row["why_en"])
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
    *,
    jp_minimum: float = DEFAULT_JP_MINIMUM,
) -> list[dict[str, str]]:
    """Suggestions for one employee from their feature values, drivers first.

    `jp_minimum` is the employee's own yearly JP minimum (`development.jp_minimum`).
    """
    weight = {d["feature"]: d["contribution"] for d in drivers}
    fired = [
        (position, rule)
        for position, rule in enumerate(catalogue or load_catalogue())
        if rule.fires(features.get(rule.feature), jp_minimum)
    ]
    fired.sort(key=lambda item: (-weight.get(item[1].feature, 0.0), item[0]))
    return [rule.suggestion(features[rule.feature], jp_minimum) for _, rule in fired[:limit]]
