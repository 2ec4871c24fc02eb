"""Panel arrays of the continuous-performance records: activity log, 360 feedback, dialogues.

These are the earlier signals issue 8 feeds to the risk model. Each array is per employee and
period, placed by the date (or period) the record became known, so nothing after the end of
period t reaches the features of t:

- `activity_months`: months of the period with at least one activity-log entry;
- `peer360`: mean BerAKHLAK score of the 360 answers of peer and subordinate groups that
  reach the anonymity threshold (KINERJA_FEEDBACK_MIN_GROUP_ANSWERS, never below
  `DEFAULT_MIN_GROUP_ANSWERS`: `group_minimum`): only aggregates the product may show,
  never a group that could identify one rater;
- `actions_reviewed` / `actions_done`: agreed dialogue actions reviewed in the period, and
  how many were done (follow-through).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import numpy as np

from service.domain.feedback360_results import DEFAULT_MIN_GROUP_ANSWERS
from service.features.distinct import distinct_sorted
from service.features.distinct import per_value
from service.features.scales import RATING_SCORE

if TYPE_CHECKING:
    from service.features.panel import Panel

Columns = Mapping[str, np.ndarray]
#: Rater groups whose answers are anonymous (the supervisor and self groups are not used).
ANONYMOUS_GROUPS = ("peer", "subordinate")


def group_minimum(min_group_answers: int = DEFAULT_MIN_GROUP_ANSWERS) -> int:
    """The answers an anonymous group needs to reach the 360 feature: the configured
    threshold (`FeedbackSettings.min_group_answers`), never below 3.

    The results of a round may show groups of 2 when an operator allows it; a risk driver's
    value is read by more people (the employee and the supervisor chain), so the feature
    keeps its floor. Above 3 it follows the setting: a group the results hide must not
    reach a driver's value either.
    """
    return max(int(min_group_answers), DEFAULT_MIN_GROUP_ANSWERS)


def fill_signals(
    panel: Panel,
    activity: Columns | None,
    feedback360: Columns | None,
    dialogue_actions: Columns | None,
    min_group_answers: int = DEFAULT_MIN_GROUP_ANSWERS,
) -> None:
    """Set the four signal arrays of `panel` (zeros / NaN where there are no records).

    `min_group_answers` is the configured 360 threshold (`group_minimum` applies it).
    """
    from service.features.panel import _place
    from service.features.panel import _rows
    from service.features.panel import month_ordinals
    from service.features.panel import sum_at

    n, m = panel.shape
    panel.activity_months = np.zeros((n, m))
    panel.peer360 = np.full((n, m), np.nan)
    panel.actions_reviewed = np.zeros((n, m))
    panel.actions_done = np.zeros((n, m))
    if activity is not None and len(activity["employee_id"]):
        months = month_ordinals(_days(activity["activity_date"]))
        rows = _rows(panel.employee_ids, activity["employee_id"])
        first = months.min() if len(months) else 0
        span = int(months.max() - first + 1) if len(months) else 1
        pairs = distinct_sorted(rows * span + (months - first))  # each (row, month) once
        rows, months = pairs // span, pairs % span + first
        cols = panel.axis.index_of_months(months)
        keep = _place(rows, cols, m)
        at = (rows[keep], cols[keep])
        panel.activity_months = sum_at((n, m), at, np.ones(len(at[0])))
    if feedback360 is not None and len(feedback360["employee_id"]):
        _fill_peer360(panel, feedback360, group_minimum(min_group_answers))
    if dialogue_actions is not None and len(dialogue_actions["employee_id"]):
        rows = _rows(panel.employee_ids, dialogue_actions["employee_id"])
        cols = panel.axis.index_of_months(month_ordinals(_days(dialogue_actions["reviewed_at"])))
        keep = _place(rows, cols, m)
        done = per_value(dialogue_actions["done"], _done, bool)
        at = (rows[keep], cols[keep])
        panel.actions_reviewed = sum_at((n, m), at, np.ones(len(at[0])))
        panel.actions_done = sum_at((n, m), at, done[keep] * 1.0)


def _done(value: object) -> bool:
    return bool(value) and value not in ("0", "false")


def _days(values: np.ndarray) -> np.ndarray:
    """Dates, datetimes or their ISO text as datetime64[D] (as they are when read coded)."""
    if np.asarray(values).dtype == np.dtype("datetime64[D]"):
        return np.asarray(values)
    return per_value(values, lambda v: np.datetime64(str(v)[:10], "D"), "datetime64[D]")


def _fill_peer360(panel: Panel, answers: Columns, minimum: int) -> None:
    """Mean score of the shown (anonymous, at least `minimum` answers) groups' answers per
    period."""
    import pandas as pd  # here, not at import: a web worker's start does not need pandas

    from service.features.panel import VALUE_COLUMNS
    from service.features.panel import _place
    from service.features.panel import _rows
    from service.features.panel import sum_at

    scores = np.stack([_scores(answers[c]) for c in VALUE_COLUMNS], axis=1)
    known = ~np.isnan(scores)
    with np.errstate(invalid="ignore", divide="ignore"):
        score = np.where(known, scores, 0.0).sum(axis=1) / known.sum(axis=1)
    # Labels only count each (round, group)'s answers: factorized as read (round ids are
    # numbers, groups text), not through `astype(str)`, which cost 2 us per employee.
    group, groups = pd.factorize(np.asarray(answers["rater_group"], dtype=object))
    rounds, _ = pd.factorize(np.asarray(answers["round_id"]))
    _, inverse, counts = np.unique(
        rounds * len(groups) + group, return_inverse=True, return_counts=True
    )
    anonymous = np.isin(np.asarray(groups, dtype=object), ANONYMOUS_GROUPS)[group]
    shown = anonymous & (counts[inverse] >= minimum)
    rows = _rows(panel.employee_ids, answers["employee_id"])
    cols = panel.axis.index_of_codes(np.asarray(answers["period"], dtype=object))
    keep = _place(rows, cols, panel.shape[1]) & shown & ~np.isnan(score)
    at = (rows[keep], cols[keep])
    total = sum_at(panel.shape, at, score[keep])
    count = sum_at(panel.shape, at, np.ones(len(at[0])))
    panel.peer360 = np.divide(total, count, out=np.full(panel.shape, np.nan), where=count > 0)


def _scores(column: np.ndarray) -> np.ndarray:
    """Scores of one rating column: read as such (a coded read: floats, NaN unknown) or
    mapped from the stored codes (`RATING_SCORE`; NaN for anything else)."""
    values = np.asarray(column)
    if values.dtype.kind == "f":
        return values
    return per_value(values, lambda v: RATING_SCORE.get(str(v), np.nan), np.float64)
