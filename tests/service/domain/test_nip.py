"""The NIP of a PNS and the NI PPPK: 18 digits that encode birth date, start, gender, serial.

A PNS/CPNS NIP has the TMT CPNS year and month in digits 9-14; an NI PPPK has the year of the
first appointment as PPPK in 9-12 and a code in 13-14 that is not a month (21, 24 are seen).
"""

from __future__ import annotations

from datetime import date

import pytest

from service.domain.entities import EmploymentStatus
from service.domain.entities import Gender
from service.domain.errors import Invalid
from service.domain.nip import check_nip
from service.domain.nip import parse_nip

PPPK = EmploymentStatus.PPPK
PARUH_WAKTU = EmploymentStatus.PPPK_PARUH_WAKTU


def test_a_pns_nip_gives_its_parts() -> None:
    parts = check_nip("198503152010011001", date(1985, 3, 15), Gender.L, EmploymentStatus.PNS)
    assert (parts.birth_date, parts.start_year, parts.start_month) == (date(1985, 3, 15), 2010, 1)
    assert parts.gender is Gender.L


@pytest.mark.parametrize(
    ("nip", "status", "born", "gender", "start_year"),
    [
        ("199009132025242014", PARUH_WAKTU, date(1990, 9, 13), Gender.P, 2025),
        ("198507262023211001", PPPK, date(1985, 7, 26), Gender.L, 2023),
    ],
)
def test_an_ni_pppk_is_accepted_for_a_pppk(
    nip: str, status: EmploymentStatus, born: date, gender: Gender, start_year: int
) -> None:
    parts = check_nip(nip, born, gender, status)
    assert (parts.birth_date, parts.start_year, parts.start_month) == (born, start_year, None)
    assert parts.gender is gender
    # Without a status (the request schema's check) both layouts pass.
    assert parse_nip(nip).start_year == start_year


@pytest.mark.parametrize("status", [EmploymentStatus.PNS, EmploymentStatus.CPNS])
def test_a_pns_nip_needs_a_start_month(status: EmploymentStatus) -> None:
    with pytest.raises(Invalid) as caught:
        check_nip("199009132025242014", status=status)
    message = caught.value.errors[0].message
    assert "start year and month" in message and "pppk" in message


@pytest.mark.parametrize(
    ("nip", "words"),
    [
        ("000101010001011001", "18 years"),  # birth in year 1, started the same year
        ("199001011990011001", "18 years"),  # started as a baby
        ("199006152008051001", "18 years"),  # one month short of 18
        ("209001012095011001", "future"),  # born in 2090
        ("196001012099011001", "future"),  # starts in 2099
        ("199001012000211001", "18 years"),  # NI PPPK at the age of 10
    ],
)
def test_an_impossible_nip_is_refused(nip: str, words: str) -> None:
    with pytest.raises(Invalid) as caught:
        parse_nip(nip)
    assert caught.value.errors[0].field == "nip"
    assert words in caught.value.errors[0].message


def test_the_earliest_possible_start_is_accepted() -> None:
    assert parse_nip("199006152008061001").start_month == 6  # 18 in that month
