"""Terms of an objection (*keberatan*) to an evaluation, shared by the model and the rules."""

from __future__ import annotations

from enum import StrEnum


class ObjectionStatus(StrEnum):
    """Where an objection stands: filed and waiting, decided either way, or withdrawn."""

    PENDING = "pending"
    UPHELD = "upheld"  # the rater's superior changed the ratings
    REJECTED = "rejected"  # the evaluation stands
    WITHDRAWN = "withdrawn"  # by the employee, before a decision


#: The states that end an objection; nothing changes it afterwards.
DECIDED = frozenset({ObjectionStatus.UPHELD, ObjectionStatus.REJECTED})
CLOSED = DECIDED | {ObjectionStatus.WITHDRAWN}
