"""Every cell of the quadrant matrix, copied from domain.md section 3.6 (not from the code)."""

from __future__ import annotations

import pytest

from service.domain.entities import Predikat
from service.domain.entities import Rating
from service.domain.errors import Invalid
from service.domain.predikat import predikat_for

# domain.md 3.6: rows are rating hasil kerja, columns rating perilaku kerja.
MATRIX_FROM_DOMAIN_MD = [
    ("di_atas_ekspektasi", "di_bawah_ekspektasi", "kurang"),
    ("di_atas_ekspektasi", "sesuai_ekspektasi", "baik"),
    ("di_atas_ekspektasi", "di_atas_ekspektasi", "sangat_baik"),
    ("sesuai_ekspektasi", "di_bawah_ekspektasi", "kurang"),
    ("sesuai_ekspektasi", "sesuai_ekspektasi", "baik"),
    ("sesuai_ekspektasi", "di_atas_ekspektasi", "baik"),
    ("di_bawah_ekspektasi", "di_bawah_ekspektasi", "sangat_kurang"),
    ("di_bawah_ekspektasi", "sesuai_ekspektasi", "butuh_perbaikan"),
    ("di_bawah_ekspektasi", "di_atas_ekspektasi", "butuh_perbaikan"),
]


@pytest.mark.parametrize(("work", "behavior", "expected"), MATRIX_FROM_DOMAIN_MD)
def test_each_cell_from_enum_members(work: str, behavior: str, expected: str) -> None:
    result = predikat_for(Rating(work), Rating(behavior))

    assert result is Predikat(expected)


@pytest.mark.parametrize(("work", "behavior", "expected"), MATRIX_FROM_DOMAIN_MD)
def test_each_cell_from_string_values(work: str, behavior: str, expected: str) -> None:
    assert predikat_for(work, behavior) is Predikat(expected)


def test_sangat_baik_needs_both_ratings_above() -> None:
    cells = [(work, behavior) for work in Rating for behavior in Rating]

    top = [cell for cell in cells if predikat_for(*cell) is Predikat.SANGAT_BAIK]

    assert top == [(Rating.DI_ATAS_EKSPEKTASI, Rating.DI_ATAS_EKSPEKTASI)]


@pytest.mark.parametrize(
    "bad",
    [
        "DI_ATAS_EKSPEKTASI",
        "di atas ekspektasi",
        " sesuai_ekspektasi",
        "",
        "baik",
        Predikat.BAIK,
        None,
        1,
        True,
    ],
)
def test_rejects_anything_but_a_rating(bad: object) -> None:
    with pytest.raises(Invalid, match=r"work_result_rating: must be one of di_atas_ekspektasi"):
        predikat_for(bad, Rating.SESUAI_EKSPEKTASI)  # type: ignore[arg-type]
    with pytest.raises(Invalid, match=r"behavior_rating: must be one of .*sesuai_ekspektasi"):
        predikat_for(Rating.SESUAI_EKSPEKTASI, bad)  # type: ignore[arg-type]


def test_invalid_rating_carries_a_field_error_for_the_api() -> None:
    with pytest.raises(Invalid) as caught:
        predikat_for("sesuai_ekspektasi", "excellent")

    assert caught.value.status == 422
    assert [(e.field, e.row) for e in caught.value.errors] == [("behavior_rating", None)]
    assert "'excellent'" in caught.value.errors[0].message
