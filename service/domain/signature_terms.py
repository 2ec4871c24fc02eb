"""Terms of an evaluation's signatures, shared by the model and the rules."""

from __future__ import annotations

from enum import StrEnum


class SignerRole(StrEnum):
    """Who signs an evaluation sheet: the rater (*pejabat penilai kinerja*), who gives it,
    and the evaluated employee, who acknowledges receiving it (agreeing is not implied:
    disagreement is an objection)."""

    RATER = "rater"
    EMPLOYEE = "employee"
