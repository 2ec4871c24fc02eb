"""Train the risk model with and without the continuous-performance signals (issue 8).

The comparison model is the same pipeline fitted on the same periods with the signal
columns (`CONTINUOUS_FEATURES`) held constant, so the trees cannot use them; its held-out
metrics are logged beside the champion candidate's as `without_signals.<metric>` and
`signals_gain.<metric>`, and as the artefact `tables/signals_comparison.csv`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sklearn.metrics import average_precision_score
from sklearn.metrics import brier_score_loss
from sklearn.metrics import roc_auc_score

from service.features import LABEL
from service.features.catalogue import CONTINUOUS_FEATURES
from training.evaluate import expected_calibration_error
from training.train import PeriodSplit
from training.train import build_pipeline
from training.train import fit_pipeline

SIGNAL_NAMES = tuple(feature.name for feature in CONTINUOUS_FEATURES)
COMPARED = ("roc_auc", "pr_auc", "brier", "ece")


def without_signals(rows: pd.DataFrame) -> pd.DataFrame:
    """`rows` with every continuous-performance column set to 0 (no split possible)."""
    return rows.assign(**{name: 0.0 for name in SIGNAL_NAMES if name in rows})


def held_out_metrics(y: np.ndarray, probability: np.ndarray) -> dict[str, float]:
    """The compared risk metrics of one model on the held-out labels."""
    return {
        "roc_auc": float(roc_auc_score(y, probability)) if 0 < y.sum() < len(y) else np.nan,
        "pr_auc": float(average_precision_score(y, probability)),
        "brier": float(brier_score_loss(y, probability)),
        "ece": expected_calibration_error(y, probability),
    }


def compare_signals(
    settings: dict[str, Any],
    rows: pd.DataFrame,
    test: pd.DataFrame,
    split: PeriodSplit,
    metrics: dict[str, float],
) -> tuple[dict[str, float], pd.DataFrame]:
    """Fit the model without the signals; return logged metrics and the comparison table."""
    model = fit_pipeline(build_pipeline(settings), without_signals(rows), split)
    y = test[LABEL].to_numpy().astype(int)
    without = held_out_metrics(y, model.predict_proba(without_signals(test))[:, 1])
    table = pd.DataFrame(
        {
            "metric": COMPARED,
            "with_signals": [metrics[name] for name in COMPARED],
            "without_signals": [without[name] for name in COMPARED],
        }
    )
    table["gain"] = table["with_signals"] - table["without_signals"]
    logged = {f"without_signals.{k}": v for k, v in without.items()}
    logged.update({f"signals_gain.{r.metric}": float(r.gain) for r in table.itertuples()})
    return logged, table
