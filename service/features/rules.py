"""The rule "last predikat was poor", as a probability: the historical poor rate after it.

Used as the baseline the risk model must beat and as the serving fallback when no model is
available, so both answer the same way.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from service.features.catalogue import PREDIKAT_SCORE

OVERALL = "*"
_PREDIKAT_BY_SCORE = {score: code for code, score in PREDIKAT_SCORE.items()}


def poor_rate_table(predikat_last: np.ndarray, label: np.ndarray) -> dict[str, float]:
    """Share of poor next periods after each last predikat, plus the overall share as "*".

    Parameters
    ----------
    predikat_last : (n,) float, predikat scores (`PREDIKAT_SCORE`), NaN when unknown
    label : (n,) 0/1, whether the next period was poor
    """
    label = np.asarray(label, dtype=np.float64)
    scores = np.asarray(predikat_last, dtype=np.float64)
    table = {OVERALL: float(label.mean()) if len(label) else 0.0}
    for score, code in _PREDIKAT_BY_SCORE.items():
        rows = scores == score
        if rows.any():
            table[code] = float(label[rows].mean())
    return table


def rule_probability(table: Mapping[str, float], predikat_last: np.ndarray) -> np.ndarray:
    """Look up each row's last predikat in `table`; the overall rate where it is missing."""
    scores = np.asarray(predikat_last, dtype=np.float64)
    overall = table.get(OVERALL, 0.0)
    return np.array(
        [table.get(_PREDIKAT_BY_SCORE.get(score, ""), overall) for score in scores.tolist()],
        dtype=np.float64,
    )
