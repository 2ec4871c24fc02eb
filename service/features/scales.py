"""How stored enum values become numbers: predikat and rating scores, windows, golongan rank.

Kept apart from the catalogue so that the panel (which reads these scales) and the catalogue
(which names the features computed from the panel) do not import each other.
"""

from __future__ import annotations

from service.domain.entities import PeriodKind
from service.domain.entities import Predikat
from service.domain.entities import Rating

#: Fewer evaluated periods than this and the answer is "insufficient_data".
MIN_EVALUATED_PERIODS = 2

#: Ordinal of each predikat, higher is better.
PREDIKAT_SCORE: dict[str, float] = {
    Predikat.SANGAT_KURANG.value: 0.0,
    Predikat.KURANG.value: 1.0,
    Predikat.BUTUH_PERBAIKAN.value: 2.0,
    Predikat.BAIK.value: 3.0,
    Predikat.SANGAT_BAIK.value: 4.0,
}
#: A predikat score below this is a poor period (Predikat.is_poor).
POOR_BELOW = PREDIKAT_SCORE[Predikat.BAIK.value]

RATING_SCORE: dict[str, float] = {
    Rating.DI_BAWAH_EKSPEKTASI.value: -1.0,
    Rating.SESUAI_EKSPEKTASI.value: 0.0,
    Rating.DI_ATAS_EKSPEKTASI.value: 1.0,
}

#: Periods a "window" feature looks back over (about a year, three years for annual data).
WINDOW: dict[PeriodKind, int] = {PeriodKind.YEAR: 3, PeriodKind.QUARTER: 4, PeriodKind.MONTH: 12}

_GRADE_ROMAN = {"I": 0, "II": 1, "III": 2, "IV": 3}
_GRADE_LETTERS = "abcde"


def lookback(kind: PeriodKind) -> int:
    """Number of periods, ending at t, that features may read (two windows)."""
    return 2 * WINDOW[kind]


def grade_rank(grade: object) -> float:
    """Rank a golongan such as "III/c" on one scale (I/a = 1 ... IV/e = 20); NaN if unknown."""
    if not isinstance(grade, str) or "/" not in grade:
        return float("nan")
    roman, letter = grade.strip().split("/", 1)
    if roman not in _GRADE_ROMAN or letter.lower() not in _GRADE_LETTERS:
        return float("nan")
    return float(_GRADE_ROMAN[roman] * 5 + _GRADE_LETTERS.index(letter.lower()) + 1)
