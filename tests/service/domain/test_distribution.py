"""The distribution pattern of domain.md 3.5: every clause of every row, both sides.

Units of 10 make every share a whole count, so the clause tables do not depend on rounding;
small units and the rounding settings are tested separately, with counts worked by hand.
"""

from __future__ import annotations

import itertools

import pytest

from service.domain.distribution import DISTRIBUTION_PATTERN
from service.domain.distribution import Bound
from service.domain.distribution import check_distribution
from service.domain.entities import OrganisationGrade
from service.domain.entities import Predikat
from service.domain.errors import Invalid
from service.domain.settings import Rounding
from service.domain.settings import RuleSettings

DEFAULTS = RuleSettings()
LITERAL = RuleSettings(
    distribution_rounding_at_most=Rounding.FLOOR, distribution_rounding_at_least=Rounding.CEIL
)


def unit(sb: int = 0, b: int = 0, bp: int = 0, k: int = 0, sk: int = 0) -> list[str]:
    """Build a unit's predikat list from counts (Sangat Baik ... Sangat Kurang)."""
    counts = {
        "sangat_baik": sb,
        "baik": b,
        "butuh_perbaikan": bp,
        "kurang": k,
        "sangat_kurang": sk,
    }
    return [predikat for predikat, count in counts.items() for _ in range(count)]


def rules(grade: str, predikats: list[str], settings: RuleSettings = DEFAULTS) -> set[str]:
    return {warning.rule for warning in check_distribution(grade, predikats, settings)}


CLAUSES = [
    # Istimewa: at most 70% Sangat Baik; others may be any other predikat.
    ("istimewa", unit(sb=7, b=3), set()),
    ("istimewa", unit(sb=7, b=1, bp=1, k=1), set()),
    ("istimewa", unit(sb=3, sk=7), set()),
    ("istimewa", unit(sb=8, b=2), {"istimewa.sangat_baik_at_most_70"}),
    ("istimewa", unit(sb=10), {"istimewa.sangat_baik_at_most_70"}),
    # Baik: at most 70% Baik; there must be Butuh Perbaikan and/or Kurang; others SB and/or SK.
    ("baik", unit(b=7, bp=3), set()),
    ("baik", unit(b=7, k=1, sb=2), set()),
    ("baik", unit(b=6, bp=1, sb=2, sk=1), set()),
    ("baik", unit(b=8, bp=2), {"baik.baik_at_most_70"}),
    ("baik", unit(b=7, sb=3), {"baik.butuh_perbaikan_or_kurang_required"}),
    ("baik", unit(b=7, sb=2, sk=1), {"baik.butuh_perbaikan_or_kurang_required"}),
    ("baik", unit(b=10), {"baik.baik_at_most_70", "baik.butuh_perbaikan_or_kurang_required"}),
    # Butuh Perbaikan: at least 60% BP; SB at most 10%; others Baik, Kurang, Sangat Kurang.
    ("butuh_perbaikan", unit(bp=6, sb=1, b=1, k=1, sk=1), set()),
    ("butuh_perbaikan", unit(bp=10), set()),
    ("butuh_perbaikan", unit(bp=5, b=5), {"butuh_perbaikan.butuh_perbaikan_at_least_60"}),
    ("butuh_perbaikan", unit(bp=6, sb=2, b=2), {"butuh_perbaikan.sangat_baik_at_most_10"}),
    # Kurang: at least 60% Kurang; at least 10% BP; SB at most 10%; others Baik, Sangat Kurang.
    ("kurang", unit(k=6, bp=1, sb=1, b=1, sk=1), set()),
    ("kurang", unit(k=5, bp=2, b=3), {"kurang.kurang_at_least_60"}),
    ("kurang", unit(k=6, sk=4), {"kurang.butuh_perbaikan_at_least_10"}),
    ("kurang", unit(k=6, bp=1, sb=2, b=1), {"kurang.sangat_baik_at_most_10"}),
    # Sangat Kurang: at least 60% SK; at least 10% Kurang and/or BP; others Baik; no SB.
    ("sangat_kurang", unit(sk=6, k=1, b=3), set()),
    ("sangat_kurang", unit(sk=6, bp=1, b=3), set()),
    ("sangat_kurang", unit(sk=5, k=1, b=4), {"sangat_kurang.sangat_kurang_at_least_60"}),
    (
        "sangat_kurang",
        unit(sk=6, b=4),
        {"sangat_kurang.kurang_or_butuh_perbaikan_at_least_10"},
    ),
    ("sangat_kurang", unit(sk=8, k=1, sb=1), {"sangat_kurang.sangat_baik_none"}),
]


