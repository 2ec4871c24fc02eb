"""One parser for the whole-number settings (objection window, 360 group minimum)."""

from __future__ import annotations

import pytest

from service.config import ConfigError
from service.config import load_config
from service.domain.errors import Invalid
from service.domain.feedback360_results import FeedbackSettings
from service.domain.objections import ObjectionSettings
from service.domain.settings import whole_number_setting

KEY = "KINERJA_EXAMPLE"


@pytest.mark.parametrize(
    ("config", "expected"),
    [({}, 7), ({KEY: 3}, 3), ({KEY: " 12 "}, 12), ({KEY: "5"}, 5), ({KEY: 10}, 10)],
)
def test_a_whole_number_in_range_is_read(config: dict, expected: int) -> None:
    assert whole_number_setting(config, KEY, 7, 3, 12) == expected


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("two", "must be a whole number from 3 to 12; got 'two'"),
        (True, "must be a whole number from 3 to 12; got True"),
        (2.5, "must be a whole number from 3 to 12; got 2.5"),
        (-4, "must be a whole number from 3 to 12; got -4"),
        ("2", "must be a whole number from 3 to 12; got '2'"),
        (13, "must be a whole number from 3 to 12; got 13"),
    ],
)
def test_anything_else_names_the_key_the_range_and_the_value(value: object, message: str) -> None:
    with pytest.raises(Invalid) as caught:
        whole_number_setting({KEY: value}, KEY, 7, 3, 12)
    assert (caught.value.errors[0].field, caught.value.errors[0].message) == (KEY, message)


def _message(read: object, config: dict) -> str:
    with pytest.raises(Invalid) as caught:
        read(config)  # type: ignore[operator]
    return caught.value.errors[0].message


def test_without_an_upper_bound_only_the_lowest_is_said() -> None:
    assert whole_number_setting({KEY: "900"}, KEY, 7, 3) == 900
    assert _message(lambda c: whole_number_setting(c, KEY, 7, 3), {KEY: 1}) == (
        "must be a whole number, at least 3; got 1"
    )


def test_both_settings_read_through_it() -> None:
    objection = ObjectionSettings.from_mapping
    feedback = FeedbackSettings.from_mapping
    assert objection({"KINERJA_OBJECTION_WINDOW_DAYS": " 30 "}).window_days == 30
    assert feedback({"KINERJA_FEEDBACK_MIN_GROUP_ANSWERS": " 9 "}).min_group_answers == 9
    assert _message(objection, {"KINERJA_OBJECTION_WINDOW_DAYS": "400"}) == (
        "must be a whole number of days from 1 to 366; got '400'"
    )
    assert _message(feedback, {"KINERJA_FEEDBACK_MIN_GROUP_ANSWERS": "1"}) == (
        "must be a whole number, at least 2; got '1'"
    )


@pytest.mark.parametrize(
    ("key", "value"),
    [("KINERJA_FEEDBACK_MIN_GROUP_ANSWERS", "1"), ("KINERJA_OBJECTION_WINDOW_DAYS", "0")],
)
def test_a_bad_value_stops_the_service_at_start_naming_the_key(key: str, value: str) -> None:
    """The risk model reads the 360 minimum when the app is made: a bad one is a ConfigError
    at start (one line from the CLI), not a traceback, nor a 4xx at the first request."""
    with pytest.raises(ConfigError, match=rf"{key}: must be a whole number"):
        load_config({"KINERJA_ENV": "test", key: value}, use_env=False)
