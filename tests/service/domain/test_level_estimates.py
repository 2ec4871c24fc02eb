"""True-level estimates from noisy assessments: normal updates worked by hand, noise recovery."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from service.domain.level_estimates import COMPLETED
from service.domain.level_estimates import MEASURED
from service.domain.level_estimates import MIN_PRIOR_VAR
from service.domain.level_estimates import PROCESS_VAR
from service.domain.level_estimates import Events
from service.domain.level_estimates import expected_shortfall
from service.domain.level_estimates import filter_levels
from service.domain.level_estimates import level_priors
from service.domain.level_estimates import noise_variances
from service.domain.level_estimates import prior_arrays

NOISE = {"cat": 0.1, "penilaian_atasan": 0.4, "": 0.25}
PRIORS = {"3": [2.8, 0.4], "": [-0.2, 0.5], "*": [2.5, 0.6]}


def events(*rows: tuple[int, date, int, float, float]) -> Events:
    """Events from (item, date, kind, value, weight) rows; ties keep the given order."""
    return Events(
        item=np.array([r[0] for r in rows], dtype=np.intp),
        day=np.array([r[1].toordinal() for r in rows], dtype=np.int64),
        kind=np.array([r[2] for r in rows], dtype=np.int64),
        order=np.arange(len(rows), dtype=np.int64),
        value=np.array([r[3] for r in rows], dtype=np.float64),
        weight=np.array([r[4] for r in rows], dtype=np.float64),
    )


def one(required: int, *rows: tuple[date, int, float, float]) -> tuple[float, float]:
    mean, var = prior_arrays(np.array([required], dtype=float), 1, PRIORS)
    found, spread = filter_levels(mean, var, events(*((0, *row) for row in rows)))
    return float(found[0]), float(spread[0])


def test_one_assessment_moves_the_prior_by_its_reliability() -> None:
    # weight = 0.4 / (0.4 + 0.1) = 0.8: 2.8 + 0.8 x (2.0 - 2.8) = 2.16; variance 0.4 x 0.2
    assert one(3, (date(2025, 1, 1), MEASURED, 2.0, NOISE["cat"])) == pytest.approx((2.16, 0.08))


def test_a_noisier_method_moves_it_less() -> None:
    # weight = 0.4 / (0.4 + 0.4) = 0.5: 2.8 + 0.5 x (2.0 - 2.8) = 2.4
    level, _ = one(3, (date(2025, 1, 1), MEASURED, 2.0, NOISE["penilaian_atasan"]))

    assert level == pytest.approx(2.4)


def test_two_assessments_weigh_together_and_a_programme_between_them_is_added() -> None:
    # after the first: mean 2.16, variance 0.08; the programme (share 0.5 of the way to 4)
    # adds 0.5 x (4 - 2.16) = 0.92 and PROCESS_VAR; the second pulls by v / (v + 0.1).
    variance = 0.08 + PROCESS_VAR
    raised = 2.16 + 0.5 * (4 - 2.16)
    expected = raised + variance / (variance + 0.1) * (2.0 - raised)

    level, _ = one(
        3,
        (date(2025, 1, 1), MEASURED, 2.0, 0.1),  # given out of date order on purpose
        (date(2024, 1, 1), MEASURED, 2.0, 0.1),
        (date(2024, 6, 1), COMPLETED, 4.0, 0.5),
    )

    assert level == pytest.approx(expected)


def test_on_the_same_day_a_completion_comes_before_the_assessment() -> None:
    same_day = date(2024, 6, 1)
    completion_first = one(3, (same_day, MEASURED, 2.0, 0.1), (same_day, COMPLETED, 4.0, 0.5))
    # The assessment already reflects the programme: the estimate ends near the measurement.
    prior = 2.8 + 0.5 * (4 - 2.8)
    variance = 0.4 + PROCESS_VAR
    assert completion_first[0] == pytest.approx(prior + variance / (variance + 0.1) * (2 - prior))


def test_many_items_are_filtered_at_once_each_on_its_own_events() -> None:
    mean, var = prior_arrays(np.array([3.0, 3.0, np.nan]), 3, PRIORS)
    found, _ = filter_levels(
        mean,
        var,
        events(
            (1, date(2024, 1, 1), MEASURED, 2.0, 0.1),
            (0, date(2024, 1, 1), MEASURED, 3.0, 0.4),
            (1, date(2025, 1, 1), MEASURED, 2.0, 0.1),
        ),
    )

    alone = [one(3, (date(2024, 1, 1), MEASURED, 3.0, 0.4))[0]]
    alone.append(
        one(3, (date(2024, 1, 1), MEASURED, 2.0, 0.1), (date(2025, 1, 1), MEASURED, 2.0, 0.1))[0]
    )
    assert found.tolist() == pytest.approx([*alone, 2.5])  # the third: the overall prior


@pytest.mark.parametrize(("required", "mean"), [(3, 2.8), (4, 3.8), (2, 1.8)])
def test_without_assessments_the_prior_of_the_requirement_is_the_estimate(
    required: int, mean: float
) -> None:
    assert one(required)[0] == pytest.approx(mean)


def test_the_estimate_stays_on_the_scale() -> None:
    found, _ = filter_levels(np.array([6.0]), np.array([1.0]), events())

    assert found.tolist() == [5.0]


@pytest.mark.parametrize(
    ("bound", "mean", "sd", "expected"),
    [
        (3.0, 2.0, 0.0, 1.0),
        (3.0, 3.5, 0.0, 0.0),
        # E[max(0, 3 - L)], L ~ N(3, 1): sd x phi(0) = 0.3989
        (3.0, 3.0, 1.0, 0.3989423),
        # far above the bound: almost nothing
        (3.0, 6.0, 0.5, 0.0),
    ],
)
def test_expected_shortfall(bound: float, mean: float, sd: float, expected: float) -> None:
    found = expected_shortfall(np.array([bound]), np.array([mean]), np.array([sd]))

    assert found[0] == pytest.approx(expected, abs=1e-6)


def test_expected_shortfall_matches_sampling() -> None:
    rng = np.random.default_rng(5)
    draws = rng.normal(2.6, 0.4, 400_000)

    found = expected_shortfall(np.array([3.0]), np.array([2.6]), np.array([0.4]))[0]

    assert found == pytest.approx(np.maximum(3.0 - draws, 0).mean(), rel=0.01)


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
