"""Feature engineering shared by training and serving: numpy and pandas, no Flask, no DB.

Training stacks `labelled_rows(panel_from_histories(...))`; batch scoring takes
`feature_frame(panel, t)`; serving takes `employee_features(...)` for one employee. All three
run `features_at` on a `Panel`, so the model is served exactly the features it learned from.
"""

from __future__ import annotations

from service.features.catalogue import FEATURE_BY_NAME
from service.features.catalogue import FEATURE_NAMES
from service.features.catalogue import FEATURES
from service.features.catalogue import MIN_EVALUATED_PERIODS
from service.features.catalogue import Feature
from service.features.compute import features_at
from service.features.compute import lookback
from service.features.frames import LABEL
from service.features.frames import Histories
from service.features.frames import axis_of
from service.features.frames import feature_frame
from service.features.frames import labelled_rows
from service.features.frames import panel_from_histories
from service.features.frames import sufficient
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
