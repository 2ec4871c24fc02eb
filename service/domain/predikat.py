"""The employee predikat matrix (*kuadran kinerja pegawai*, domain.md section 3.6).

Status [P]: the five predikat and the two ratings are confirmed, but the cell mapping was not
read in the official text (the Lampiran of PermenPANRB 6/2022); it is the mapping that many
independent public implementations share. It therefore lives in ONE table, `MATRIX`, so a
correction is a one-line change here and nowhere else.

Reading: behaviour below expectation caps the predikat at *Kurang/Misconduct* (or *Sangat
Kurang* when results are also below); results below expectation cap it at *Butuh Perbaikan*;
*Sangat Baik* needs both ratings above expectation.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

from service.domain.entities import Predikat
from service.domain.entities import Rating
from service.domain.errors import as_member

_ABOVE = Rating.DI_ATAS_EKSPEKTASI
_MEETS = Rating.SESUAI_EKSPEKTASI
_BELOW = Rating.DI_BAWAH_EKSPEKTASI

# (rating hasil kerja, rating perilaku kerja) -> predikat
MATRIX: Final[Mapping[tuple[Rating, Rating], Predikat]] = MappingProxyType(
    {
        (_ABOVE, _BELOW): Predikat.KURANG,
        (_ABOVE, _MEETS): Predikat.BAIK,
        (_ABOVE, _ABOVE): Predikat.SANGAT_BAIK,
        (_MEETS, _BELOW): Predikat.KURANG,
        (_MEETS, _MEETS): Predikat.BAIK,
        (_MEETS, _ABOVE): Predikat.BAIK,
        (_BELOW, _BELOW): Predikat.SANGAT_KURANG,
        (_BELOW, _MEETS): Predikat.BUTUH_PERBAIKAN,
        (_BELOW, _ABOVE): Predikat.BUTUH_PERBAIKAN,
    }
)


def predikat_for(work_result_rating: Rating | str, behavior_rating: Rating | str) -> Predikat:
    """Map the two ratings to the predikat; accepts the enum or its string value."""
    work = as_member(Rating, work_result_rating, "work_result_rating")
    behavior = as_member(Rating, behavior_rating, "behavior_rating")
    return MATRIX[work, behavior]
