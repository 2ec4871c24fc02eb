"""True-level estimates from noisy assessments: normal updates worked by hand, noise recovery."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from service.domain.level_estimates import MIN_PRIOR_VAR
from service.domain.level_estimates import PROCESS_VAR
from service.domain.level_estimates import estimate_level
from service.domain.level_estimates import level_priors
from service.domain.level_estimates import noise_variances

NOISE = {"cat": 0.1, "penilaian_atasan": 0.4, "": 0.25}
PRIORS = {"3": [2.8, 0.4], "": [-0.2, 0.5], "*": [2.5, 0.6]}


def no_gain(_code: str, _level: float) -> float:
    return 0.0


def test_one_assessment_moves_the_prior_by_its_reliability() -> None:
    # weight = 0.4 / (0.4 + 0.1) = 0.8: 2.8 + 0.8 x (2.0 - 2.8) = 2.16
    level = estimate_level(3, [(date(2025, 1, 1), 2.0, "cat")], [], NOISE, PRIORS, no_gain)

    assert level == pytest.approx(2.16)


def test_a_noisier_method_moves_it_less() -> None:
    # weight = 0.4 / (0.4 + 0.4) = 0.5: 2.8 + 0.5 x (2.0 - 2.8) = 2.4
    level = estimate_level(
        3, [(date(2025, 1, 1), 2.0, "penilaian_atasan")], [], NOISE, PRIORS, no_gain
    )

    assert level == pytest.approx(2.4)


def test_two_assessments_weigh_together_and_a_programme_between_them_is_added() -> None:
    first = (date(2024, 1, 1), 2.0, "cat")
    second = (date(2025, 1, 1), 2.0, "cat")
    # after the first: mean 2.16, variance 0.4 x 0.2 = 0.08; the programme adds 0.5 and
    # PROCESS_VAR; the second pulls by (0.08 + PROCESS_VAR) / (0.08 + PROCESS_VAR + 0.1).
    variance = 0.08 + PROCESS_VAR
    expected = 2.66 + variance / (variance + 0.1) * (2.0 - 2.66)

    level = estimate_level(
        3, [second, first], [(date(2024, 6, 1), "P")], NOISE, PRIORS, lambda _c, _l: 0.5
    )

    assert level == pytest.approx(expected)


@pytest.mark.parametrize(("required", "mean"), [(3, 2.8), (4, 3.8), (2, 1.8)])
def test_without_assessments_the_prior_of_the_requirement_is_the_estimate(
    required: int, mean: float
) -> None:
    assert estimate_level(required, [], [], NOISE, PRIORS, no_gain) == pytest.approx(mean)


def test_the_estimate_stays_on_the_scale() -> None:
    assert estimate_level(5, [], [], NOISE, {"*": [6.0, 1.0]}, no_gain) == 5.0


def test_noise_variances_are_recovered_per_method() -> None:
    rng = np.random.default_rng(11)
    methods = rng.choice(["cat", "penilaian_atasan"], size=(20_000, 2))
    sd = np.where(methods == "cat", 0.3, 0.6)
    gains = rng.normal(0, sd[:, 0]) - rng.normal(0, sd[:, 1])
    episodes = pd.DataFrame({"method": methods[:, 0], "next_method": methods[:, 1]})

    found = noise_variances(episodes, gains)

    assert found["cat"] == pytest.approx(0.09, rel=0.1)
    assert found["penilaian_atasan"] == pytest.approx(0.36, rel=0.1)
    assert found[""] == pytest.approx((found["cat"] + found["penilaian_atasan"]) / 2)


def test_level_priors_remove_the_measurement_error_from_the_spread() -> None:
    episodes = pd.DataFrame({"level": [2.0, 3.0, 4.0, 3.0, 3.0], "required": [3, 3, 3, 4, 4]})

    priors = level_priors(episodes, {"": 0.2})

    assert priors["3"] == pytest.approx([3.0, 1.0 - 0.2])
    assert priors["4"] == pytest.approx([3.0, MIN_PRIOR_VAR])
    assert priors[""][0] == pytest.approx(np.mean([-1, 0, 1, -1, -1]))
    assert priors["*"][0] == pytest.approx(3.0)
    assert level_priors(episodes, {}) == {}
