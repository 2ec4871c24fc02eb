"""Configurable thresholds of the rules the regulation leaves open (domain.md section 9).

Only what the pages read mark as unconfirmed or agency-specific is a setting. The regulation's
own numbers (the shares of the distribution pattern, the quadrant matrix) are data in their
modules, and the set of poor predikat (`entities.POOR_PREDIKAT`, the risk model's target) is
deliberately not configurable. Nothing here reads the environment: the app passes its config
to `RuleSettings.from_mapping` once.

| key (prefix `KINERJA_`)        | default | meaning |
|--------------------------------|---------|---------|
| JPM_OPTIMAL                    | 90      | JPM % from which the category is *optimal* |
| JPM_CUKUP_OPTIMAL              | 78      | JPM % from which it is *cukup optimal* |
| JPM_CAP_AT_STANDARD            | false   | count a level above the required level as that level |
| JP_MINIMUM_PNS                 | 20      | minimum JP a year for a PNS (and CPNS) |
| JP_MAXIMUM_PPPK                | 24      | maximum JP a year for a PPPK (informational) |
| JP_LATE_FROM_QUARTER           | 3       | from this quarter's start, below the minimum is late |
| DISTRIBUTION_ROUNDING_AT_MOST  | round   | floor, ceil or round of an "at most p%" count |
| DISTRIBUTION_ROUNDING_AT_LEAST | round   | floor, ceil or round of an "at least p%" count |
| DISTRIBUTION_PERIODIC          | true    | check periodic grades too, not only annual ones |

JPM_CAP_AT_STANDARD defaults to false because the formula printed in assessment reports
(domain.md 4.4, [P]) does not cap; the rounding default is justified in `distribution.py`.
Whether periodic predikat must also follow the distribution pattern is open (domain.md 9.3):
DISTRIBUTION_PERIODIC defaults to true, which warns on a quarter or month as on a year (a
warning changes nothing); false leaves periodic grades without warnings.
Errors name the config key, since that is what an operator edits.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field
from dataclasses import replace
from enum import StrEnum
from typing import Any
from typing import TypeVar

from service.domain.errors import FieldError
from service.domain.errors import Invalid

T = TypeVar("T")
PREFIX = "KINERJA_"
_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off"})


class Rounding(StrEnum):
    """How a share of a unit becomes a whole number of employees."""

    FLOOR = "floor"
    CEIL = "ceil"
    ROUND = "round"  # to the nearest count, halves up (not Python's banker's rounding)


@dataclass(frozen=True)
class JpmThresholds:
    """Lower bounds (in JPM %) of the *optimal* and *cukup optimal* categories."""

    optimal: float = 90.0
    cukup_optimal: float = 78.0

    def __post_init__(self) -> None:
        errors = [
            *_percent_errors("JPM_OPTIMAL", self.optimal),
            *_percent_errors("JPM_CUKUP_OPTIMAL", self.cukup_optimal),
        ]
        if not errors and self.cukup_optimal > self.optimal:
            errors.append(
                FieldError(
                    PREFIX + "JPM_CUKUP_OPTIMAL",
                    f"must not exceed {PREFIX}JPM_OPTIMAL ({self.optimal}); "
                    f"got {self.cukup_optimal}",
                )
            )
        if errors:
            raise Invalid(errors=errors)


@dataclass(frozen=True)
class RuleSettings:
    """Every configurable threshold of the domain rules, with the documented defaults."""

    jpm_thresholds: JpmThresholds = field(default_factory=JpmThresholds)
    jpm_cap_at_standard: bool = False
    jp_minimum_pns: float = 20.0
    jp_maximum_pppk: float = 24.0
    jp_late_from_quarter: int = 3
    distribution_rounding_at_most: Rounding = Rounding.ROUND
    distribution_rounding_at_least: Rounding = Rounding.ROUND
    distribution_periodic: bool = True

    def __post_init__(self) -> None:
        errors = [
            *_non_negative_errors("JP_MINIMUM_PNS", self.jp_minimum_pns),
            *_non_negative_errors("JP_MAXIMUM_PPPK", self.jp_maximum_pppk),
        ]
        if type(self.jp_late_from_quarter) is not int or self.jp_late_from_quarter not in range(
            1, 5
        ):
            message = f"must be a quarter 1 to 4; got {self.jp_late_from_quarter!r}"
            errors.append(FieldError(PREFIX + "JP_LATE_FROM_QUARTER", message))
        if errors:
            raise Invalid(errors=errors)

    @classmethod
    def from_mapping(cls, mapping: Mapping[str, Any]) -> RuleSettings:
        """Read the settings from the app config; absent keys keep their defaults.

        Values may be typed (JSON-decoded) or strings (from a .env file). Every bad key is
        reported at once, in one Invalid.
        """
        errors: list[FieldError] = []
        values: dict[str, Any] = {}
        for name, (key, parse) in _KEYS.items():
            if PREFIX + key in mapping:
                try:
                    values[name] = parse(mapping[PREFIX + key])
                except ValueError as error:
                    errors.append(FieldError(PREFIX + key, str(error)))
        limits = {k: values.pop(k) for k in ("optimal", "cukup_optimal") if k in values}
        thresholds = _collect(errors, lambda: JpmThresholds(**limits))
        settings = _collect(errors, lambda: cls(**values))
        if errors or settings is None or thresholds is None:
            raise Invalid(errors=errors)
        return replace(settings, jpm_thresholds=thresholds)


def _collect(errors: list[FieldError], build: Callable[[], T]) -> T | None:
    """Return what `build` makes, or None after adding its field errors to `errors`."""
    try:
        return build()
    except Invalid as error:
        errors.extend(error.errors)
        return None


def _percent_errors(key: str, value: float) -> list[FieldError]:
    if isinstance(value, bool) or not 0 <= value <= 100:
        return [FieldError(PREFIX + key, f"must be a percentage from 0 to 100; got {value!r}")]
    return []


def _non_negative_errors(key: str, value: float) -> list[FieldError]:
    if isinstance(value, bool) or not math.isfinite(value) or value < 0:
        return [FieldError(PREFIX + key, f"must be a number of JP >= 0; got {value!r}")]
    return []


def _parse_number(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ValueError(f"must be a number; got {value!r}")
    try:
        number = float(value)
    except ValueError:
        raise ValueError(f"must be a number; got {value!r}") from None
    if not math.isfinite(number):
        raise ValueError(f"must be a finite number; got {value!r}")
    return number


def _parse_int(value: object) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().isdecimal():
        return int(value)
    raise ValueError(f"must be a whole number; got {value!r}")


def _parse_bool(value: object) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower() if isinstance(value, str | int) else None
    if text in _TRUE or text in _FALSE:
        return text in _TRUE
    raise ValueError(f"must be true or false (also 1/0, yes/no, on/off); got {value!r}")


def _parse_rounding(value: object) -> Rounding:
    if isinstance(value, str) and value in {member.value for member in Rounding}:
        return Rounding(value)
    choices = ", ".join(member.value for member in Rounding)
    raise ValueError(f"must be one of {choices}; got {value!r}")


_KEYS: dict[str, tuple[str, Callable[[object], Any]]] = {
    "optimal": ("JPM_OPTIMAL", _parse_number),
    "cukup_optimal": ("JPM_CUKUP_OPTIMAL", _parse_number),
    "jpm_cap_at_standard": ("JPM_CAP_AT_STANDARD", _parse_bool),
    "jp_minimum_pns": ("JP_MINIMUM_PNS", _parse_number),
    "jp_maximum_pppk": ("JP_MAXIMUM_PPPK", _parse_number),
    "jp_late_from_quarter": ("JP_LATE_FROM_QUARTER", _parse_int),
    "distribution_rounding_at_most": ("DISTRIBUTION_ROUNDING_AT_MOST", _parse_rounding),
    "distribution_rounding_at_least": ("DISTRIBUTION_ROUNDING_AT_LEAST", _parse_rounding),
    "distribution_periodic": ("DISTRIBUTION_PERIODIC", _parse_bool),
}

#: What each key means, for the list of environment variables (and .env keys) that
#: `service.config` reads beside its own.
ENV_KEYS: dict[str, str] = {
    PREFIX + key: meaning
    for key, meaning in {
        "JPM_OPTIMAL": "competency: JPM % from which the category is optimal (90)",
        "JPM_CUKUP_OPTIMAL": "competency: JPM % from which it is cukup optimal (78)",
        "JPM_CAP_AT_STANDARD": "competency: count a level above the standard as it (false)",
        "JP_MINIMUM_PNS": "development: minimum JP a year of a PNS or CPNS (20)",
        "JP_MAXIMUM_PPPK": "development: maximum JP a year of a PPPK (24)",
        "JP_LATE_FROM_QUARTER": "development: below the minimum is late from this quarter (3)",
        "DISTRIBUTION_ROUNDING_AT_MOST": "distribution: floor, ceil or round (default), at most",
        "DISTRIBUTION_ROUNDING_AT_LEAST": "distribution: floor, ceil or round (default), at least",
        "DISTRIBUTION_PERIODIC": "distribution: check quarters and months too (true)",
    }.items()
}


def whole_number_setting(
    config: Mapping[str, Any],
    key: str,
    default: int,
    low: int,
    high: int | None = None,
    unit: str = "",
) -> int:
    """The whole-number setting `key` of `config` (a number, or its text from `.env`), or
    `default` when absent.

    Raises Invalid naming the key, the range (`low` to `high`, or at least `low`), and the
    value, for anything else: text that is not digits, a bool, a float, a negative number.
    `unit` ("days") is said in the message.
    """
    value = config.get(key, default)
    text = str(value).strip() if isinstance(value, int | str) else ""
    if not isinstance(value, bool) and text.isdecimal():
        number = int(text)
        if low <= number and (high is None or number <= high):
            return number
    kind = f"a whole number of {unit}" if unit else "a whole number"
    bounds = f" from {low} to {high}" if high is not None else f", at least {low}"
    raise Invalid.field(key, f"must be {kind}{bounds}; got {value!r}")
