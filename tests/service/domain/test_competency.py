"""Competency gaps, JPM and its category (domain.md 4.3-4.4); expected values worked by hand."""

from __future__ import annotations

import math

import pytest

from service.domain.competency import CompetencyGap
from service.domain.competency import JpmCategory
from service.domain.competency import competency_gaps
from service.domain.competency import job_person_match
from service.domain.competency import jpm_category
from service.domain.errors import Invalid
from service.domain.settings import JpmThresholds

# An administrator (level 3 on managerial, domain.md 4.3) plus Perekat Bangsa.
STANDARD = {"M.01": 3, "M.02": 3, "M.03": 3, "SK.01": 2}


def test_gap_is_required_minus_assessed_largest_first_then_by_code() -> None:
    levels = {"M.01": 4.0, "M.02": 1.5, "M.03": 2, "SK.01": 2}

    gaps = competency_gaps(STANDARD, levels)

    assert gaps == [
        CompetencyGap("M.02", 3, 1.5, 1.5),
        CompetencyGap("M.03", 3, 2, 1),
        CompetencyGap("SK.01", 2, 2, 0),
        CompetencyGap("M.01", 3, 4.0, -1.0),
    ]


def test_equal_gaps_are_ordered_by_code() -> None:
    gaps = competency_gaps({"M.08": 3, "M.02": 3, "M.05": 3}, {"M.08": 2, "M.02": 2, "M.05": 2})

    assert [gap.competency for gap in gaps] == ["M.02", "M.05", "M.08"]


def test_not_assessed_is_reported_with_no_level_and_the_whole_requirement_as_gap() -> None:
    gaps = competency_gaps(STANDARD, {"M.01": 3, "M.02": 3, "SK.01": 1})

    assert gaps[0] == CompetencyGap("M.03", 3, None, 3)
    assert gaps[1] == CompetencyGap("SK.01", 2, 1, 1)


def test_levels_outside_the_standard_are_ignored_and_an_empty_standard_has_no_gaps() -> None:
    assert competency_gaps({"M.01": 2}, {"M.01": 2, "T.99": 5}) == [CompetencyGap("M.01", 2, 2, 0)]
    assert competency_gaps({}, {"M.01": 2}) == []


@pytest.mark.parametrize(
    ("levels", "cap", "expected"),
    [
        # required total 3 + 3 + 3 + 2 = 11
        ({"M.01": 3, "M.02": 3, "M.03": 3, "SK.01": 2}, False, 100.0),
        ({"M.01": 3, "M.02": 3, "M.03": 3, "SK.01": 2}, True, 100.0),
        ({"M.01": 5, "M.02": 2, "M.03": 3, "SK.01": 2}, False, 1200 / 11),
        ({"M.01": 5, "M.02": 2, "M.03": 3, "SK.01": 2}, True, 1000 / 11),
        ({"M.01": 2.5, "M.02": 2, "M.03": 2, "SK.01": 1.5}, False, 800 / 11),
        ({"M.01": 2.5, "M.02": 2, "M.03": 2, "SK.01": 1.5}, True, 800 / 11),
        ({"M.01": 3, "M.02": 3}, False, 600 / 11),  # M.03 and SK.01 not assessed count 0
        ({}, True, 0.0),
    ],
)
def test_job_person_match(levels: dict[str, float], cap: bool, expected: float) -> None:
    jpm = job_person_match(STANDARD, levels, cap_at_standard=cap)

    assert jpm == pytest.approx(expected)


def test_jpm_of_whole_levels_lands_exactly_on_the_thresholds() -> None:
    standard_30 = {f"M.{i:02d}": 3 for i in range(1, 11)}  # required total 30
    levels_27 = {code: 3 for code in standard_30} | {"M.01": 2, "M.02": 2, "M.03": 2}
    standard_50 = {f"M.{i:02d}": 5 for i in range(1, 11)}  # required total 50
    levels_39 = {code: 4 for code in standard_50} | {"M.01": 3}

    jpm_90 = job_person_match(standard_30, levels_27, cap_at_standard=True)
    jpm_78 = job_person_match(standard_50, levels_39, cap_at_standard=True)

    assert (jpm_90, jpm_78) == (90.0, 78.0)
    assert jpm_category(jpm_90, JpmThresholds()) is JpmCategory.OPTIMAL
    assert jpm_category(jpm_78, JpmThresholds()) is JpmCategory.CUKUP_OPTIMAL


