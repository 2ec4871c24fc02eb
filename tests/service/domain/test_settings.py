"""RuleSettings: documented defaults, reading the app config, and clear errors per key."""

from __future__ import annotations

from pathlib import Path

import pytest

from service.config import ENV_KEYS
from service.config import ConfigError
from service.config import from_environment
from service.config import load_config
from service.domain.errors import Invalid
from service.domain.settings import JpmThresholds
from service.domain.settings import Rounding
from service.domain.settings import RuleSettings


def test_defaults_are_the_documented_values() -> None:
    settings = RuleSettings()

    assert (settings.jpm_thresholds.optimal, settings.jpm_thresholds.cukup_optimal) == (90, 78)
    assert settings.jpm_cap_at_standard is False
    assert (settings.jp_minimum_pns, settings.jp_maximum_pppk) == (20, 24)
    assert settings.jp_late_from_quarter == 3
    assert settings.distribution_rounding_at_most is Rounding.ROUND
    assert settings.distribution_rounding_at_least is Rounding.ROUND
    assert settings.distribution_periodic is True


def test_an_empty_or_unrelated_config_gives_the_defaults() -> None:
    config = {"DATABASE_URL": "sqlite://", "KINERJA_ENV": "test", "KINERJA_JPM": "x"}

    assert RuleSettings.from_mapping(config) == RuleSettings()
    assert RuleSettings.from_mapping({}) == RuleSettings()


EVERY_KEY_AS_TEXT = {
    "KINERJA_JPM_OPTIMAL": "80",
    "KINERJA_JPM_CUKUP_OPTIMAL": "68.5",
    "KINERJA_JPM_CAP_AT_STANDARD": "true",
    "KINERJA_JP_MINIMUM_PNS": "24",
    "KINERJA_JP_MAXIMUM_PPPK": "30",
    "KINERJA_JP_LATE_FROM_QUARTER": "4",
    "KINERJA_DISTRIBUTION_ROUNDING_AT_MOST": "floor",
    "KINERJA_DISTRIBUTION_ROUNDING_AT_LEAST": "ceil",
    "KINERJA_DISTRIBUTION_PERIODIC": "false",
}


def test_reads_every_key_from_strings() -> None:
    settings = RuleSettings.from_mapping(EVERY_KEY_AS_TEXT)

    assert settings == RuleSettings(
        jpm_thresholds=JpmThresholds(optimal=80, cukup_optimal=68.5),
        jpm_cap_at_standard=True,
        jp_minimum_pns=24,
        jp_maximum_pppk=30,
        jp_late_from_quarter=4,
        distribution_rounding_at_most=Rounding.FLOOR,
        distribution_rounding_at_least=Rounding.CEIL,
        distribution_periodic=False,
    )


def test_reads_typed_values_and_keeps_defaults_for_absent_keys() -> None:
    config = {"KINERJA_JPM_CUKUP_OPTIMAL": 70, "KINERJA_JPM_CAP_AT_STANDARD": 1}

    settings = RuleSettings.from_mapping(config)

    assert settings.jpm_thresholds == JpmThresholds(optimal=90, cukup_optimal=70)
    assert settings.jpm_cap_at_standard is True
    assert settings.jp_minimum_pns == 20


@pytest.mark.parametrize(
    ("text", "expected"),
    [("true", True), ("TRUE", True), ("yes", True), ("on", True), ("1", True), (True, True)]
    + [("false", False), ("no", False), ("off", False), ("0", False), (0, False), (False, False)],
)
def test_boolean_spellings(text: object, expected: bool) -> None:
    settings = RuleSettings.from_mapping({"KINERJA_JPM_CAP_AT_STANDARD": text})

    assert settings.jpm_cap_at_standard is expected


