"""The causal equations: the oracle's closed form against forward simulation, and true_gain."""

from __future__ import annotations

import numpy as np
import pytest

from service.domain.entities import Predikat
from service.domain.entities import Rating
from service.domain.predikat import predikat_for
from training.synthetic import causal
from training.synthetic.people import _initial_levels

DRAWS = 200_000


@pytest.mark.parametrize(
    ("effect", "level", "max_level", "gain"),
    [
        (0.5, 2.0, 4, 1.0),
        (0.25, 1.0, 5, 1.0),
        (0.5, 4.0, 4, 0.0),
        (0.8, 4.5, 4, 0.0),
        (0.0, 1.0, 5, 0.0),
        (0.9, 1.0, 2, 0.9),
    ],
)
def test_true_gain_closes_a_share_of_the_distance_to_max_level(
    effect: float, level: float, max_level: int, gain: float
) -> None:
    assert causal.true_gain(effect, level, max_level) == pytest.approx(gain)


def test_true_gain_never_lifts_a_level_past_max_level() -> None:
    effect, level, max_level = np.meshgrid(
        np.linspace(0, 0.99, 12), np.linspace(1, 5, 17), np.arange(1, 6), indexing="ij"
    )
    after = level + causal.true_gain(effect, level, max_level)

    assert np.all(after <= np.maximum(level, max_level) + 1e-12)
    assert np.all(after >= level)


def test_poor_cells_are_exactly_a_rating_below_expectation() -> None:
    # p_poor_next relies on this reading of domain.md 3.6.
    for work in Rating:
        for behavior in Rating:
            below = Rating.DI_BAWAH_EKSPEKTASI in (work, behavior)
            assert predikat_for(work, behavior).is_poor is below
    assert not Predikat.BAIK.is_poor


@pytest.mark.parametrize(
    ("ability", "disposition", "motivation", "fit", "shift"),
    [
        (0.0, 0.0, 0.0, 0.0, 0.0),
        (-1.5, -0.5, -1.0, -0.3, -0.3),
        (1.0, 1.0, 1.5, 0.2, 0.3),
        (0.0, -2.0, 0.5, 0.0, -1.0),
    ],
)
def test_oracle_matches_forward_simulation(
    ability: float, disposition: float, motivation: float, fit: float, shift: float
) -> None:
    rng = np.random.default_rng(1)
    n = DRAWS
    next_m = causal.next_motivation(np.full(n, motivation), rng)
    attendance = causal.attendance_latent(next_m, rng)
    work = causal.performance(np.full(n, ability), next_m, np.full(n, fit), attendance, rng)
    work_code, behavior_code, _ = causal.rate_period(
        work, np.full(n, disposition), next_m, np.full(n, shift), rng
    )
    simulated = causal.poor_table()[work_code, behavior_code].mean()

    oracle = causal.p_poor_next(
        np.array([ability]),
        np.array([disposition]),
        np.array([motivation]),
        np.array([fit]),
        np.array([shift]),
    )[0]

    assert oracle == pytest.approx(simulated, abs=4 * np.sqrt(oracle * (1 - oracle) / n) + 1e-3)


def test_motivation_is_a_stationary_ar1() -> None:
    rng = np.random.default_rng(2)
    before = rng.standard_normal(DRAWS)
    after = causal.next_motivation(before, rng)

    assert after.std() == pytest.approx(1.0, abs=0.01)
    assert np.corrcoef(before, after)[0, 1] == pytest.approx(
        causal.PARAMS.motivation_persistence, abs=0.01
    )


@pytest.mark.parametrize("required", [1, 2, 3, 4, 5])
def test_fit_is_centred_at_every_required_level(required: int) -> None:
    # A position's tier (and so its holders' age) must not shift performance on average.
    rng = np.random.default_rng(required)
    standard = np.full((DRAWS, 1), required)
    levels = _initial_levels(standard, rng.standard_normal(DRAWS), rng, causal.PARAMS)

    fit = causal.competency_fit(levels, standard, np.ones((DRAWS, 1)))

    assert fit.mean() == pytest.approx(0.0, abs=0.01)
    assert levels.min() >= 1.0 and levels.max() <= 5.0
