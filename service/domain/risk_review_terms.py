"""Terms of a supervisor's review of a risk flag, shared by the model and the rules."""

from __future__ import annotations

from enum import StrEnum


class ReviewDecision(StrEnum):
    """What the supervisor who knows the person makes of the model's answer."""

    AGREE = "agree"
    DISAGREE = "disagree"
