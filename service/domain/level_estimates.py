"""A person's true competency level, estimated from noisy assessments (issue 5).

Assessed levels are measurements: an assessment centre, a CAT or the supervisor's B.1.9 rating
each add their own error, and levels are rounded to half or whole steps. Ranking programmes
from the latest assessment alone chases that noise, so the trained recommender ranks from an
estimate instead (the latest assessed level is still what the answer shows as the gap):

- before any assessment, the level is what people held to the same required level have
  (their mean and spread: the *prior*, as in Kelley's true-score estimate);
- each assessment updates the estimate in proportion to how reliable its method is (a normal
  update, i.e. a Kalman filter over the person's assessments in date order);
- each completed programme that develops the competency raises the estimate by the model's
  expected gain, so assessments before and after it combine correctly.

The measurement variance of each method comes from episodes no programme touched: there the
true level did not move (or moved the same for everyone), so the squared deviation of the
gain from the mean drift, regressed on how many of each method the two assessments used,
gives each method's variance (non-negative least squares).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import pandas as pd

# scipy is imported inside the two functions that use it: this module is imported by every
# web worker at start (through the recommendations), and scipy.optimize alone costs most of
# a second there.

#: Floor of a measurement variance and of a prior variance (levels squared).
MIN_NOISE_VAR = 0.01
MIN_PRIOR_VAR = 0.05
#: Extra variance after a programme: its gain is not known exactly.
PROCESS_VAR = 0.02
DEFAULT = ""
ANY = "*"
LEVEL_MIN = 1.0
LEVEL_MAX = 5.0


def noise_variances(episodes: pd.DataFrame, residuals: np.ndarray) -> dict[str, float]:
    """Return the measurement variance per method ("" = the mean, for unknown methods).

    Parameters
    ----------
    episodes
        Unexposed episodes with columns method and next_method (optional: without them one
        variance, half the mean squared residual, is returned under "").
    residuals
        The gains of those episodes minus their mean drift, same length.
    """
    squared = np.asarray(residuals, dtype=np.float64) ** 2
    if not len(squared):
        return {}
    if "method" not in episodes or "next_method" not in episodes:
        return {DEFAULT: max(MIN_NOISE_VAR, float(squared.mean()) / 2)}
    first = episodes["method"].fillna("").astype(str).to_numpy()
    second = episodes["next_method"].fillna("").astype(str).to_numpy()
    methods = sorted(set(first) | set(second))
    counts = np.zeros((len(squared), len(methods)))
    for column, method in enumerate(methods):
        counts[:, column] = (first == method).astype(float) + (second == method)
    from scipy.optimize import nnls

    variances, _ = nnls(counts, squared)
    found = {m: max(MIN_NOISE_VAR, float(v)) for m, v in zip(methods, variances, strict=True)}
    found[DEFAULT] = float(np.mean(list(found.values())))
    return found


def level_priors(episodes: pd.DataFrame, noise: Mapping[str, float]) -> dict[str, list[float]]:
    """Return [mean, variance] of the true level per required level (key "3").

    Also "" (the level minus the required level, for a required level no episode shows) and
    "*" (the level itself, for when nothing says what is required). Needs a level column; a
    required column (NaN outside a standard) gives the per-requirement entries.
    """
    if not noise or episodes.empty:
        return {}
    error = noise[DEFAULT]
    priors = {ANY: [float(episodes["level"].mean()), _variance(episodes["level"], error)]}
    known = episodes.dropna(subset=["required"]) if "required" in episodes else episodes.iloc[:0]
    if known.empty:
        return priors
    for required, group in known.groupby("required")["level"]:
        if len(group) > 1:
            priors[str(int(required))] = [float(group.mean()), _variance(group, error)]
    offset = known["level"] - known["required"]
    priors[DEFAULT] = [float(offset.mean()), _variance(offset, error)]
    return priors


def _variance(values: pd.Series, error: float) -> float:
    """Return the variance of `values` less the measurement error, at least MIN_PRIOR_VAR."""
    spread = float(values.var()) if len(values) > 1 else 0.0
    return max(MIN_PRIOR_VAR, spread - error)


@dataclass(frozen=True)
class Events:
    """What moves the levels of some items (one person's competency each), as flat arrays.

    A measurement has kind 1, its level in `value` and its method's noise variance in
    `weight`; a completed programme has kind 0, its top level in `value` and the share of the
    distance to it one completion closes in `weight`. On the same day a completion comes
    before an assessment (the assessment already reflects it); `order` breaks the remaining
    ties (the assessment id).
    """

    item: np.ndarray
    day: np.ndarray
    kind: np.ndarray
    order: np.ndarray
    value: np.ndarray
    weight: np.ndarray


MEASURED = 1
COMPLETED = 0


def filter_levels(
    prior_mean: np.ndarray, prior_var: np.ndarray, events: Events
) -> tuple[np.ndarray, np.ndarray]:
    """Return the mean and variance of each item's level after its events (module docstring).

    Every item's events are replayed in date order at once: step r updates the r-th event of
    every item that has one, so a 10,000-person unit costs as many numpy steps as the
    longest history has events. Means are kept within 1 to 5.
    """
    mean = np.asarray(prior_mean, dtype=np.float64).copy()
    var = np.asarray(prior_var, dtype=np.float64).copy()
    if len(events.item):
        order = np.lexsort((events.order, events.kind, events.day, events.item))
        item = events.item[order]
        first = np.r_[0, np.flatnonzero(np.diff(item)) + 1]
        rank = np.arange(len(item)) - np.repeat(first, np.diff(np.r_[first, len(item)]))
        by_rank = np.argsort(rank, kind="stable")
        bounds = np.searchsorted(rank[by_rank], np.arange(rank.max() + 2))
        for step in range(rank.max() + 1):
            at = order[by_rank[bounds[step] : bounds[step + 1]]]
            _step(mean, var, events, at)
    return np.clip(mean, LEVEL_MIN, LEVEL_MAX), var


def _step(mean: np.ndarray, var: np.ndarray, events: Events, at: np.ndarray) -> None:
    """Apply one event to each of the items in `at` (they are distinct items)."""
    item = events.item[at]
    value, weight = events.value[at], events.weight[at]
    m, v = mean[item], var[item]
    measured = events.kind[at] == MEASURED
    # Kalman gain of a measurement (unused for a completion, whose weight is its share).
    pull = v / (v + np.where(measured, weight, 1.0))
    mean[item] = np.where(
        measured, m + pull * (value - m), m + weight * np.maximum(value - m, 0.0)
    )
    var[item] = np.where(measured, v * (1 - pull), v + PROCESS_VAR)


def prior_arrays(
    required: np.ndarray | None, n: int, priors: Mapping[str, list[float]]
) -> tuple[np.ndarray, np.ndarray]:
    """Return the prior mean and variance of `n` levels with these required levels.

    `required` may hold NaN (outside any standard: the overall prior) or be None (all NaN).
    """
    needed = np.full(n, np.nan) if required is None else np.asarray(required, dtype=np.float64)
    mean, var = np.empty(n), np.empty(n)
    known = ~np.isnan(needed)
    overall = priors.get(ANY, [float(np.nanmean(needed)) if known.any() else 3.0, 1.0])
    mean[~known], var[~known] = overall
    for value in np.unique(needed[known]):
        at = needed == value
        mean[at], var[at] = prior_of(int(value), priors)
    return mean, var


def expected_shortfall(bound: np.ndarray, mean: np.ndarray, sd: np.ndarray) -> np.ndarray:
    """Return E[max(0, bound - L)] for L normal with this mean and sd (max(0, bound - mean)
    where sd is 0): the expected distance below a top level or a requirement."""
    bound, mean, sd = np.broadcast_arrays(*map(np.asarray, (bound, mean, sd)))
    below = np.maximum(bound - mean, 0.0)
    spread = sd > 0
    if not spread.any():
        return below.astype(np.float64)
    from scipy.special import ndtr

    z = np.divide(bound - mean, sd, out=np.zeros(bound.shape), where=spread)
    smooth = (bound - mean) * ndtr(z) + sd * np.exp(-0.5 * z * z) / np.sqrt(2 * np.pi)
    return np.where(spread, smooth, below)


def prior_of(required: int, priors: Mapping[str, list[float]]) -> tuple[float, float]:
    """Return the prior of a level: by its requirement, else offset from it, else overall."""
    if str(required) in priors:
        mean, variance = priors[str(required)]
        return mean, variance
    if DEFAULT in priors:
        offset, variance = priors[DEFAULT]
        return required + offset, variance
    mean, variance = priors.get(ANY, [float(required), 1.0])
    return mean, variance