@pytest.mark.parametrize(("grade", "predikats", "expected"), CLAUSES)
def test_every_clause_of_every_row(grade: str, predikats: list[str], expected: set[str]) -> None:
    assert rules(grade, predikats) == expected


def test_the_tables_cover_every_clause_encoded() -> None:
    encoded = {clause.rule for row in DISTRIBUTION_PATTERN.values() for clause in row}
    tested = set().union(*(expected for _, _, expected in CLAUSES))

    assert tested == encoded
    assert set(DISTRIBUTION_PATTERN) == set(OrganisationGrade)


def test_a_mapping_of_counts_gives_the_same_warnings_as_the_list() -> None:
    as_list = check_distribution("kurang", unit(k=5, b=5), DEFAULTS)
    as_counts = check_distribution(
        OrganisationGrade.KURANG,
        {Predikat.KURANG: 5, "baik": 5, Predikat.SANGAT_BAIK: 0},
        DEFAULTS,
    )

    assert as_counts == as_list
    assert [w.rule for w in as_list] == [
        "kurang.kurang_at_least_60",
        "kurang.butuh_perbaikan_at_least_10",
    ]


def test_a_warning_carries_shares_counts_and_both_languages() -> None:
    [warning] = check_distribution("istimewa", unit(sb=8, b=2), DEFAULTS)

    assert warning.bound is Bound.AT_MOST
    assert (warning.expected, warning.actual) == (0.7, 0.8)
    assert (warning.expected_count, warning.actual_count) == (7, 8)
    assert "Istimewa" in warning.message_id and "paling banyak 70%" in warning.message_id
    assert "Sangat Baik" in warning.message_id and "7 dari 10" in warning.message_id
    assert "at most 70%" in warning.message_en and "7 of 10" in warning.message_en


def test_required_clause_reads_as_must_have_in_both_languages() -> None:
    [warning] = check_distribution("baik", unit(b=7, sb=3), DEFAULTS)

    assert warning.bound is Bound.AT_LEAST
    assert (warning.expected_count, warning.actual_count) == (1, 0)
    assert "harus ada" in warning.message_id
    assert "Butuh Perbaikan dan/atau Kurang/Misconduct" in warning.message_id
    assert "Butuh Perbaikan and/or Kurang/Misconduct" in warning.message_en


def test_the_check_never_changes_its_input() -> None:
    predikats = unit(b=10)
    counts = {"baik": 10}

    check_distribution("baik", predikats, DEFAULTS)
    check_distribution("baik", counts, DEFAULTS)

    assert predikats == unit(b=10) and counts == {"baik": 10}


@pytest.mark.parametrize("empty", [[], {}, {"baik": 0, "kurang": 0}])
@pytest.mark.parametrize("grade", list(OrganisationGrade))
def test_an_empty_unit_gives_no_warnings(grade: OrganisationGrade, empty: object) -> None:
    assert check_distribution(grade, empty, LITERAL) == []  # type: ignore[arg-type]