@pytest.mark.parametrize(
    ("key", "value", "match"),
    [
        ("KINERJA_JPM_OPTIMAL", "ninety", r"KINERJA_JPM_OPTIMAL: must be a number; got 'ninety'"),
        ("KINERJA_JPM_OPTIMAL", "nan", r"KINERJA_JPM_OPTIMAL: must be a finite number"),
        ("KINERJA_JPM_OPTIMAL", True, r"KINERJA_JPM_OPTIMAL: must be a number"),
        ("KINERJA_JPM_OPTIMAL", 101, r"KINERJA_JPM_OPTIMAL: must be a percentage from 0 to 100"),
        ("KINERJA_JPM_CUKUP_OPTIMAL", -1, r"KINERJA_JPM_CUKUP_OPTIMAL: must be a percentage"),
        ("KINERJA_JPM_CUKUP_OPTIMAL", 95, r"must not exceed KINERJA_JPM_OPTIMAL \(90.0\)"),
        ("KINERJA_JPM_CAP_AT_STANDARD", "maybe", r"KINERJA_JPM_CAP_AT_STANDARD: must be true"),
        ("KINERJA_JPM_CAP_AT_STANDARD", 2, r"KINERJA_JPM_CAP_AT_STANDARD: must be true"),
        ("KINERJA_JP_MINIMUM_PNS", "-1", r"KINERJA_JP_MINIMUM_PNS: must be a number of JP >= 0"),
        ("KINERJA_JP_MAXIMUM_PPPK", [24], r"KINERJA_JP_MAXIMUM_PPPK: must be a number"),
        ("KINERJA_JP_LATE_FROM_QUARTER", "5", r"KINERJA_JP_LATE_FROM_QUARTER: must be a quarter"),
        ("KINERJA_JP_LATE_FROM_QUARTER", "3.5", r"KINERJA_JP_LATE_FROM_QUARTER: must be a whole"),
        ("KINERJA_JP_LATE_FROM_QUARTER", 0, r"KINERJA_JP_LATE_FROM_QUARTER: must be a quarter"),
        (
            "KINERJA_DISTRIBUTION_ROUNDING_AT_MOST",
            "up",
            r"KINERJA_DISTRIBUTION_ROUNDING_AT_MOST: must be one of floor, ceil, round",
        ),
        ("KINERJA_DISTRIBUTION_ROUNDING_AT_LEAST", "CEIL", r"AT_LEAST: must be one of floor"),
    ],
)
def test_a_bad_value_names_the_key_the_value_and_the_fix(
    key: str, value: object, match: str
) -> None:
    with pytest.raises(Invalid, match=match) as caught:
        RuleSettings.from_mapping({key: value})

    assert [error.field for error in caught.value.errors] == [key]


def test_every_bad_key_is_reported_at_once() -> None:
    config = {
        "KINERJA_JPM_OPTIMAL": "x",
        "KINERJA_JP_MINIMUM_PNS": -5,
        "KINERJA_JP_LATE_FROM_QUARTER": 9,
        "KINERJA_DISTRIBUTION_ROUNDING_AT_LEAST": "up",
    }

    with pytest.raises(Invalid) as caught:
        RuleSettings.from_mapping(config)

    assert sorted(error.field for error in caught.value.errors) == sorted(config)


def test_thresholds_may_be_equal_but_not_inverted() -> None:
    assert JpmThresholds(optimal=80, cukup_optimal=80).cukup_optimal == 80
    with pytest.raises(Invalid, match=r"KINERJA_JPM_CUKUP_OPTIMAL: must not exceed"):
        JpmThresholds(optimal=70, cukup_optimal=80)


def test_the_environment_and_dotenv_set_every_key(tmp_path: Path) -> None:
    """An operator sets these as environment variables or in .env, like every other setting;
    the service's config must carry them to RuleSettings (it kept only its own keys)."""
    from_env = load_config({"KINERJA_ENV": "test"} | from_environment(EVERY_KEY_AS_TEXT, tmp_path))
    dotenv = tmp_path / ".env"
    dotenv.write_text("".join(f"{key}={value}\n" for key, value in EVERY_KEY_AS_TEXT.items()))
    from_dotenv = load_config({"KINERJA_ENV": "test"} | from_environment({}, dotenv))

    expected = RuleSettings.from_mapping(EVERY_KEY_AS_TEXT)
    assert expected != RuleSettings()
    assert RuleSettings.from_mapping(from_env) == expected
    assert RuleSettings.from_mapping(from_dotenv) == expected
    assert set(EVERY_KEY_AS_TEXT) <= set(ENV_KEYS)


def test_a_bad_value_stops_the_service_at_start_naming_the_key() -> None:
    """Not at the first request that needs it, as a 422 naming a config key to a user."""
    config = {"KINERJA_ENV": "test", "KINERJA_DISTRIBUTION_ROUNDING_AT_MOST": "nearest"}
    with pytest.raises(ConfigError, match=r"KINERJA_DISTRIBUTION_ROUNDING_AT_MOST: must be"):
        load_config(config, use_env=False)


def test_settings_are_frozen() -> None:
    settings = RuleSettings()

    with pytest.raises(AttributeError):
        settings.jp_minimum_pns = 10  # type: ignore[misc]
