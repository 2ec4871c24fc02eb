"""Feature engineering shared by training and serving: numpy and pandas, no Flask, no DB.

Training stacks `labelled_rows(panel_from_histories(...))`; batch scoring takes
`feature_frame(panel, t)`; serving takes `employee_features(...)` for one employee. All three
run `features_at` on a `Panel`, so the model is served exactly the features it learned from.

The frame builders (`frames`, pandas) are imported on first use, not with the package: a web
worker's start and a risk read never need pandas.
"""

from __future__ import annotations

from typing import Any

from service.features.catalogue import FEATURE_BY_NAME
from service.features.catalogue import FEATURE_NAMES
from service.features.catalogue import FEATURES
from service.features.catalogue import MIN_EVALUATED_PERIODS
from service.features.catalogue import Feature
from service.features.compute import features_at
from service.features.compute import lookback
from service.features.panel import Panel
from service.features.panel import PeriodAxis
from service.features.panel import build_panel
from service.features.single import employee_features
from service.features.single import history_start
from service.features.single import serving_axis

__all__ = [
    "FEATURES",
    "FEATURE_BY_NAME",
    "FEATURE_NAMES",
    "LABEL",
    "MIN_EVALUATED_PERIODS",
    "Feature",
    "Histories",
    "Panel",
    "PeriodAxis",
    "axis_of",
    "build_panel",
    "employee_features",
    "feature_frame",
    "features_at",
    "history_start",
    "labelled_rows",
    "lookback",
    "panel_from_histories",
    "serving_axis",
    "sufficient",
]

#: Names served from `service.features.frames` on first use (PEP 562), not at import.
_FRAMES = frozenset(
    {"LABEL", "Histories", "axis_of", "feature_frame", "labelled_rows", "panel_from_histories"}
    | {"sufficient"}
)


def __getattr__(name: str) -> Any:
    if name in _FRAMES:
        from service.features import frames

        return getattr(frames, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
