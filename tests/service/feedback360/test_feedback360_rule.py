"""The results rule and its threshold setting, on rows built in memory (no database)."""

from __future__ import annotations

from datetime import date

import pytest

from service.db.models import BEHAVIOR_COLUMNS
from service.db.models import FeedbackAnswer
from service.db.models import FeedbackRound
from service.domain.entities import BerakhlakValue
from service.domain.entities import Rating
from service.domain.errors import Invalid
from service.domain.feedback360_results import FeedbackSettings
from service.domain.feedback360_results import build_results
from service.domain.feedback360_results import effective_status
from service.domain.feedback360_terms import RaterGroup
from service.domain.feedback360_terms import RoundStatus

TODAY = date(2026, 3, 10)


def _round(
    status: RoundStatus = RoundStatus.CLOSED, closes_on: date | None = None
) -> FeedbackRound:
    return FeedbackRound(id=7, employee_id=1, period="2025", status=status, closes_on=closes_on)


def _answer(rating: Rating, comment: str | None = None) -> FeedbackAnswer:
    columns = {column: rating for column in BEHAVIOR_COLUMNS.values()}
    return FeedbackAnswer(comment=comment, **columns)


def _peers(*ratings: Rating) -> list[tuple[RaterGroup, int, FeedbackAnswer]]:
    return [(RaterGroup.PEER, 100 + i, _answer(r)) for i, r in enumerate(ratings)]


@pytest.mark.parametrize(("minimum", "shown"), [(2, True), (3, True), (4, False)])
def test_the_threshold_is_configurable(minimum: int, shown: bool) -> None:
    answers = _peers(Rating.DI_ATAS_EKSPEKTASI, Rating.SESUAI_EKSPEKTASI, Rating.SESUAI_EKSPEKTASI)
    result = build_results(
        _round(),
        RoundStatus.CLOSED,
        {RaterGroup.PEER: (5, 3)},
        answers,
        None,
        FeedbackSettings(minimum),
    )
    peer = result.groups[0]
    assert (peer.shown, peer.nominated, peer.answered) == (shown, 5, 3)
    if shown:
        kompeten = next(v for v in peer.values if v.value is BerakhlakValue.KOMPETEN)
        assert kompeten.counts[Rating.SESUAI_EKSPEKTASI] == 2
        assert kompeten.mean == pytest.approx((3 + 2 + 2) / 3, abs=0.01)
    else:
        assert peer.values == [] and peer.reason == "too_few_answers"


def test_the_readers_own_answer_does_not_count() -> None:
    answers = _peers(Rating.DI_ATAS_EKSPEKTASI, Rating.SESUAI_EKSPEKTASI, Rating.SESUAI_EKSPEKTASI)
    counts = {RaterGroup.PEER: (3, 3)}
    settings = FeedbackSettings(3)
    outsider = build_results(_round(), RoundStatus.CLOSED, counts, answers, 999, settings)
    member = build_results(_round(), RoundStatus.CLOSED, counts, answers, 101, settings)
    assert outsider.groups[0].shown and not member.groups[0].shown


def test_comments_that_differ_only_in_case_do_not_keep_the_answer_order() -> None:
    """The comment order is the same whichever came in first, also for "Baik" and "baik"."""
    texts = ["baik", "Baik", "Cukup", "BAIK"]
    orders = []
    for order in (texts, texts[::-1], texts[1:] + texts[:1]):
        answers = [
            (RaterGroup.PEER, 100 + i, _answer(Rating.SESUAI_EKSPEKTASI, text))
            for i, text in enumerate(order)
        ]
        counts = {RaterGroup.PEER: (4, 4)}
        result = build_results(
            _round(), RoundStatus.CLOSED, counts, answers, None, FeedbackSettings(3)
        )
        orders.append(result.groups[0].comments)
    assert orders[0] == orders[1] == orders[2]
    assert [c.casefold() for c in orders[0]] == ["baik", "baik", "baik", "cukup"]


def test_an_open_round_shows_no_values_even_with_answers() -> None:
    answers = _peers(*[Rating.SESUAI_EKSPEKTASI] * 5)
    result = build_results(
        _round(RoundStatus.OPEN),
        RoundStatus.OPEN,
        {RaterGroup.PEER: (5, 5)},
        answers,
        None,
        FeedbackSettings(),
    )
    assert result.groups[0].reason == "round_open" and result.groups[0].values == []


@pytest.mark.parametrize(
    ("status", "closes_on", "expected"),
    [
        (RoundStatus.OPEN, None, RoundStatus.OPEN),
        (RoundStatus.OPEN, TODAY, RoundStatus.OPEN),
        (RoundStatus.OPEN, date(2026, 3, 9), RoundStatus.CLOSED),
        (RoundStatus.CLOSED, date(2030, 1, 1), RoundStatus.CLOSED),
    ],
)
def test_a_round_closes_after_its_closing_day(
    status: RoundStatus, closes_on: date | None, expected: RoundStatus
) -> None:
    assert effective_status(_round(status, closes_on), TODAY) is expected


@pytest.mark.parametrize(("value", "expected"), [(None, 3), ("5", 5), (2, 2), (" 4 ", 4)])
def test_threshold_setting_is_read_from_the_config(value: object, expected: int) -> None:
    config = {} if value is None else {"KINERJA_FEEDBACK_MIN_GROUP_ANSWERS": value}
    assert FeedbackSettings.from_mapping(config).min_group_answers == expected


@pytest.mark.parametrize("value", [1, "0", "three", True, 2.5, "-3"])
def test_a_bad_threshold_names_its_key(value: object) -> None:
    with pytest.raises(Invalid) as caught:
        FeedbackSettings.from_mapping({"KINERJA_FEEDBACK_MIN_GROUP_ANSWERS": value})
    assert caught.value.errors[0].field == "KINERJA_FEEDBACK_MIN_GROUP_ANSWERS"
