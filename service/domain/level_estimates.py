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

from collections.abc import Callable
from collections.abc import Mapping
from collections.abc import Sequence
from datetime import date

import numpy as np
import pandas as pd
from scipy.optimize import nnls

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


def estimate_level(
    required: int,
    measurements: Sequence[tuple[date, float, str]],
    completions: Sequence[tuple[date, str]],
    noise: Mapping[str, float],
    priors: Mapping[str, list[float]],
    gain: Callable[[str, float], float],
) -> float:
    """Return the estimated true level now (module docstring), within 1 to 5.

    `measurements` are in date order; `completions` are the completed programmes that develop
    this competency; `gain(code, level)` is the expected gain of one of them for a person at
    `level`. On the same day a completion comes before an assessment (the assessment already
    reflects it).
    """
    mean, variance = _prior(required, priors)
    default = noise[DEFAULT]
    if not completions:
        for _on, level, method in measurements:
            weight = variance / (variance + noise.get(method, default))
            mean += weight * (level - mean)
            variance *= 1 - weight
        return min(max(mean, LEVEL_MIN), LEVEL_MAX)
    events = [(on, 1, "", level, method) for on, level, method in measurements]
    events = sorted(events + [(on, 0, code, 0.0, "") for on, code in completions])
    for _on, kind, code, level, method in events:
        if kind == 0:
            mean += gain(code, mean)
            variance += PROCESS_VAR
        else:
            weight = variance / (variance + noise.get(method, default))
            mean += weight * (level - mean)
            variance *= 1 - weight
    return min(max(mean, LEVEL_MIN), LEVEL_MAX)


def _prior(required: int, priors: Mapping[str, list[float]]) -> tuple[float, float]:
    """Return the prior of a level: by its requirement, else offset from it, else overall."""
    if str(required) in priors:
        mean, variance = priors[str(required)]
        return mean, variance
    if DEFAULT in priors:
        offset, variance = priors[DEFAULT]
        return required + offset, variance
    mean, variance = priors.get(ANY, [float(required), 1.0])
    return mean, variance
