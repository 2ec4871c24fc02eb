"""Feature values of every employee of a panel as of the end of one period, in numpy.

Only panel columns up to and including period `t`, and no further back than `lookback(kind)`
periods, are read: data of period t+1 cannot reach the features of period t, and a panel that
starts exactly `lookback` periods before t (the serving path) gives the same values as a long
one (training).
"""

from __future__ import annotations

import numpy as np

from service.domain.entities import PeriodKind
from service.features.catalogue import FEATURE_INDEX
from service.features.catalogue import FEATURE_NAMES
from service.features.catalogue import POOR_BELOW
from service.features.catalogue import WINDOW
from service.features.panel import Panel


def lookback(kind: PeriodKind) -> int:
    """Number of periods, ending at t, that features may read (two windows)."""
    return 2 * WINDOW[kind]


def _mean(values: np.ndarray, axis: int | tuple[int, ...]) -> np.ndarray:
    """NaN-ignoring mean that returns NaN (without a warning) where nothing is known."""
    known = ~np.isnan(values)
    count = known.sum(axis=axis)
    total = np.where(known, values, 0.0).sum(axis=axis)
    return np.divide(total, count, out=np.full(count.shape, np.nan), where=count > 0)


def _ratio(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    return np.divide(
        numerator, denominator, out=np.full(numerator.shape, np.nan), where=denominator > 0
    )


def _at(array: np.ndarray, index: np.ndarray) -> np.ndarray:
    """Pick array[i, index[i]] (NaN where index is -1)."""
    rows = np.arange(array.shape[0])
    picked = array[rows, np.maximum(index, 0)].astype(np.float64)
    picked[index < 0] = np.nan
    return picked


def _last_known(array: np.ndarray) -> np.ndarray:
    """Column index of each row's last non-NaN value, -1 when the row has none."""
    positions = np.where(~np.isnan(array), np.arange(array.shape[1]), -1)
    return positions.max(axis=1) if array.shape[1] else np.full(array.shape[0], -1)


def _streak(poor: np.ndarray, evaluated: np.ndarray) -> np.ndarray:
    """Consecutive poor evaluations ending at the latest one (unevaluated periods skipped)."""
    streak = np.zeros(poor.shape[0])
    alive = np.ones(poor.shape[0], dtype=bool)
    for c in range(poor.shape[1] - 1, -1, -1):
        streak += alive & poor[:, c]
        alive &= ~(evaluated[:, c] & ~poor[:, c])
    return streak


def features_at(panel: Panel, t: int) -> np.ndarray:
    """Return the (employees, features) matrix as of the end of period `t` of the panel.

    Columns follow `FEATURE_NAMES`; missing information is NaN (the trees route it).
    """
    if not 0 <= t < panel.axis.length:
        raise IndexError(f"period index {t} is outside the panel's 0..{panel.axis.length - 1}")
    lo = max(0, t - lookback(panel.axis.kind) + 1)
    wlo = max(0, t - WINDOW[panel.axis.kind] + 1) - lo
    out = np.full((panel.shape[0], len(FEATURE_NAMES)), np.nan)
    _evaluation_features(out, panel, lo, t, wlo)
    _achievement_features(out, panel.achievement[:, lo : t + 1], wlo)
    _attendance_features(out, panel, lo, t, wlo)
    _profile_features(out, panel, t)
    _rater_features(out, panel, lo, t)
    return out


def _set(out: np.ndarray, name: str, values: np.ndarray) -> None:
    out[:, FEATURE_INDEX[name]] = values


def _evaluation_features(out: np.ndarray, panel: Panel, lo: int, t: int, wlo: int) -> None:
    predikat = panel.predikat[:, lo : t + 1]
    evaluated = ~np.isnan(predikat)
    poor = evaluated & (np.nan_to_num(predikat, nan=POOR_BELOW) < POOR_BELOW)
    last = _last_known(predikat)
    _set(out, "predikat_last", _at(predikat, last))
    _set(out, "poor_last", np.where(last >= 0, _at(poor, last), np.nan))
    _set(out, "poor_share_window", _mean(np.where(evaluated, poor, np.nan)[:, wlo:], 1))
    _set(out, "poor_streak", _streak(poor[:, wlo:], evaluated[:, wlo:]))
    work = panel.work[:, lo : t + 1]
    _set(out, "work_result_last", _at(work, last))
    _set(out, "work_result_mean_window", _mean(work[:, wlo:], 1))
    _set(out, "behavior_last", _at(panel.behavior[:, lo : t + 1], last))
    values = panel.values[:, lo : t + 1, :]
    for k in range(values.shape[2]):
        out[:, FEATURE_INDEX["behavior_last"] + 1 + k] = _at(values[:, :, k], last)
    latest = np.stack([_at(values[:, :, k], last) for k in range(values.shape[2])], axis=1)
    below = (latest == -1).sum(axis=1).astype(np.float64)
    _set(out, "behavior_values_below_last", np.where(np.isnan(latest).all(axis=1), np.nan, below))
    _set(out, "behavior_values_mean_last", _mean(latest, 1))
    _set(out, "behavior_values_mean_window", _mean(values[:, wlo:, :], (1, 2)))
    _set(out, "poor_share_lookback", _mean(np.where(evaluated, poor, np.nan), 1))
    _set(out, "work_result_mean_lookback", _mean(work, 1))
    _set(out, "behavior_mean_lookback", _mean(values, (1, 2)))
    _set(out, "periods_evaluated", evaluated.sum(axis=1).astype(np.float64))
    since = np.where(last >= 0, (t - lo) - last, t - lo + 1)
    _set(out, "periods_since_evaluation", since.astype(np.float64))


def _achievement_features(out: np.ndarray, achievement: np.ndarray, wlo: int) -> None:
    window = achievement[:, wlo:]
    last = _last_known(window)
    latest = _at(window, last)
    earlier = np.where(np.arange(window.shape[1]) < last[:, None], window, np.nan)
    _set(out, "achievement_last", latest)
    _set(out, "achievement_mean_window", _mean(window, 1))
    _set(out, "achievement_trend", latest - _mean(earlier, 1))
    _set(out, "achievement_mean_lookback", _mean(achievement, 1))


def _attendance_features(out: np.ndarray, panel: Panel, lo: int, t: int, wlo: int) -> None:
    present, work = panel.present_days[:, t], panel.work_days[:, t]
    _set(out, "attendance_rate_last", _ratio(present, work))
    _set(out, "late_rate_last", _ratio(panel.late_days[:, t], present))
    first = lo + wlo
    window_present = panel.present_days[:, first : t + 1].sum(axis=1)
    window_work = panel.work_days[:, first : t + 1].sum(axis=1)
    _set(out, "attendance_rate_window", _ratio(window_present, window_work))


def _profile_features(out: np.ndarray, panel: Panel, t: int) -> None:
    _set(out, "jpm", panel.jpm[:, t])
    _set(out, "max_gap", panel.max_gap[:, t])
    _set(out, "gap_count", panel.gap_count[:, t])
    _set(out, "competency_balance", panel.balance[:, t])
    year_lo = max(0, t - panel.axis.per_year + 1)
    _set(out, "jp_last_year", panel.jp[:, year_lo : t + 1].sum(axis=1))
    tenure = (panel.axis.end_month(t) - panel.hire_month) / 12.0
    _set(out, "tenure_years", np.where(tenure >= 0, tenure, np.nan))
    _set(out, "grade_rank", panel.grade)


def _rater_features(out: np.ndarray, panel: Panel, lo: int, t: int) -> None:
    """What the employee's latest rater gave everyone they rated over the look-back."""
    rater = panel.rater[:, lo : t + 1]
    current = _at(rater, _last_known(rater))
    found = ~np.isnan(current)
    position = np.searchsorted(panel.rater_ids, np.nan_to_num(current).astype(np.int64))
    position = np.minimum(position, max(len(panel.rater_ids) - 1, 0))
    if len(panel.rater_ids):
        found &= panel.rater_ids[position] == np.nan_to_num(current)
    count = np.zeros(len(current))
    sums = {name: np.zeros(len(current)) for name in ("work", "behavior", "poor")}
    if found.any():
        count[found] = panel.rater_count[position[found], lo : t + 1].sum(axis=1)
        for name in sums:
            block = getattr(panel, f"rater_{name}")[position[found], lo : t + 1]
            sums[name][found] = block.sum(axis=1)
    _set(out, "rater_work_mean_lookback", _ratio(sums["work"], count))
    _set(out, "rater_behavior_mean_lookback", _ratio(sums["behavior"], count))
    _set(out, "rater_poor_share_lookback", _ratio(sums["poor"], count))
