"""What would change my outlook: the actions that would lower an employee's risk most (issue 5).

Starting from the served risk model's feature row of the employee (the latest period), each
action is a what-if on that row, scored by the same model (`trees.predict_rows`, the
evaluator of every risk answer, so the starting risk is the risk read's to the bit):

- *programme*: one of the employee's recommended programmes (`ranking.rank_programs`), with
  its expected level gains added to the latest assessed levels; the competency features
  (JPM, largest gap, gaps below standard, balance) are recomputed as `features.panel` defines
  them, and the programme's JP are added to the year's JP;
- *driver*: one actionable feature (attendance, lateness, work results, behaviour, JP) moved
  to the typical value the model was trained with (its median), when that lowers the risk
  and is an improvement: a feature already better than typical (full attendance, no
  lateness, more JP than most) is never suggested, even where the model's risk happens to
  dip at the median.

Actions are sorted by the risk they leave, lowest first; only those that lower it are kept.
History (past predikat, tenure, grade, raters) is not an action. Without a served risk model
or with too little history the answer says so and lists no action.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlalchemy.orm import Session

from service.auth import policy
from service.domain.audit import Actor
from service.domain.audit import record_read
from service.domain.ranking import GainModel
from service.domain.ranking import RuleGains
from service.domain.ranking import rank_programs
from service.domain.recommender_data import Profile
from service.domain.recommender_data import load_catalogue
from service.domain.recommender_data import load_profiles
from service.features.catalogue import FEATURE_INDEX
from service.features.catalogue import FEATURES
from service.features.panel import BALANCE_CLIP
from service.serving.history import employee_row
from service.serving.predictor import has_enough_history
from service.serving.trees import predict_rows

#: Features a person can act on, and the direction that improves each (+1: more is better,
#: -1: less is better); the rest describe history.
ACTIONABLE = {
    "attendance_rate_last": 1,
    "late_rate_last": -1,
    "achievement_last": 1,
    "work_result_last": 1,
    "behavior_last": 1,
    "behavior_values_below_last": -1,
    "jp_last_year": 1,
}
PROGRAMMES_TRIED = 5
MAX_ACTIONS = 5


@dataclass(frozen=True)
class Action:
    """One what-if: a programme or a driver, and the risk it would leave."""

    kind: str
    code: str
    label: str
    label_en: str
    probability: float
    change: float


@dataclass(frozen=True)
class Outlook:
    """The current risk and the actions that would lower it most."""

    employee_id: int
    status: str
    probability: float | None
    actions: tuple[Action, ...]


def outlook_actions(
    session: Session,
    actor: Actor,
    employee_id: int,
    models: Any,
    *,
    gains: GainModel | None = None,
) -> Outlook:
    """Use case of GET /employees/{id}/outlook (self, supervisors above, hr, admin); audited."""
    employee = policy.visible_employee(session, actor, employee_id)
    record_read(session, actor, "outlook", employee.id)
    model = models.risk.current()
    period = models.latest_period(session)
    if model is None or period is None:
        return Outlook(employee.id, "model_unavailable", None, ())
    found = employee_row(session, employee, period, models.min_group_answers)
    row = np.asarray(found, dtype=np.float64).reshape(1, -1)
    if not has_enough_history(row):
        return Outlook(employee.id, "insufficient_data", None, ())
    base = float(predict_rows(model.pipeline, row).probability[0])
    profile = load_profiles(session, [employee.id])[0]
    tried = _programme_rows(session, profile, row[0], gains or RuleGains())
    tried += _driver_rows(model.pipeline, row[0])
    if not tried:
        return Outlook(employee.id, "ok", round(base, 4), ())
    risks = predict_rows(model.pipeline, np.stack([r for *_, r in tried])).probability
    shown = round(base, 4)
    # Compared as shown (4 decimals): a change too small to see is no action to suggest.
    actions = [
        Action(
            kind, code, label, label_en, round(float(p), 4), round(round(float(p), 4) - shown, 4)
        )
        for (kind, code, label, label_en, _), p in zip(tried, risks, strict=True)
        if round(float(p), 4) < shown
    ]
    actions.sort(key=lambda a: (a.probability, a.code))
    return Outlook(employee.id, "ok", shown, tuple(actions[:MAX_ACTIONS]))


def competency_features(standard: Mapping[str, int], levels: Mapping[str, float]) -> dict:
    """Return jpm, max_gap, gap_count and competency_balance as `features.panel` computes them."""
    codes = [code for code in standard if code in levels]
    if not codes:
        return {}
    required = np.array([standard[c] for c in codes], dtype=np.float64)
    level = np.array([levels[c] for c in codes], dtype=np.float64)
    gap = np.maximum(required - level, 0.0)
    return {
        "jpm": 100.0 * np.minimum(level, required).sum() / required.sum(),
        "max_gap": gap.max(),
        "gap_count": float((gap > 0).sum()),
        "competency_balance": np.clip(level - required, *BALANCE_CLIP).mean(),
    }


def _programme_rows(
    session: Session, profile: Profile, row: np.ndarray, gains: GainModel
) -> list[tuple[str, str, str, str, np.ndarray]]:
    catalogue = load_catalogue(session)
    found = []
    for ranked in rank_programs(profile, catalogue.programs, gains, PROGRAMMES_TRIED):
        levels = dict(profile.levels)
        for code, gain in ranked.gains.items():
            levels[code] = levels.get(code, 1.0) + gain
        changed = row.copy()
        for name, value in competency_features(profile.standard, levels).items():
            changed[FEATURE_INDEX[name]] = value
        changed[FEATURE_INDEX["jp_last_year"]] += ranked.program.jp
        program = ranked.program
        found.append(("programme", program.code, program.title, program.title_en, changed))
    return found


def _driver_rows(pipeline: Any, row: np.ndarray) -> list[tuple[str, str, str, str, np.ndarray]]:
    """What-ifs that move each actionable feature to its typical value, where that improves it."""
    reference = pipeline.named_steps["features"].reference_values_
    found = []
    for feature in FEATURES:
        index = FEATURE_INDEX[feature.name]
        typical = reference[index]
        better = ACTIONABLE.get(feature.name, 0)
        if better and np.isfinite(typical) and (typical - row[index]) * better > 0:
            changed = row.copy()
            changed[index] = typical
            found.append(("driver", feature.name, feature.label, feature.label_en, changed))
    return found
