"""The NIP (Nomor Induk Pegawai) of a PNS: 18 digits that encode birth date, start and gender.

Layout: birth date YYYYMMDD (1-8), TMT CPNS year and month YYYYMM (9-14), gender 1 = male,
2 = female (15), sequence number (16-18). The birth date must be a real date and the start
month a real month; when the record also gives `birth_date` or `gender`, they must agree.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from service.domain.entities import Gender
from service.domain.errors import Invalid

_NIP = re.compile(r"[0-9]{18}")
_GENDER_DIGIT = {"1": Gender.L, "2": Gender.P}


@dataclass(frozen=True)
class NipParts:
    birth_date: date
    start_year: int
    start_month: int
    gender: Gender


def parse_nip(nip: object, *, field: str = "nip") -> NipParts:
    """Split a NIP into its parts; Invalid names what is wrong and the expected layout."""
    if not isinstance(nip, str) or not _NIP.fullmatch(nip):
        raise Invalid.field(field, "must be exactly 18 digits (YYYYMMDD YYYYMM G NNN)")
    try:
        birth = date(int(nip[0:4]), int(nip[4:6]), int(nip[6:8]))
    except ValueError:
        message = f"digits 1-8 must be a birth date YYYYMMDD; got {nip[:8]}"
        raise Invalid.field(field, message) from None
    start_year, start_month = int(nip[8:12]), int(nip[12:14])
    if not 1 <= start_month <= 12 or start_year < birth.year:
        raise Invalid.field(
            field, f"digits 9-14 must be the start year and month; got {nip[8:14]}"
        )
    gender = _GENDER_DIGIT.get(nip[14])
    if gender is None:
        raise Invalid.field(field, f"digit 15 must be 1 (male) or 2 (female); got {nip[14]}")
    return NipParts(birth, start_year, start_month, gender)


def check_nip(
    nip: object, birth_date: date | None = None, gender: Gender | None = None
) -> NipParts:
    """Parse a NIP and check it agrees with the birth date and gender given beside it."""
    parts = parse_nip(nip)
    if birth_date is not None and birth_date != parts.birth_date:
        raise Invalid.field("nip", f"encodes birth date {parts.birth_date}, not {birth_date}")
    if gender is not None and gender != parts.gender:
        raise Invalid.field("nip", f"encodes gender {parts.gender.value}, not {gender.value}")
    return parts
