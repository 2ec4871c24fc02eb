"""What a data team may change for one retraining run (`POST /api/v1/models/retrain`).

Only the trees' capacity and the calibration method: the features, the split and the gates
stay those of every run, so a candidate is always judged like the champion. Each value is
checked here, before the job is queued, so a bad request is a 422 and never a failed job.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from service.domain.errors import FieldError
from service.domain.errors import Invalid

#: name -> (type, lowest, highest) for numbers; the calibration takes one of its methods.
NUMBERS: dict[str, tuple[type, float, float]] = {
    "learning_rate": (float, 0.001, 1.0),
    "max_iter": (int, 10, 2000),
    "max_leaf_nodes": (int, 2, 255),
    "min_samples_leaf": (int, 1, 10_000),
    "l2_regularization": (float, 0.0, 100.0),
}
CALIBRATIONS = ("sigmoid", "isotonic")


def checked_params(params: Mapping[str, Any]) -> dict[str, Any]:
    """The overrides as the training pipeline takes them; Invalid lists every bad one."""
    errors: list[FieldError] = []
    chosen: dict[str, Any] = {}
    for name, value in params.items():
        field = f"params.{name}"
        if name == "calibration":
            if value in CALIBRATIONS:
                chosen[name] = value
            else:
                errors.append(FieldError(field, f"must be one of {', '.join(CALIBRATIONS)}"))
        elif name in NUMBERS:
            kind, low, high = NUMBERS[name]
            number = _number(value, kind)
            if number is None or not low <= number <= high:
                what = "a whole number" if kind is int else "a number"
                errors.append(FieldError(field, f"must be {what} from {low:g} to {high:g}"))
            else:
                chosen[name] = number
        else:
            known = ", ".join([*NUMBERS, "calibration"])
            errors.append(FieldError(field, f"is not a setting a retrain may change ({known})"))
    if errors:
        raise Invalid(errors=errors)
    return chosen


def _number(value: Any, kind: type) -> float | int | None:
    """`value` as `kind`, or None (booleans and strings are not numbers; 3.0 is a whole 3)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if kind is int:
        return int(value) if float(value).is_integer() else None
    return float(value)
