"""The statistics of the calibration checks against reference computations (scipy, numpy):
the Bonferroni quantile, the interval of a difference, a rater's gender gap and its
within-group spread, and which groups the fairness report may show."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
from scipy.stats import norm

from service.domain.entities import Gender
from service.domain.entities import Rating
from service.domain.rater_gaps import rater_gaps
from service.domain.rating_fairness import shown_groups
from service.domain.rating_statistics import against_rest
from service.domain.rating_statistics import critical_z

A, S, B = Rating.DI_ATAS_EKSPEKTASI, Rating.SESUAI_EKSPEKTASI, Rating.DI_BAWAH_EKSPEKTASI
SCORE = {A: 1.0, S: 0.0, B: -1.0}


@pytest.mark.parametrize("compared", [1, 2, 7, 40, 1_000])
def test_the_critical_z_is_bonferronis(compared: int) -> None:
    assert critical_z(compared) == pytest.approx(norm.ppf(1 - 0.05 / (2 * compared)), abs=1e-9)


def test_nothing_compared_has_no_quantile() -> None:
    assert critical_z(0) is None


def test_the_interval_of_a_difference_is_the_z_tests() -> None:
    """0/1 values with sd over everyone: the pooled two-proportion z-test, inverted."""
    own, rest = [1.0] * 9 + [0.0] * 21, [1.0] * 10 + [0.0] * 90
    everyone = np.array(own + rest)
    z = critical_z(3)
    assert z is not None
    found = against_rest(own, sum(rest), len(rest), float(everyone.std()), z)
    pooled = everyone.mean()
    se = np.sqrt(pooled * (1 - pooled) * (1 / 30 + 1 / 100))
    assert found.difference == pytest.approx(0.3 - 0.1)
    assert found.low == pytest.approx(0.2 - z * se) and found.high == pytest.approx(0.2 + z * se)
    marked = abs(0.2 / se) > norm.ppf(1 - 0.05 / 6)
    assert (found.sign != 0) == marked


def _row(rater: int | None, gender: Gender | None, rating: Rating) -> SimpleNamespace:
    return SimpleNamespace(
        rater_id=rater, rater_name=f"R{rater}", gender=gender,
        work_result_rating=rating, behavior_rating=rating,
    )  # fmt: skip


def test_a_raters_gap_against_numpy() -> None:
    rng = np.random.default_rng(3)
    ratings = (B, S, A)
    rows = [
        _row(rater, gender, ratings[rng.integers(0, 3)])
        for rater in range(6)
        for gender in (Gender.L, Gender.P)
        for _ in range(rng.integers(5, 9))
    ] + [_row(None, Gender.P, B), _row(2, None, A)]  # no rater: the rest; no gender: left out
    found = rater_gaps(rows)
    known = [r for r in rows if r.gender is not None]
    cells: dict[tuple, list[float]] = {}
    for r in known:
        cells.setdefault((r.rater_id, r.gender), []).append(SCORE[r.work_result_rating])
    squares = sum(((np.array(v) - np.mean(v)) ** 2).sum() for v in cells.values())
    sd = np.sqrt(squares / (len(known) - len(cells)))
    assert found.sd == pytest.approx(sd)
    assert found.critical_z == pytest.approx(norm.ppf(1 - 0.05 / 12))
    for gap in found.raters:
        own = {g: cells[(gap.rater_id, g)] for g in (Gender.L, Gender.P)}
        rest = {
            g: [s for (r, h), v in cells.items() if h is g and r != gap.rater_id for s in v]
            for g in own
        }
        difference = (np.mean(own[Gender.L]) - np.mean(own[Gender.P])) - (
            np.mean(rest[Gender.L]) - np.mean(rest[Gender.P])
        )
        se = sd * np.sqrt(sum(1 / len(v) for v in (*own.values(), *rest.values())))
        assert gap.interval.difference == pytest.approx(difference)
        assert gap.interval.high - gap.interval.difference == pytest.approx(found.critical_z * se)
    assert len(found.raters) == 6


def test_a_rater_of_too_few_of_one_gender_is_not_compared() -> None:
    """Rater 1 rated four women: left out; raters 2 and 3 are compared with the rest."""
    mixed = [S, A, B, S, A, B]
    rows = [_row(1, Gender.L, r) for r in mixed] + [_row(1, Gender.P, r) for r in mixed[:4]]
    rows += [_row(rater, g, r) for rater in (2, 3) for g in (Gender.L, Gender.P) for r in mixed]
    found = rater_gaps(rows)
    assert sorted(g.rater_id for g in found.raters) == [2, 3]
    assert found.critical_z == pytest.approx(norm.ppf(1 - 0.05 / 4))


@pytest.mark.parametrize(
    ("sizes", "shown"),
    [
        ({"L": 20, "P": 6}, {"L", "P"}),
        ({"L": 20, "P": 4}, set()),  # P too small, and L's figures would give P's away
        ({"III": 20, "IV": 6, "unknown": 2}, {"III"}),  # 2 left out: IV goes too
        ({"III": 20, "IV": 6, "II": 3, "unknown": 2}, {"III", "IV"}),  # 5 left out together
        ({"a": 4}, set()),
        ({"a": 5}, {"a"}),
        ({}, set()),
    ],
)
def test_the_groups_shown(sizes: dict[str, int], shown: set[str]) -> None:
    assert shown_groups({group: [0.0] * size for group, size in sizes.items()}) == shown
