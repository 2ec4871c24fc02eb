"""Batch entry points: DataFrames of stored history in, feature and label frames out."""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field

import numpy as np
import pandas as pd

from service.domain.feedback360_results import DEFAULT_MIN_GROUP_ANSWERS
from service.features.catalogue import FEATURE_NAMES
from service.features.catalogue import MIN_EVALUATED_PERIODS
from service.features.catalogue import POOR_BELOW
from service.features.compute import features_at
from service.features.panel import VALUE_COLUMNS
from service.features.panel import Panel
from service.features.panel import PeriodAxis
from service.features.panel import build_panel

LABEL = "label"


def _frame(*columns: str) -> pd.DataFrame:
    return pd.DataFrame({name: pd.Series(dtype=object) for name in columns})


@dataclass
class Histories:
    """Stored history of a set of employees, one DataFrame per source (see `build_panel`).

    Attributes
    ----------
    employees : employee_id, hire_date, grade, and for the fairness report only gender,
        birth_date (never features)
    evaluations : employee_id, period, rater_id (optional), predikat, work_result_rating,
        behavior_rating, behavior_<value> x 7
    achievements : employee_id, period, aspect, value, target_value
    attendance : employee_id, month, work_days, present_days, late_days
    assessments : employee_id, assessed_on, level, required_level
    enrolments : employee_id, end_date, jp
    rater_stats : rater_id, period, ratings, work_sum, behavior_sum, poor_sum
    activity, feedback360, dialogue_actions : the continuous-performance records
        (`build_panel` names their columns)
    """

    employees: pd.DataFrame
    evaluations: pd.DataFrame
    achievements: pd.DataFrame = field(
        default_factory=lambda: _frame("employee_id", "period", "aspect", "value", "target_value")
    )
    attendance: pd.DataFrame = field(
        default_factory=lambda: _frame(
            "employee_id", "month", "work_days", "present_days", "late_days"
        )
    )
    assessments: pd.DataFrame = field(
        default_factory=lambda: _frame("employee_id", "assessed_on", "level", "required_level")
    )
    enrolments: pd.DataFrame = field(
        default_factory=lambda: _frame("employee_id", "end_date", "jp")
    )
    rater_stats: pd.DataFrame = field(
        default_factory=lambda: _frame(
            "rater_id", "period", "ratings", "work_sum", "behavior_sum", "poor_sum"
        )
    )
    activity: pd.DataFrame = field(default_factory=lambda: _frame("employee_id", "activity_date"))
    feedback360: pd.DataFrame = field(
        default_factory=lambda: _frame(
            "employee_id", "period", "round_id", "rater_group", *VALUE_COLUMNS
        )
    )
    dialogue_actions: pd.DataFrame = field(
        default_factory=lambda: _frame("employee_id", "reviewed_at", "done")
    )


def _columns(frame: pd.DataFrame) -> dict[str, np.ndarray]:
    return {name: frame[name].to_numpy() for name in frame.columns}


def panel_from_histories(
    histories: Histories, axis: PeriodAxis, min_group_answers: int = DEFAULT_MIN_GROUP_ANSWERS
) -> Panel:
    """Build the dense panel of every employee in `histories.employees` over `axis`
    (`min_group_answers`: the configured 360 anonymity threshold, see `build_panel`)."""
    return build_panel(
        axis,
        _columns(histories.employees),
        _columns(histories.evaluations),
        _columns(histories.achievements),
        _columns(histories.attendance),
        _columns(histories.assessments),
        _columns(histories.enrolments),
        _columns(histories.rater_stats),
        _columns(histories.activity),
        _columns(histories.feedback360),
        _columns(histories.dialogue_actions),
        min_group_answers,
    )


def axis_of(evaluations: pd.DataFrame, kind: str | None = None) -> PeriodAxis:
    """Span the periods found in `evaluations` of the dominant (or given) period kind."""
    from service.domain.periods import parse_period

    parsed = [parse_period(code) for code in pd.unique(evaluations["period"])]
    if not parsed:
        raise ValueError("no evaluations: cannot derive a period axis")
    kinds = pd.Series([p.kind.value for p in parsed]).value_counts()
    chosen = kind or kinds.index[0]
    same = sorted(p for p in parsed if p.kind.value == chosen)
    return PeriodAxis.spanning(same[0].code, same[-1].code)


def feature_frame(panel: Panel, t: int) -> pd.DataFrame:
    """Return features as of period index `t` for every employee of the panel.

    Returns
    -------
    DataFrame with employee_id, period (code) and one column per `FEATURE_NAMES` entry.
    """
    frame = pd.DataFrame(features_at(panel, t), columns=list(FEATURE_NAMES))
    frame.insert(0, "period", panel.axis.code(t))
    frame.insert(0, "employee_id", panel.employee_ids)
    return frame


def sufficient(frame: pd.DataFrame) -> pd.Series:
    """Rows with enough evaluated periods for a model answer (else "insufficient_data")."""
    return frame["periods_evaluated"] >= MIN_EVALUATED_PERIODS


def labelled_rows(panel: Panel, first: int | None = None) -> pd.DataFrame:
    """Stack (employee, period t) rows for every t whose next period was evaluated.

    A row qualifies when the employee was evaluated in t and in t+1 and has at least
    `MIN_EVALUATED_PERIODS` evaluated periods by t. `first` skips early periods (default 1).

    Returns
    -------
    DataFrame with employee_id, period, the features and `label` (1 if t+1 was poor).
    """
    start = 1 if first is None else first
    parts = []
    for t in range(start, panel.axis.length - 1):
        now, nxt = panel.predikat[:, t], panel.predikat[:, t + 1]
        keep = ~np.isnan(now) & ~np.isnan(nxt)
        frame = feature_frame(panel, t)
        frame[LABEL] = (nxt < POOR_BELOW).astype(np.int8)
        parts.append(frame[keep & sufficient(frame).to_numpy()])
    if not parts:
        return pd.DataFrame(columns=["employee_id", "period", *FEATURE_NAMES, LABEL])
    return pd.concat(parts, ignore_index=True)
