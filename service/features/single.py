"""The serving path: one employee's stored rows in, one feature row out, no DataFrames.

It builds a panel that starts exactly `lookback` periods before the period asked for and runs
the same `features_at` as training, so the served features equal the trained ones.
"""

from __future__ import annotations

from collections.abc import Mapping
from collections.abc import Sequence
from datetime import date
from typing import Any

import numpy as np

from service.domain.feedback360_results import DEFAULT_MIN_GROUP_ANSWERS
from service.features.compute import features_at
from service.features.compute import lookback
from service.features.panel import VALUE_COLUMNS
from service.features.panel import PeriodAxis
from service.features.panel import build_panel

Rows = Sequence[Mapping[str, Any]]
RATER_STATS = (
    "rater_id", "period", "ratings", "work_sum", "behavior_sum", "poor_sum",
    "output_share_sum", "output_people",
)  # fmt: skip


FEEDBACK360 = ("employee_id", "period", "round_id", "rater_group", *VALUE_COLUMNS)


def _columns(rows: Rows, names: Sequence[str]) -> dict[str, np.ndarray]:
    """One object array per column; a column missing from the rows is all None."""
    return {name: np.array([row.get(name) for row in rows], dtype=object) for name in names}


def _dates(rows: Rows, name: str) -> np.ndarray:
    return np.array([row[name] for row in rows], dtype="datetime64[D]")


def serving_axis(period: str) -> PeriodAxis:
    """The shortest axis that gives the full features of `period`."""
    last = PeriodAxis.spanning(period, period)
    span = lookback(last.kind)
    return PeriodAxis(last.kind, last.first - span + 1, span)


def history_start(axis: PeriodAxis) -> date:
    """First day of the dated records (attendance, programmes, ...) the serving path reads.

    A year before the axis starts: a generous margin, since the panel places every dated
    record in its period and ignores what falls before the axis.
    """
    return date(axis.first // axis.per_year - 1, 1, 1)


def employee_features(
    period: str,
    employee: Mapping[str, Any],
    evaluations: Rows,
    achievements: Rows = (),
    attendance: Rows = (),
    assessments: Rows = (),
    enrolments: Rows = (),
    rater_stats: Rows = (),
    activity: Rows = (),
    feedback360: Rows = (),
    dialogue_actions: Rows = (),
    min_group_answers: int = DEFAULT_MIN_GROUP_ANSWERS,
) -> np.ndarray:
    """Return the (1, features) row of one employee as of the end of `period`.

    Each `Rows` argument is a list of mappings with the columns `build_panel` documents
    (dates as `datetime.date`); rows outside the look-back are ignored.
    `min_group_answers` is the configured 360 anonymity threshold (`build_panel`).
    """
    axis = serving_axis(period)
    evaluation_columns = [name for name in (evaluations[0] if evaluations else {})]
    panel = build_panel(
        axis,
        {
            "employee_id": np.array([employee["employee_id"]]),
            "hire_date": np.array([employee.get("hire_date")], dtype="datetime64[D]"),
            "grade": np.array([employee.get("grade")], dtype=object),
        },
        _columns(evaluations, evaluation_columns)
        if evaluations
        else {"employee_id": np.empty(0), "period": np.empty(0)},
        _columns(achievements, ("employee_id", "period", "aspect", "value", "target_value")),
        _columns(attendance, ("employee_id", "month", "work_days", "present_days", "late_days")),
        {
            **_columns(assessments, ("employee_id", "level", "required_level")),
            "assessed_on": _dates(assessments, "assessed_on"),
        },
        {
            **_columns(enrolments, ("employee_id", "jp")),
            "end_date": _dates(enrolments, "end_date"),
        },
        _columns(rater_stats, RATER_STATS),
        _columns(activity, ("employee_id", "activity_date")),
        _columns(feedback360, FEEDBACK360),
        _columns(dialogue_actions, ("employee_id", "reviewed_at", "done")),
        min_group_answers,
    )
    return features_at(panel, axis.length - 1)
