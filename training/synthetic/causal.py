"""The hidden causal structure of the synthetic data: every equation the generator follows.

Per employee i (static): ability a ~ N(0, 1), behaviour disposition d ~ N(0, 1), and, as a
rater, a leniency l ~ N(0, `leniency_sd`) and a harsh-rater flag (see `SyntheticConfig`).
Nothing here depends on gender, age or region: group membership has no true effect.

Per quarter t, with s = the rater shift of i's supervisor (leniency, minus the harsh-rater
bias B when the supervisor is harsh and i is in the harsh group):

    motivation   m_t   = rho m_{t-1} + sqrt(1 - rho^2) e_t                  (AR(1), N(0, 1))
    attendance   att_t = gamma m_t + sqrt(1 - gamma^2) h_t                  (drives the counts)
    fit          f_t   = job-person match of true levels to the standard, minus its expectation
                         at that standard (so a position's tier, and thus age, has no effect)
    performance  w_t   = b_a a + b_m m_t + b_f f_t + b_att att_t + sd_shock k_t
    work score   W_t   = w_t + s + sd_rw n_t        -> di_bawah / sesuai / di_atas at thresholds
    behaviour    B_t   = c_d d + c_m m_t + s + sd_rb g_t   -> behaviour rating the same way
    value j      V_jt  = B_t + sd_v u_jt            -> the seven BerAKHLAK value ratings
    predikat     = predikat_for(work rating, behaviour rating)   (the regulation's matrix)

e, h, k, n, g, u are independent N(0, 1) draws, hidden from any model. True competency levels
change only when a program is completed: each covered competency gains
`true_gain(effect, level, max_level)` from the next quarter on.

The oracle `p_poor_next` is exact: given a, d, m_t, the fit of the levels in force at t+1 and
s, the two scores at t+1 are independent normals conditional on m_{t+1}, so the probability
of a poor predikat (either score below its lower threshold) is integrated over m_{t+1} by
Gauss-Hermite quadrature. The defaults were calibrated for a poor rate near 10% and an oracle
ROC AUC near 0.82 (the DESIGN.md bounds are 3-15% and 0.75-0.90).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from scipy.special import ndtr

from service.domain.entities import Predikat
from service.domain.entities import Rating
from service.domain.predikat import predikat_for

#: Rating codes used in arrays: index into this tuple.
RATINGS: tuple[Rating, ...] = (
    Rating.DI_BAWAH_EKSPEKTASI,
    Rating.SESUAI_EKSPEKTASI,
    Rating.DI_ATAS_EKSPEKTASI,
)
BELOW = 0
_QUADRATURE_NODES = 40


@dataclass(frozen=True)
class CausalParams:
    """Coefficients of the structural equations (see the module docstring)."""

    ability_weight: float = 0.5
    motivation_weight: float = 0.5
    fit_weight: float = 0.8
    attendance_weight: float = 0.3
    shock_sd: float = 0.65
    work_rating_noise_sd: float = 0.5
    disposition_weight: float = 0.6
    behavior_motivation_weight: float = 0.4
    behavior_rating_noise_sd: float = 0.6
    value_noise_sd: float = 0.5
    motivation_persistence: float = 0.6
    attendance_motivation_corr: float = 0.6
    leniency_sd: float = 0.3
    work_below: float = -1.75
    work_above: float = 0.9
    behavior_below: float = -1.9
    behavior_above: float = 0.75
    # True competency level at the start: standard + offset + ability + person + item noise.
    level_offset: float = -0.2
    level_ability_weight: float = 0.3
    level_person_sd: float = 0.3
    level_item_sd: float = 0.5
    # Fit counts each item's surplus or shortfall within these bounds.
    fit_floor: float = -2.0
    fit_ceiling: float = 0.5

    @property
    def level_sd(self) -> float:
        """Standard deviation of an initial true level around its standard (before clipping)."""
        return float(
            np.sqrt(self.level_ability_weight**2 + self.level_person_sd**2 + self.level_item_sd**2)
        )


PARAMS = CausalParams()


def next_motivation(
    motivation: np.ndarray, rng: np.random.Generator, params: CausalParams = PARAMS
) -> np.ndarray:
    """Advance motivation one quarter (AR(1) with a stationary N(0, 1) distribution)."""
    rho = params.motivation_persistence
    return rho * motivation + np.sqrt(1 - rho**2) * rng.standard_normal(motivation.shape)


def attendance_latent(
    motivation: np.ndarray, rng: np.random.Generator, params: CausalParams = PARAMS
) -> np.ndarray:
    """Draw the quarter's attendance behaviour, N(0, 1) and correlated with motivation."""
    gamma = params.attendance_motivation_corr
    return gamma * motivation + np.sqrt(1 - gamma**2) * rng.standard_normal(motivation.shape)


def item_fit(
    levels: np.ndarray, required: np.ndarray, params: CausalParams = PARAMS
) -> np.ndarray:
    """Return each competency's bounded surplus (+) or shortfall (-) against its standard."""
    return np.clip(levels - required, params.fit_floor, params.fit_ceiling)


@lru_cache(maxsize=4)
def expected_item_fit(params: CausalParams = PARAMS) -> np.ndarray:
    """Return E[item fit at the start] for required levels 0..5 (index = level; 0 unused)."""
    nodes, weights = np.polynomial.hermite_e.hermegauss(_QUADRATURE_NODES)
    weights = weights / weights.sum()
    table = np.zeros(6)
    for required in range(1, 6):
        raw = params.level_offset + params.level_sd * nodes
        gap = np.clip(raw, 1 - required, 5 - required)
        table[required] = float(
            np.dot(weights, np.clip(gap, params.fit_floor, params.fit_ceiling))
        )
    return table


