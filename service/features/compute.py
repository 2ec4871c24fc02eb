"""Feature values of every employee of a panel as of the end of one period, in numpy.

Each catalogue `Feature` computes its column from a `Window` (the look-back slices of the
panel at period `t`): data of period t+1 cannot reach the features of period t, and a panel
that starts exactly `lookback(kind)` periods before t (the serving path) gives the same values
as a long one (training).
"""

from __future__ import annotations

import numpy as np

from service.features.catalogue import FEATURES
from service.features.panel import Panel
from service.features.scales import lookback
from service.features.window import Window

__all__ = ["features_at", "lookback"]


def features_at(panel: Panel, t: int) -> np.ndarray:
    """Return the (employees, features) matrix as of the end of period `t` of the panel.

    Columns follow `FEATURE_NAMES`; missing information is NaN (the trees route it).
    """
    window = Window(panel, t)
    out = np.empty((panel.shape[0], len(FEATURES)), dtype=np.float64)
    for j, feature in enumerate(FEATURES):
        out[:, j] = feature.compute(window)
    return out
