"""The groups of people fairness is checked over: age band and golongan group.

One definition for the model's fairness gate at training (`training.extract`, by gender and
age band) and the fairness report of the ratings (`rating_fairness`); a person whose birth
date or golongan is missing or unreadable is in the group `UNKNOWN`, so nobody drops out.
"""

from __future__ import annotations

import re
from datetime import date

from service.domain.organisation import PNS_GRADE
from service.domain.organisation import PPPK_GRADE

#: Age bands (low inclusive, high exclusive, name) at a period's end.
AGE_BANDS = ((0, 30, "<30"), (30, 40, "30-39"), (40, 50, "40-49"), (50, 200, "50+"))
UNKNOWN = "unknown"
#: Golongan groups: a PNS/CPNS golongan such as III/c by its roman numeral, a PPPK one
#: (I to XVII alone, Perpres 98/2020) in one group of its own.
GRADE_GROUPS = ("I", "II", "III", "IV", "PPPK")
_PNS_GRADE = re.compile(PNS_GRADE)
_PPPK_GRADE = re.compile(PPPK_GRADE)


def age_band(born: date | None, on: date) -> str:
    """The age band of someone born on `born`, on day `on` (`UNKNOWN` without a birth date)."""
    if born is None:
        return UNKNOWN
    age = on.year - born.year - ((on.month, on.day) < (born.month, born.day))
    return next((name for low, high, name in AGE_BANDS if low <= age < high), UNKNOWN)


def grade_group(grade: str | None) -> str:
    """The golongan group of `grade`: "III" for III/c, "PPPK" for IX, else `UNKNOWN`."""
    if not grade:
        return UNKNOWN
    if _PNS_GRADE.fullmatch(grade):
        return grade.split("/")[0]
    return "PPPK" if _PPPK_GRADE.fullmatch(grade) else UNKNOWN
