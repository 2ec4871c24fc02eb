"""The vocabulary of 360-degree feedback on BerAKHLAK behaviour (issue 8, part 2).

Kept apart from the use cases so the tables (`service.db.models`) can use the enumerations
without importing the rules that read those tables.
"""

from __future__ import annotations

from enum import StrEnum

from service.domain.entities import Rating


class RoundStatus(StrEnum):
    """A round takes answers while `open`; its results are shown only once `closed`."""

    OPEN = "open"
    CLOSED = "closed"


class RaterGroup(StrEnum):
    """How a rater stands to the rated employee."""

    SUPERVISOR = "supervisor"
    PEER = "peer"
    SUBORDINATE = "subordinate"
    SELF = "self"


#: Groups whose members are not identifiable by nature: shown only as aggregates of at least
#: the configured number of answers. The self group is the employee; the supervisor group is
#: the supervisor chain, whom the employee knows anyway.
ANONYMOUS_GROUPS = frozenset({RaterGroup.PEER, RaterGroup.SUBORDINATE})

#: Score of a rating for the group mean (1 below, 2 meets, 3 above expectations).
RATING_SCORE: dict[Rating, int] = {
    Rating.DI_BAWAH_EKSPEKTASI: 1,
    Rating.SESUAI_EKSPEKTASI: 2,
    Rating.DI_ATAS_EKSPEKTASI: 3,
}