# Small units: (grade, unit, settings, expected rules), counts worked by hand.
SMALL_UNITS = [
    # 70% of 4 = 2.8: round and ceil allow 3, floor allows 2.
    ("istimewa", unit(sb=3, b=1), DEFAULTS, set()),
    ("istimewa", unit(sb=3, b=1), LITERAL, {"istimewa.sangat_baik_at_most_70"}),
    ("istimewa", unit(sb=4), DEFAULTS, {"istimewa.sangat_baik_at_most_70"}),
    # 70% of 1 = 0.7: round allows the single Sangat Baik, floor does not.
    ("istimewa", unit(sb=1), DEFAULTS, set()),
    ("istimewa", unit(sb=1), LITERAL, {"istimewa.sangat_baik_at_most_70"}),
    # 70% of 3 = 2.1: round and floor allow 2 Baik; "at least one" BP/K is never rounded away.
    ("baik", unit(b=2, bp=1), DEFAULTS, set()),
    ("baik", unit(b=2, sb=1), DEFAULTS, {"baik.butuh_perbaikan_or_kurang_required"}),
    ("baik", unit(k=1), DEFAULTS, set()),
    (
        "baik",
        unit(sb=1),
        RuleSettings(distribution_rounding_at_least=Rounding.FLOOR),
        {"baik.butuh_perbaikan_or_kurang_required"},
    ),
    # Kurang unit of 1: 60% = 0.6, 10% = 0.1. Round: 1 Kurang and 0 BP; ceil: 1 and 1.
    ("kurang", unit(k=1), DEFAULTS, set()),
    ("kurang", unit(k=1), LITERAL, {"kurang.butuh_perbaikan_at_least_10"}),
    ("kurang", unit(bp=1), DEFAULTS, {"kurang.kurang_at_least_60"}),
    # Kurang unit of 5: 10% = 0.5 rounds half UP to 1 (Python's round would give 0).
    ("kurang", unit(k=4, b=1), DEFAULTS, {"kurang.butuh_perbaikan_at_least_10"}),
    ("kurang", unit(k=3, bp=1, b=1), DEFAULTS, set()),
    # 60% of 5 = 3 exactly: every rounding agrees.
    ("kurang", unit(k=3, bp=2), LITERAL, set()),
    ("kurang", unit(k=2, bp=3), LITERAL, {"kurang.kurang_at_least_60"}),
    # SB at most 10% of 5 = 0.5: round allows 1, floor allows 0.
    ("butuh_perbaikan", unit(bp=4, sb=1), DEFAULTS, set()),
    ("butuh_perbaikan", unit(bp=4, sb=1), LITERAL, {"butuh_perbaikan.sangat_baik_at_most_10"}),
    # SB at most 10% of 4 = 0.4: round allows 0, ceil allows 1.
    ("butuh_perbaikan", unit(bp=3, sb=1), DEFAULTS, {"butuh_perbaikan.sangat_baik_at_most_10"}),
    (
        "butuh_perbaikan",
        unit(bp=3, sb=1),
        RuleSettings(distribution_rounding_at_most=Rounding.CEIL),
        set(),
    ),
    # 10% of 25 = 2.5 rounds half up to 3 Kurang/BP (banker's rounding would give 2).
    (
        "sangat_kurang",
        unit(sk=23, k=2),
        DEFAULTS,
        {"sangat_kurang.kurang_or_butuh_perbaikan_at_least_10"},
    ),
    ("sangat_kurang", unit(sk=22, k=2, bp=1), DEFAULTS, set()),
    # No Sangat Baik is zero under every rounding, however small the unit.
    (
        "sangat_kurang",
        unit(sb=1),
        RuleSettings(distribution_rounding_at_most=Rounding.CEIL),
        {"sangat_kurang.sangat_baik_none", "sangat_kurang.sangat_kurang_at_least_60"},
    ),
]


@pytest.mark.parametrize(("grade", "predikats", "settings", "expected"), SMALL_UNITS)
def test_small_unit_rounding(
    grade: str, predikats: list[str], settings: RuleSettings, expected: set[str]
) -> None:
    assert rules(grade, predikats, settings) == expected


def _assignments(size: int) -> list[list[Predikat]]:
    """Every distinct unit of `size` employees (order does not matter)."""
    return [list(units) for units in itertools.combinations_with_replacement(Predikat, size)]


@pytest.mark.parametrize("grade", list(OrganisationGrade))
def test_default_rounding_lets_every_row_be_met_at_every_unit_size(grade: str) -> None:
    for size in range(1, 13):
        assert any(not rules(grade, units) for units in _assignments(size)), size


@pytest.mark.parametrize("grade", ["kurang", "sangat_kurang"])
def test_the_literal_reading_cannot_be_met_by_units_of_one_or_two(grade: str) -> None:
    for size in (1, 2):
        assert all(rules(grade, units, LITERAL) for units in _assignments(size))
    assert any(not rules(grade, units, LITERAL) for units in _assignments(3))


@pytest.mark.parametrize(
    ("predikats", "match"),
    [
        (["baik", "excellent"], r"predikats\[1\]: must be one of sangat_baik"),
        (["baik", None], r"predikats\[1\]: must be one of"),
        ("baik", r"predikats: must be a list of predikat or a mapping"),
        ({"excellent": 1}, r"predikats: must be one of sangat_baik"),
        ({"baik": -1}, r"predikats\.baik: count must be a whole number >= 0"),
        ({"baik": 1.5}, r"predikats\.baik: count must be a whole number >= 0"),
        ({"baik": True}, r"predikats\.baik: count must be a whole number >= 0"),
    ],
)
def test_rejects_what_is_not_a_set_of_predikat(predikats: object, match: str) -> None:
    with pytest.raises(Invalid, match=match):
        check_distribution("baik", predikats, DEFAULTS)  # type: ignore[arg-type]


@pytest.mark.parametrize("grade", ["cukup", "sangat_baik", "", None])
def test_rejects_an_unknown_organisation_grade(grade: object) -> None:
    with pytest.raises(Invalid, match=r"org_grade: must be one of istimewa, baik"):
        check_distribution(grade, unit(b=1), DEFAULTS)  # type: ignore[arg-type]
