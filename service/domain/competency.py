"""Competency gaps and job-person match (JPM) against a position standard (domain.md 4.3-4.4).

A standard maps competency codes to the required level (whole numbers 1-5, PermenPANRB
38/2017); assessed levels map codes to a level 1-5 that may be fractional (averaged
assessors) and may be missing.

Choice for a competency of the standard that was never assessed: it counts as level 0,
so it is reported with `current=None` and `gap=required` (the whole requirement is unproven),
ranks among the largest gaps, and adds 0 to the JPM numerator. Callers that must abstain on
incomplete evidence look for `current is None` first. Assessed competencies that are not in
the standard are validated but otherwise ignored: they do not belong to this position.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from numbers import Integral
from numbers import Real

from service.domain.errors import FieldError
from service.domain.errors import Invalid
from service.domain.settings import JpmThresholds

LEVEL_MIN = 1
LEVEL_MAX = 5


class JpmCategory(StrEnum):
    """JPM category (BRIN regulation 3/2023, mirroring BKN practice)."""

    OPTIMAL = "optimal"
    CUKUP_OPTIMAL = "cukup_optimal"
    KURANG_OPTIMAL = "kurang_optimal"


@dataclass(frozen=True)
class CompetencyGap:
    """Gap of one competency: required - current; positive is a gap, negative a surplus."""

    competency: str
    required: int
    current: float | None
    gap: float


def competency_gaps(
    standard: Mapping[str, int], levels: Mapping[str, float]
) -> list[CompetencyGap]:
    """List the gap of every competency of the standard, largest gap first, then by code."""
    _validate(standard, levels)
    gaps = [
        CompetencyGap(code, required, levels.get(code), required - levels.get(code, 0))
        for code, required in standard.items()
    ]
    return sorted(gaps, key=lambda gap: (-gap.gap, gap.competency))


def job_person_match(
    standard: Mapping[str, int], levels: Mapping[str, float], *, cap_at_standard: bool
) -> float:
    """Return JPM % = sum of assessed levels / sum of required levels x 100.

    With `cap_at_standard` a level above the requirement counts as the requirement, so a
    surplus in one competency cannot hide a gap in another and JPM is at most 100.
    """
    _validate(standard, levels)
    if not standard:
        raise Invalid.field("standard", "needs at least one competency to compute a JPM")
    credited = sum(
        min(levels.get(code, 0), required if cap_at_standard else math.inf)
        for code, required in standard.items()
    )
    return 100 * credited / sum(standard.values())


def jpm_category(jpm: float, thresholds: JpmThresholds) -> JpmCategory:
    """Return the category of a JPM %; each threshold is the lower bound, inclusive."""
    if not _is_number(jpm) or not 0 <= jpm < math.inf:
        raise Invalid.field("jpm", f"must be a finite percentage >= 0; got {jpm!r}")
    if jpm >= thresholds.optimal:
        return JpmCategory.OPTIMAL
    if jpm >= thresholds.cukup_optimal:
        return JpmCategory.CUKUP_OPTIMAL
    return JpmCategory.KURANG_OPTIMAL


def _validate(standard: Mapping[str, int], levels: Mapping[str, float]) -> None:
    errors = [
        FieldError(f"standard.{code}", f"must be a whole level 1 to 5; got {required!r}")
        for code, required in standard.items()
        if not (_is_level(required) and isinstance(required, Integral))
    ]
    errors += [
        FieldError(f"levels.{code}", f"must be a level from 1 to 5; got {level!r}")
        for code, level in levels.items()
        if not _is_level(level)
    ]
    if errors:
        raise Invalid(errors=errors)


def _is_level(value: object) -> bool:
    return _is_number(value) and LEVEL_MIN <= value <= LEVEL_MAX  # type: ignore[operator]


def _is_number(value: object) -> bool:
    return isinstance(value, Real) and not isinstance(value, bool)
