"""The NIP (Nomor Induk Pegawai) of a PNS and the NI PPPK: 18 digits that encode birth date,
start, gender and a sequence number.

PNS and CPNS (Perka BKN 43/2007): birth date YYYYMMDD (1-8), TMT CPNS year and month YYYYMM
(9-14), gender 1 = male, 2 = female (15), sequence number (16-18).

PPPK (*Nomor Induk PPPK*): the same, except that 13-14 after the year of the first appointment
as PPPK is a code of the work agreement, not a month (21 and 24, the part-time PPPK, are
seen). Which codes exist is not confirmed, so any two digits pass for a PPPK.

The birth date must be a real date, not in the future, and, for a PNS/CPNS, the start month a
real month. The start is at least 18 years after the birth (to the month; the year of an NI
PPPK) and no later than next year. When the record also gives `birth_date`, `gender` or
`employment_status`, they must agree. Without an employment status (the request schema's
check) either layout passes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from service.domain.entities import PPPK_STATUSES
from service.domain.entities import EmploymentStatus
from service.domain.entities import Gender
from service.domain.errors import Invalid
from service.domain.periods import today_in_indonesia

_NIP = re.compile(r"[0-9]{18}")
_GENDER_DIGIT = {"1": Gender.L, "2": Gender.P}
#: Youngest age at the start of service (UU ASN: applicants are at least 18).
MINIMUM_AGE = 18


@dataclass(frozen=True)
class NipParts:
    """The parts of a NIP; `start_month` is None for an NI PPPK (13-14 is not a month)."""

    birth_date: date
    start_year: int
    start_month: int | None
    gender: Gender


def parse_nip(
    nip: object, *, field: str = "nip", status: EmploymentStatus | None = None
) -> NipParts:
    """Split a NIP into its parts; Invalid names what is wrong and the expected layout.

    `status` picks the layout: a PNS/CPNS NIP or an NI PPPK; None accepts either.
    """
    if not isinstance(nip, str) or not _NIP.fullmatch(nip):
        raise Invalid.field(field, "must be exactly 18 digits (YYYYMMDD YYYYMM G NNN)")
    try:
        birth = date(int(nip[0:4]), int(nip[4:6]), int(nip[6:8]))
    except ValueError:
        message = f"digits 1-8 must be a birth date YYYYMMDD; got {nip[:8]}"
        raise Invalid.field(field, message) from None
    today = today_in_indonesia()
    if birth > today:
        raise Invalid.field(field, f"digits 1-8 are a birth date in the future: {birth}")
    start_year, code = int(nip[8:12]), int(nip[12:14])
    if start_year > today.year + 1:
        raise Invalid.field(field, f"digits 9-12 are a start year in the future: {start_year}")
    is_month = 1 <= code <= 12
    if status in PPPK_STATUSES or (status is None and not is_month):
        start_month = None
    elif is_month:
        start_month = code
    else:
        raise Invalid.field(
            field,
            f"digits 9-14 must be the start year and month (TMT CPNS) of a PNS or CPNS; got "
            f"{nip[8:14]} (an NI PPPK, with a code instead of a month, needs employment_status "
            "pppk or pppk_paruh_waktu)",
        )
    if (start_year, start_month or 12) < (birth.year + MINIMUM_AGE, birth.month):
        start = nip[8:12] if start_month is None else f"{nip[8:12]}-{nip[12:14]}"
        raise Invalid.field(
            field,
            f"digits 9-14 start the service at {start}, less than {MINIMUM_AGE} years after "
            f"the birth date {birth}",
        )
    gender = _GENDER_DIGIT.get(nip[14])
    if gender is None:
        raise Invalid.field(field, f"digit 15 must be 1 (male) or 2 (female); got {nip[14]}")
    return NipParts(birth, start_year, start_month, gender)


def check_nip(
    nip: object,
    birth_date: date | None = None,
    gender: Gender | None = None,
    status: EmploymentStatus | None = None,
) -> NipParts:
    """Parse a NIP and check it agrees with the birth date, gender and status given beside it."""
    parts = parse_nip(nip, status=status)
    if birth_date is not None and birth_date != parts.birth_date:
        raise Invalid.field("nip", f"encodes birth date {parts.birth_date}, not {birth_date}")
    if gender is not None and gender != parts.gender:
        raise Invalid.field("nip", f"encodes gender {parts.gender.value}, not {gender.value}")
    return parts