def competency_fit(
    levels: np.ndarray, required: np.ndarray, weights: np.ndarray, params: CausalParams = PARAMS
) -> np.ndarray:
    """Return each person's job-person match relative to what their standard predicts.

    Parameters
    ----------
    levels, required, weights
        Arrays of shape (employees, competencies): true levels, required levels (0 where the
        competency is not in the standard) and item weights summing to 1 per row.
    """
    centre = expected_item_fit(params)[required.astype(np.intp)]
    return np.sum(weights * (item_fit(levels, required, params) - centre), axis=1)


def performance(
    ability: np.ndarray,
    motivation: np.ndarray,
    fit: np.ndarray,
    attendance: np.ndarray,
    rng: np.random.Generator,
    params: CausalParams = PARAMS,
) -> np.ndarray:
    """Return the true work performance w_t, including the hidden shock."""
    shock = params.shock_sd * rng.standard_normal(ability.shape)
    return (
        params.ability_weight * ability
        + params.motivation_weight * motivation
        + params.fit_weight * fit
        + params.attendance_weight * attendance
        + shock
    )


def rate(score: np.ndarray, below: float, above: float) -> np.ndarray:
    """Turn scores into rating codes (0 below, 1 meets, 2 above expectation)."""
    return (score >= below).astype(np.int8) + (score > above).astype(np.int8)


def rate_period(
    work: np.ndarray,
    disposition: np.ndarray,
    motivation: np.ndarray,
    shift: np.ndarray,
    rng: np.random.Generator,
    params: CausalParams = PARAMS,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rate one quarter: work codes (n,), behaviour codes (n,) and value codes (n, 7)."""
    n = work.shape[0]
    work_score = work + shift + params.work_rating_noise_sd * rng.standard_normal(n)
    behavior_score = (
        params.disposition_weight * disposition
        + params.behavior_motivation_weight * motivation
        + shift
        + params.behavior_rating_noise_sd * rng.standard_normal(n)
    )
    value_scores = behavior_score[:, None] + params.value_noise_sd * rng.standard_normal((n, 7))
    return (
        rate(work_score, params.work_below, params.work_above),
        rate(behavior_score, params.behavior_below, params.behavior_above),
        rate(value_scores, params.behavior_below, params.behavior_above),
    )


def predikat_table() -> np.ndarray:
    """Return the predikat values indexed by [work code, behaviour code], from the matrix."""
    table = np.empty((3, 3), dtype=object)
    for work, work_rating in enumerate(RATINGS):
        for behavior, behavior_rating in enumerate(RATINGS):
            table[work, behavior] = predikat_for(work_rating, behavior_rating).value
    return table


def poor_table() -> np.ndarray:
    """Return whether each [work code, behaviour code] cell is a poor predikat."""
    return np.vectorize(lambda value: Predikat(value).is_poor)(predikat_table())


def p_poor_next(
    ability: np.ndarray,
    disposition: np.ndarray,
    motivation: np.ndarray,
    fit_next: np.ndarray,
    shift: np.ndarray,
    params: CausalParams = PARAMS,
) -> np.ndarray:
    """Return the true probability that next quarter's predikat is poor.

    Integrates over every hidden future draw: the motivation innovation (Gauss-Hermite),
    attendance noise, shock and rating noise (closed form, normal CDF). Poor means the work
    score or the behaviour score falls below its lower threshold, which is exactly when the
    matrix gives butuh_perbaikan, kurang or sangat_kurang.
    """
    nodes, weights = np.polynomial.hermite_e.hermegauss(_QUADRATURE_NODES)
    weights = weights / weights.sum()
    rho, gamma = params.motivation_persistence, params.attendance_motivation_corr
    future_m = rho * motivation[:, None] + np.sqrt(1 - rho**2) * nodes[None, :]
    work_mean = (
        params.ability_weight * ability[:, None]
        + (params.motivation_weight + params.attendance_weight * gamma) * future_m
        + params.fit_weight * fit_next[:, None]
        + shift[:, None]
    )
    work_sd = np.sqrt(
        (params.attendance_weight**2) * (1 - gamma**2)
        + params.shock_sd**2
        + params.work_rating_noise_sd**2
    )
    behavior_mean = (
        params.disposition_weight * disposition[:, None]
        + params.behavior_motivation_weight * future_m
        + shift[:, None]
    )
    p_work = ndtr((params.work_below - work_mean) / work_sd)
    p_behavior = ndtr((params.behavior_below - behavior_mean) / params.behavior_rating_noise_sd)
    return (1 - (1 - p_work) * (1 - p_behavior)) @ weights


def true_gain(
    effect: np.ndarray | float, level: np.ndarray | float, max_level: np.ndarray | float
) -> np.ndarray:
    """Return the true level gain of completing a program (the recommender's oracle).

    A program closes the fraction `effect` (0 <= effect < 1) of the distance between the
    current true level and the program's `max_level`; a person at or above `max_level` gains
    nothing, and the new level never exceeds `max_level`.
    """
    return np.asarray(effect) * np.maximum(np.asarray(max_level) - np.asarray(level), 0.0)
