"""A panel seen from the end of one period: the look-back slices every feature reads.

`Window(panel, t)` exposes the panel columns from `lo` (at most `lookback` periods back) to
`t` and a few derived arrays that several features share (which periods were evaluated and
poor, the last evaluated one, the latest rater's statistics), computed once per window.
Nothing after period `t` is reachable from here, and a panel that starts exactly `lookback`
periods before t (the serving path) gives the same values as a long one (training).
"""

from __future__ import annotations

from functools import cached_property

import numpy as np

from service.features.panel import VALUE_COLUMNS
from service.features.panel import Panel
from service.features.scales import POOR_BELOW
from service.features.scales import WINDOW
from service.features.scales import lookback


def mean(values: np.ndarray, axis: int | tuple[int, ...]) -> np.ndarray:
    """NaN-ignoring mean that returns NaN (without a warning) where nothing is known."""
    known = ~np.isnan(values)
    count = known.sum(axis=axis)
    total = np.where(known, values, 0.0).sum(axis=axis)
    return np.divide(total, count, out=np.full(count.shape, np.nan), where=count > 0)


def ratio(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    """numerator / denominator, NaN where the denominator is not positive."""
    return np.divide(
        numerator, denominator, out=np.full(numerator.shape, np.nan), where=denominator > 0
    )


def pick(array: np.ndarray, index: np.ndarray) -> np.ndarray:
    """Pick array[i, index[i]] (NaN where index is -1)."""
    rows = np.arange(array.shape[0])
    picked = array[rows, np.maximum(index, 0)].astype(np.float64)
    picked[index < 0] = np.nan
    return picked


def last_known(array: np.ndarray) -> np.ndarray:
    """Column index of each row's last non-NaN value, -1 when the row has none."""
    positions = np.where(~np.isnan(array), np.arange(array.shape[1]), -1)
    return positions.max(axis=1) if array.shape[1] else np.full(array.shape[0], -1)


def streak(poor: np.ndarray, evaluated: np.ndarray) -> np.ndarray:
    """Consecutive poor evaluations ending at the latest one (unevaluated periods skipped)."""
    run = np.zeros(poor.shape[0])
    alive = np.ones(poor.shape[0], dtype=bool)
    for c in range(poor.shape[1] - 1, -1, -1):
        run += alive & poor[:, c]
        alive &= ~(evaluated[:, c] & ~poor[:, c])
    return run


class Window:
    """The panel as known at the end of period index `t`.

    Attributes
    ----------
    lo : first panel column read (the look-back start)
    wlo : first column of the one-window span, relative to `lo`
    """

    def __init__(self, panel: Panel, t: int) -> None:
        if not 0 <= t < panel.axis.length:
            raise IndexError(f"period index {t} is outside the panel's 0..{panel.axis.length - 1}")
        self.panel, self.t = panel, t
        self.lo = max(0, t - lookback(panel.axis.kind) + 1)
        self.wlo = max(0, t - WINDOW[panel.axis.kind] + 1) - self.lo

    # slices -------------------------------------------------------------------------------
    def span(self, array: np.ndarray) -> np.ndarray:
        """Columns lo..t of an (n, m[, k]) panel array: the look-back."""
        return array[:, self.lo : self.t + 1]

    def recent(self, array: np.ndarray) -> np.ndarray:
        """The last window (about a year) of the look-back."""
        return self.span(array)[:, self.wlo :]

    def now(self, array: np.ndarray) -> np.ndarray:
        """Column t of an (n, m) panel array."""
        return array[:, self.t].astype(np.float64)

    def before(self, array: np.ndarray) -> np.ndarray:
        """Column t-1 (NaN when it lies outside the look-back)."""
        if self.t - 1 < self.lo:
            return np.full(array.shape[0], np.nan)
        return array[:, self.t - 1].astype(np.float64)

    def at_last(self, array: np.ndarray) -> np.ndarray:
        """Each row's value in its last evaluated period of the look-back."""
        return pick(self.span(array), self.last)

    # evaluations --------------------------------------------------------------------------
    @cached_property
    def evaluated(self) -> np.ndarray:
        return ~np.isnan(self.span(self.panel.predikat))

    @cached_property
    def poor(self) -> np.ndarray:
        predikat = np.nan_to_num(self.span(self.panel.predikat), nan=POOR_BELOW)
        return self.evaluated & (predikat < POOR_BELOW)

    @cached_property
    def poor_or_nan(self) -> np.ndarray:
        return np.where(self.evaluated, self.poor, np.nan)

    @cached_property
    def last(self) -> np.ndarray:
        """Index (within the look-back) of the last evaluated period, -1 if none."""
        return last_known(self.span(self.panel.predikat))

    @cached_property
    def latest_values(self) -> np.ndarray:
        """(n, 7) BerAKHLAK ratings of the last evaluated period."""
        values = self.span(self.panel.values)
        return np.stack([pick(values[:, :, k], self.last) for k in range(values.shape[2])], 1)

    def value_last(self, column: str) -> np.ndarray:
        """The last evaluated rating of one BerAKHLAK value (`VALUE_COLUMNS` entry)."""
        return self.latest_values[:, VALUE_COLUMNS.index(column)]

    def values_below_last(self) -> np.ndarray:
        below = (self.latest_values == -1).sum(axis=1).astype(np.float64)
        return np.where(np.isnan(self.latest_values).all(axis=1), np.nan, below)

    def values_mean_before(self) -> np.ndarray:
        """Mean BerAKHLAK rating of period t-1."""
        if self.t - 1 < self.lo:
            return np.full(self.panel.shape[0], np.nan)
        return mean(self.panel.values[:, self.t - 1, :], 1)

    def periods_since_evaluation(self) -> np.ndarray:
        width = self.t - self.lo
        return np.where(self.last >= 0, width - self.last, width + 1).astype(np.float64)

    # achievement --------------------------------------------------------------------------
    @cached_property
    def _achievement(self) -> tuple[np.ndarray, np.ndarray]:
        window = self.recent(self.panel.achievement)
        return window, last_known(window)

    def achievement_last(self) -> np.ndarray:
        window, last = self._achievement
        return pick(window, last)

    def achievement_trend(self) -> np.ndarray:
        window, last = self._achievement
        earlier = np.where(np.arange(window.shape[1]) < last[:, None], window, np.nan)
        return pick(window, last) - mean(earlier, 1)

    # attendance ---------------------------------------------------------------------------
    def attendance_rate(self, column: str) -> np.ndarray:
        """Present / working days in one column ("now" or "before")."""
        take = getattr(self, column)
        return ratio(take(self.panel.present_days), take(self.panel.work_days))

    def late_rate(self, column: str) -> np.ndarray:
        """Late / present days in one column ("now" or "before")."""
        take = getattr(self, column)
        return ratio(take(self.panel.late_days), take(self.panel.present_days))

    def recent_ratio(self, numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
        """sum(numerator) / sum(denominator) over the last window."""
        return ratio(self.recent(numerator).sum(axis=1), self.recent(denominator).sum(axis=1))

    # profile ------------------------------------------------------------------------------
    def jp_last_year(self) -> np.ndarray:
        year_lo = max(0, self.t - self.panel.axis.per_year + 1)
        return self.panel.jp[:, year_lo : self.t + 1].sum(axis=1)

    def tenure_years(self) -> np.ndarray:
        tenure = (self.panel.axis.end_month(self.t) - self.panel.hire_month) / 12.0
        return np.where(tenure >= 0, tenure, np.nan)

    # the latest rater ---------------------------------------------------------------------
    @cached_property
    def _rater_position(self) -> tuple[np.ndarray, np.ndarray]:
        """Row of each employee's latest rater in the rater arrays, and whether it is known."""
        panel = self.panel
        current = pick(self.span(panel.rater), last_known(self.span(panel.rater)))
        found = ~np.isnan(current)
        ids = np.nan_to_num(current).astype(np.int64)
        last_row = max(len(panel.rater_ids) - 1, 0)
        position = np.minimum(np.searchsorted(panel.rater_ids, ids), last_row)
        if len(panel.rater_ids):
            found &= panel.rater_ids[position] == ids
        else:
            found[:] = False
        return position, found

    def rater_sum(self, name: str) -> np.ndarray:
        """The latest rater's `rater_<name>` array summed over the look-back (0 if unknown)."""
        position, found = self._rater_position
        total = np.zeros(len(found))
        block = getattr(self.panel, f"rater_{name}")
        total[found] = block[position[found], self.lo : self.t + 1].sum(axis=1)
        return total

    def rater_mean(self, name: str) -> np.ndarray:
        """Per evaluation the latest rater gave over the look-back: `rater_<name>` / count."""
        return ratio(self.rater_sum(name), self.rater_sum("count"))

    def rater_output(self) -> np.ndarray:
        """Mean output (realised / pro-rated target) of the people the latest rater rated."""
        share = self.rater_sum("output_share") * self.panel.axis.per_year
        return ratio(share, self.rater_sum("output_people"))

    # continuous performance (issue 8) ------------------------------------------------------
    def activity_share(self, array: np.ndarray) -> np.ndarray:
        """Share of the months of `array`'s periods (one or more columns) with a log entry."""
        months = 12 // self.panel.axis.per_year
        block = array if array.ndim == 2 else array[:, None]
        return block.sum(axis=1) / (months * block.shape[1])

    def peer360_latest(self) -> np.ndarray:
        """The latest shown 360 peer aggregate within the last window (NaN if none)."""
        window = self.recent(self.panel.peer360)
        return pick(window, last_known(window))

    def follow_through(self) -> np.ndarray:
        """Share of the dialogue actions reviewed in the last window that were done."""
        return ratio(
            self.recent(self.panel.actions_done).sum(axis=1),
            self.recent(self.panel.actions_reviewed).sum(axis=1),
        )