def test_empty_standard_has_no_jpm() -> None:
    with pytest.raises(Invalid, match=r"standard: needs at least one competency"):
        job_person_match({}, {"M.01": 3}, cap_at_standard=False)


@pytest.mark.parametrize(
    ("jpm", "expected"),
    [
        (100.0, "optimal"),
        (120.0, "optimal"),
        (90.0, "optimal"),
        (89.99, "cukup_optimal"),
        (78.0, "cukup_optimal"),
        (77.99, "kurang_optimal"),
        (0.0, "kurang_optimal"),
        (85, "cukup_optimal"),
    ],
)
def test_jpm_category_with_the_brin_thresholds(jpm: float, expected: str) -> None:
    assert jpm_category(jpm, JpmThresholds()) is JpmCategory(expected)


@pytest.mark.parametrize(
    ("jpm", "expected"),
    [
        (80.0, "optimal"),
        (79.9, "cukup_optimal"),
        (68.0, "cukup_optimal"),
        (67.9, "kurang_optimal"),
    ],
)
def test_jpm_category_thresholds_are_configurable(jpm: float, expected: str) -> None:
    thresholds = JpmThresholds(optimal=80, cukup_optimal=68)  # the second scheme of 4.4

    assert jpm_category(jpm, thresholds) is JpmCategory(expected)


def test_jpm_category_values_are_the_api_strings() -> None:
    assert [c.value for c in JpmCategory] == ["optimal", "cukup_optimal", "kurang_optimal"]


@pytest.mark.parametrize("jpm", [-0.1, math.nan, math.inf, True, "90", None])
def test_jpm_category_rejects_what_is_not_a_percentage(jpm: object) -> None:
    with pytest.raises(Invalid, match=r"jpm: must be a finite percentage >= 0"):
        jpm_category(jpm, JpmThresholds())  # type: ignore[arg-type]


@pytest.mark.parametrize("level", [0, 0.99, 5.01, 6, -1, math.nan, math.inf, True, "3", None])
def test_assessed_levels_must_be_1_to_5(level: object) -> None:
    with pytest.raises(Invalid, match=r"levels\.M\.01: must be a level from 1 to 5"):
        competency_gaps(STANDARD, {"M.01": level})  # type: ignore[dict-item]
    with pytest.raises(Invalid, match=r"levels\.M\.01: must be a level from 1 to 5"):
        job_person_match(STANDARD, {"M.01": level}, cap_at_standard=False)  # type: ignore[dict-item]


@pytest.mark.parametrize("required", [0, 6, 2.5, True, "3", None])
def test_required_levels_must_be_whole_1_to_5(required: object) -> None:
    with pytest.raises(Invalid, match=r"standard\.M\.01: must be a whole level 1 to 5"):
        competency_gaps({"M.01": required}, {})  # type: ignore[dict-item]


def test_every_bad_level_is_reported_at_once() -> None:
    with pytest.raises(Invalid) as caught:
        competency_gaps({"M.01": 9, "M.02": 3}, {"M.02": 0, "T.01": 7})

    fields = [error.field for error in caught.value.errors]
    assert fields == ["standard.M.01", "levels.M.02", "levels.T.01"]


def test_boundary_levels_1_and_5_are_valid() -> None:
    gaps = competency_gaps({"M.01": 1, "M.02": 5}, {"M.01": 5, "M.02": 1})

    assert [(gap.competency, gap.gap) for gap in gaps] == [("M.02", 4), ("M.01", -4)]
