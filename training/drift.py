"""Population stability index (PSI) of each feature: latest period against the training window.

Bins are the training window's deciles (ties merged) plus one bin for missing values. PSI
below 0.1 is usually read as stable, 0.1-0.25 as a moderate shift, above 0.25 as a large one.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from service.features import FEATURE_NAMES

BINS = 10
EPSILON = 1e-4


def _shares(values: np.ndarray, edges: np.ndarray) -> np.ndarray:
    missing = np.isnan(values)
    counts = np.bincount(
        np.searchsorted(edges, values[~missing], side="right"), minlength=len(edges) + 1
    )
    shares = np.r_[counts, missing.sum()] / max(len(values), 1)
    return np.maximum(shares, EPSILON)


def psi(reference: np.ndarray, current: np.ndarray) -> float:
    """PSI of `current` against `reference` (1-d arrays, NaN allowed)."""
    known = reference[~np.isnan(reference)]
    if not len(known) or not len(current):
        return 0.0
    edges = np.unique(np.quantile(known, np.linspace(0, 1, BINS + 1)[1:-1]))
    expected, actual = _shares(reference, edges), _shares(current, edges)
    return float(np.sum((actual - expected) * np.log(actual / expected)))


def drift_table(reference: pd.DataFrame, current: pd.DataFrame) -> pd.DataFrame:
    """PSI per feature, largest first.

    Returns
    -------
    DataFrame with feature and psi.
    """
    values = [
        psi(reference[name].to_numpy(np.float64), current[name].to_numpy(np.float64))
        for name in FEATURE_NAMES
    ]
    table = pd.DataFrame({"feature": list(FEATURE_NAMES), "psi": values})
    return table.sort_values("psi", ascending=False, ignore_index=True)
