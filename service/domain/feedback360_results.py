"""The results of a 360-degree feedback round, built so that no single answer can be recovered.

The rule, in one place (README "360-degree feedback" repeats it for users):

1. **Only once the round is closed.** While it is open a reader sees counts per group and
   nothing else. A closed round takes no more answers, so its results never change: nobody can
   read the aggregate before and after one more answer and take the difference.
2. **Only aggregates per rater group.** Per BerAKHLAK value: how many answers gave each rating,
   and their mean (1 below, 2 meets, 3 above expectations). Never an answer, a rater, an order
   of answers or an answer time. There is no total over all groups (a total minus the shown
   groups would reveal a hidden group).
3. **Anonymous groups need enough answers.** The peer and subordinate groups are shown only
   with at least `min_group_answers` answers (KINERJA_FEEDBACK_MIN_GROUP_ANSWERS, default 3).
   A reader who answered in that group themselves does not count: they could take their own
   answer out of the aggregate, so for them the group needs that many answers besides theirs.
   Round creation refuses an anonymous group nominated with 1 to `min - 1` people.
4. **The self and supervisor groups are not anonymous by nature** (the employee, and the
   supervisor chain whom the employee knows anyway): they are shown whenever they answered.
   Raters see in the answer form whether their group is anonymous.
5. **Comments** follow their group: shown only when the group is shown, without names, and
   sorted alphabetically (not in the order they came in, not even among texts that differ
   only in case).

What an aggregate cannot hide: when every member of a group gave the same rating, the count
says so (that is what an aggregate is). And raters who tell a reader their own answers shrink
the group for that reader; every nomination is audited (who started which round).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from service.db.models import BEHAVIOR_COLUMNS
from service.db.models import FeedbackAnswer
from service.db.models import FeedbackRound
from service.domain.entities import BerakhlakValue
from service.domain.entities import Rating
from service.domain.feedback360_terms import ANONYMOUS_GROUPS
from service.domain.feedback360_terms import RATING_SCORE
from service.domain.feedback360_terms import RaterGroup
from service.domain.feedback360_terms import RoundStatus
from service.domain.settings import whole_number_setting

CONFIG_KEY = "KINERJA_FEEDBACK_MIN_GROUP_ANSWERS"
DEFAULT_MIN_GROUP_ANSWERS = 3
#: Below two, an "aggregate" of an anonymous group would be one person's answer.
LOWEST_MIN_GROUP_ANSWERS = 2


@dataclass(frozen=True)
class FeedbackSettings:
    """The anonymity threshold of peer and subordinate groups."""

    min_group_answers: int = DEFAULT_MIN_GROUP_ANSWERS

    @classmethod
    def from_mapping(cls, config: Mapping[str, Any]) -> FeedbackSettings:
        """Read the threshold from the app config (a number, or its text from `.env`)."""
        low = LOWEST_MIN_GROUP_ANSWERS
        return cls(whole_number_setting(config, CONFIG_KEY, DEFAULT_MIN_GROUP_ANSWERS, low))


@dataclass(frozen=True)
class ValueSummary:
    """How a group rated one BerAKHLAK value: answers per rating, and their mean score."""

    value: BerakhlakValue
    counts: dict[Rating, int]
    mean: float


@dataclass(frozen=True)
class GroupResult:
    """One rater group of a round; `values` and `comments` are empty unless `shown`."""

    group: RaterGroup
    anonymous: bool
    nominated: int
    answered: int
    shown: bool
    reason: str | None
    values: list[ValueSummary]
    comments: list[str]


@dataclass(frozen=True)
class RoundResults:
    round_id: int
    employee_id: int
    period: str
    status: RoundStatus
    min_group_answers: int
    groups: list[GroupResult]


Answer = tuple[RaterGroup, int, FeedbackAnswer]  # (group, rater employee id, answer)


def effective_status(feedback_round: FeedbackRound, today: date) -> RoundStatus:
    """A round is closed when closed by hand or once its `closes_on` day has passed."""
    closes_on = feedback_round.closes_on
    if feedback_round.status is RoundStatus.CLOSED or (
        closes_on is not None and closes_on < today
    ):
        return RoundStatus.CLOSED
    return RoundStatus.OPEN


def build_results(
    feedback_round: FeedbackRound,
    status: RoundStatus,
    counts: Mapping[RaterGroup, tuple[int, int]],
    answers: Iterable[Answer],
    reader_employee_id: int | None,
    settings: FeedbackSettings,
) -> RoundResults:
    """Apply the rule of this module to a round's answers, for one reader."""
    by_group: dict[RaterGroup, list[Answer]] = {}
    for answer in answers:
        by_group.setdefault(answer[0], []).append(answer)
    groups = [
        _group_result(
            group,
            counts[group],
            by_group.get(group, []),
            status,
            reader_employee_id,
            settings.min_group_answers,
        )
        for group in RaterGroup
        if group in counts
    ]
    return RoundResults(
        round_id=feedback_round.id,
        employee_id=feedback_round.employee_id,
        period=feedback_round.period,
        status=status,
        min_group_answers=settings.min_group_answers,
        groups=groups,
    )


def _group_result(
    group: RaterGroup,
    count: tuple[int, int],
    answers: list[Answer],
    status: RoundStatus,
    reader_employee_id: int | None,
    minimum: int,
) -> GroupResult:
    anonymous = group in ANONYMOUS_GROUPS
    reason = _hidden_reason(anonymous, answers, status, reader_employee_id, minimum)
    shown = reason is None
    rows = [answer for _, _, answer in answers] if shown else []
    return GroupResult(
        group=group,
        anonymous=anonymous,
        nominated=count[0],
        answered=count[1],
        shown=shown,
        reason=reason,
        values=[_summary(value, rows) for value in BerakhlakValue] if shown else [],
        comments=sorted((a.comment for a in rows if a.comment), key=_alphabetical),
    )


def _alphabetical(comment: str) -> tuple[str, str]:
    """Sort key of comments: alphabetical, and the text itself where only the case differs
    (a stable sort on the folded text alone would keep such comments in answer order)."""
    return comment.casefold(), comment


def _hidden_reason(
    anonymous: bool,
    answers: list[Answer],
    status: RoundStatus,
    reader_employee_id: int | None,
    minimum: int,
) -> str | None:
    """Why a group is not shown to this reader, or None when it is."""
    if status is not RoundStatus.CLOSED:
        return "round_open"
    if not answers:
        return "no_answers"
    if anonymous:
        others = sum(1 for _, rater, _ in answers if rater != reader_employee_id)
        if others < minimum:
            return "too_few_answers"
    return None


def _summary(value: BerakhlakValue, rows: list[FeedbackAnswer]) -> ValueSummary:
    column = BEHAVIOR_COLUMNS[value]
    ratings = Counter(Rating(getattr(row, column)) for row in rows)
    total = sum(ratings.values())
    mean = sum(RATING_SCORE[r] * n for r, n in ratings.items()) / total if total else 0.0
    return ValueSummary(value, {r: ratings.get(r, 0) for r in Rating}, round(mean, 2))
