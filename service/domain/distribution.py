"""The distribution pattern (*pola distribusi*) of employee predikat by organisation predikat.

Table 3.5 of domain.md (SE MenPANRB 3/2023) is encoded as data in `DISTRIBUTION_PATTERN`,
one `DistributionClause` per clause of each row. `check_distribution` only WARNS: leaders
decide the final predikat, nothing is changed here.

Reading of the table:
- "Most (at most 70%) X" is the cap in parentheses. It is not also read as a majority floor,
  which would make units of 1, 2 and 4 employees impossible to satisfy.
- "There must be employees with X" is at least one employee.
- "Others may be ..." always names every predikat the row does not bound, so it adds no
  constraint; "no Sangat Baik" is at most 0%.

Small units (rounding unconfirmed, domain.md 3.5): a share p of a unit of n employees becomes
a whole count with `settings.distribution_rounding_at_most` / `_at_least`. The default is
`round` (nearest count, halves up) for both, because it is the only choice under which every
row can be met by some assignment for every unit size: with the literal reading (floor for
"at most", ceil for "at least") a unit of 1 or 2 under a *Kurang* or *Sangat Kurang*
organisation would warn whatever the leader did, and a warning nobody can clear is noise.
Agencies that read the percentages literally set floor / ceil; "at least one" is never
rounded away. An empty unit gets no warnings.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from fractions import Fraction
from numbers import Integral
from types import MappingProxyType
from typing import Final

from service.domain.entities import OrganisationGrade
from service.domain.entities import Predikat
from service.domain.errors import Invalid
from service.domain.errors import as_member
from service.domain.settings import Rounding
from service.domain.settings import RuleSettings


class Bound(StrEnum):
    """Whether a clause caps a share (at most) or demands it (at least)."""

    AT_MOST = "at_most"
    AT_LEAST = "at_least"


@dataclass(frozen=True)
class DistributionClause:
    """One clause of a row: the employees rated any of `predikats` are bounded by a share."""

    rule: str
    predikats: frozenset[Predikat]
    bound: Bound
    percent: int
    minimum_count: int = 0


@dataclass(frozen=True)
class DistributionWarning:
    """A clause the unit breaks; shares are of the unit size (0.0-1.0).

    `expected` is the bound after rounding to whole employees (`expected_count` / size), so
    the unit breaks the clause exactly when `actual` is above (at most) or below (at least) it.
    """

    rule: str
    message_id: str
    message_en: str
    bound: Bound
    expected: float
    actual: float
    expected_count: int
    actual_count: int


def _at_most(rule: str, percent: int, *predikats: Predikat) -> DistributionClause:
    return DistributionClause(rule, frozenset(predikats), Bound.AT_MOST, percent)


def _at_least(
    rule: str, percent: int, *predikats: Predikat, minimum_count: int = 0
) -> DistributionClause:
    return DistributionClause(rule, frozenset(predikats), Bound.AT_LEAST, percent, minimum_count)


_SB = Predikat.SANGAT_BAIK
_B = Predikat.BAIK
_BP = Predikat.BUTUH_PERBAIKAN
_K = Predikat.KURANG
_SK = Predikat.SANGAT_KURANG

DISTRIBUTION_PATTERN: Final[Mapping[OrganisationGrade, tuple[DistributionClause, ...]]] = (
    MappingProxyType(
        {
            OrganisationGrade.ISTIMEWA: (_at_most("istimewa.sangat_baik_at_most_70", 70, _SB),),
            OrganisationGrade.BAIK: (
                _at_most("baik.baik_at_most_70", 70, _B),
                _at_least("baik.butuh_perbaikan_or_kurang_required", 0, _BP, _K, minimum_count=1),
            ),
            OrganisationGrade.BUTUH_PERBAIKAN: (
                _at_least("butuh_perbaikan.butuh_perbaikan_at_least_60", 60, _BP),
                _at_most("butuh_perbaikan.sangat_baik_at_most_10", 10, _SB),
            ),
            OrganisationGrade.KURANG: (
                _at_least("kurang.kurang_at_least_60", 60, _K),
                _at_least("kurang.butuh_perbaikan_at_least_10", 10, _BP),
                _at_most("kurang.sangat_baik_at_most_10", 10, _SB),
            ),
            OrganisationGrade.SANGAT_KURANG: (
                _at_least("sangat_kurang.sangat_kurang_at_least_60", 60, _SK),
                _at_least("sangat_kurang.kurang_or_butuh_perbaikan_at_least_10", 10, _K, _BP),
                _at_most("sangat_kurang.sangat_baik_none", 0, _SB),
            ),
        }
    )
)

_PREDIKAT_LABELS: Final[Mapping[Predikat, str]] = MappingProxyType(
    {
        Predikat.SANGAT_BAIK: "Sangat Baik",
        Predikat.BAIK: "Baik",
        Predikat.BUTUH_PERBAIKAN: "Butuh Perbaikan",
        Predikat.KURANG: "Kurang/Misconduct",
        Predikat.SANGAT_KURANG: "Sangat Kurang",
    }
)
_BOUND_WORDS: Final[Mapping[Bound, tuple[str, str]]] = MappingProxyType(
    {Bound.AT_MOST: ("paling banyak", "at most"), Bound.AT_LEAST: ("paling sedikit", "at least")}
)


def check_distribution(
    org_grade: OrganisationGrade | str,
    predikats: Sequence[Predikat | str] | Mapping[Predikat | str, int],
    settings: RuleSettings,
) -> list[DistributionWarning]:
    """Return a warning for every clause of the organisation's row the unit's predikat break."""
    grade = as_member(OrganisationGrade, org_grade, "org_grade")
    counts = _counts(predikats)
    size = sum(counts.values())
    if size == 0:
        return []
    warnings = []
    for clause in DISTRIBUTION_PATTERN[grade]:
        limit = bound_count(clause, size, settings)
        actual = sum(counts[predikat] for predikat in clause.predikats)
        broken = actual > limit if clause.bound is Bound.AT_MOST else actual < limit
        if broken:
            warnings.append(_warning(grade, clause, size, limit, actual))
    return warnings


def bound_count(clause: DistributionClause, size: int, settings: RuleSettings) -> int:
    """Return the allowed (at most) or required (at least) count of a clause in a unit."""
    rounding = (
        settings.distribution_rounding_at_most
        if clause.bound is Bound.AT_MOST
        else settings.distribution_rounding_at_least
    )
    return max(_round(Fraction(clause.percent * size, 100), rounding), clause.minimum_count)


def _round(value: Fraction, rounding: Rounding) -> int:
    if rounding is Rounding.FLOOR:
        return math.floor(value)
    if rounding is Rounding.CEIL:
        return math.ceil(value)
    return math.floor(value + Fraction(1, 2))


def _counts(
    predikats: Sequence[Predikat | str] | Mapping[Predikat | str, int],
) -> Counter[Predikat]:
    if isinstance(predikats, str):
        raise Invalid.field("predikats", "must be a list of predikat or a mapping to counts")
    if not isinstance(predikats, Mapping):
        return Counter(
            as_member(Predikat, value, f"predikats[{position}]")
            for position, value in enumerate(predikats)
        )
    counts: Counter[Predikat] = Counter()
    for key, count in predikats.items():
        predikat = as_member(Predikat, key, "predikats")
        if isinstance(count, bool) or not isinstance(count, Integral) or count < 0:
            message = f"count must be a whole number >= 0; got {count!r}"
            raise Invalid.field(f"predikats.{predikat.value}", message)
        counts[predikat] += int(count)
    return counts


def _warning(
    grade: OrganisationGrade, clause: DistributionClause, size: int, limit: int, actual: int
) -> DistributionWarning:
    rule_id, rule_en = _phrases(clause)
    bound_id, bound_en = _BOUND_WORDS[clause.bound]
    grade_label = grade.value.replace("_", " ").title()
    return DistributionWarning(
        rule=clause.rule,
        message_id=(
            f"Pola distribusi unit berpredikat {grade_label}: {rule_id}, yaitu {bound_id} "
            f"{limit} dari {size} pegawai; saat ini {actual}."
        ),
        message_en=(
            f"Distribution pattern of a unit graded {grade_label}: {rule_en}, that is "
            f"{bound_en} {limit} of {size} employees; now {actual}."
        ),
        bound=clause.bound,
        expected=limit / size,
        actual=actual / size,
        expected_count=limit,
        actual_count=actual,
    )


def _phrases(clause: DistributionClause) -> tuple[str, str]:
    """Return the clause in Indonesian and English, as the regulation states it."""
    names = [predikat for predikat in Predikat if predikat in clause.predikats]
    labels_id = " dan/atau ".join(_PREDIKAT_LABELS[name] for name in names)
    labels_en = " and/or ".join(_PREDIKAT_LABELS[name] for name in names)
    if clause.percent == 0 and clause.bound is Bound.AT_MOST:
        return f"tidak boleh ada pegawai berpredikat {labels_id}", f"nobody may be {labels_en}"
    if clause.percent == 0:
        return f"harus ada pegawai berpredikat {labels_id}", f"someone must be {labels_en}"
    word_id, word_en = _BOUND_WORDS[clause.bound]
    return (
        f"{word_id} {clause.percent}% pegawai berpredikat {labels_id}",
        f"{word_en} {clause.percent}% of employees rated {labels_en}",
    )
