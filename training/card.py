"""A model card (markdown) for each trained version: data, metrics, gates, limits."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import pandas as pd

from service.serving.uncertainty import LEVEL
from service.serving.uncertainty import Band
from training.evaluate import MIN_GROUP_POSITIVES

_METRICS = (
    ("roc_auc", "ROC AUC (model)"),
    ("oracle_roc_auc", "ROC AUC of the true probability (oracle)"),
    ("baseline_rule_roc_auc", "ROC AUC of the rule 'last predikat was poor'"),
    ("baseline_logreg_roc_auc", "ROC AUC of logistic regression"),
    ("pr_auc", "PR AUC"),
    ("brier", "Brier score"),
    ("ece", "Expected calibration error"),
    ("fairness_max_tpr_gap", "Largest TPR gap (gender, age band)"),
    ("threshold", "Flag threshold"),
    ("base_rate", "Poor rate in the held-out period"),
)


def _table(frame: pd.DataFrame, columns: list[str]) -> str:
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    for row in frame[columns].itertuples(index=False):
        cells = [f"{v:.4f}" if isinstance(v, float) else str(v) for v in row]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _value(value: float) -> str:
    return f"{value:.4f}" if math.isfinite(value) else "not measurable"


def _fairness_status(metrics: dict[str, float]) -> str:
    """The card's verdict line on fairness: measured, or why not."""
    gap = metrics.get("fairness_max_tpr_gap", math.nan)
    if math.isfinite(gap):
        return f"**fairness: measured.** Largest TPR gap {gap:.4f}."
    return (
        f"**fairness: unmeasured.** No gender or age band has two groups with at least "
        f"{MIN_GROUP_POSITIVES} poor outcomes in the held-out rows, so the largest TPR gap "
        "could not be measured; the rates below are too noisy for a verdict. The promotion "
        "decision says what the gate did."
    )


def _bands_table(bands: Sequence[Band]) -> list[str]:
    """The held-out record per probability band, which each answer's `uncertainty` cites."""
    percent = round(LEVEL * 100)
    lines = [
        f"| predicted | held-out employees | had a poor next period | {percent} % interval |",
        "|---|---|---|---|",
    ]
    for band in bands:
        lines.append(
            f"| {band.low:.1f} to {band.high:.1f} | {band.similar} | {band.observed:.4f} | "
            f"{band.interval_low:.4f} to {band.interval_high:.4f} |"
        )
    return lines


def model_card(
    name: str,
    version: str | None,
    context: dict[str, Any],
    metrics: dict[str, float],
    fairness: pd.DataFrame,
    importance: pd.DataFrame,
    decision: list[str],
    bands: Sequence[Band] = (),
) -> str:
    """Render the card; `context` has window, split, snapshot, rows and employees (sample)."""
    metric_lines = [
        f"| {label} | {_value(metrics[key])} |" for key, label in _METRICS if key in metrics
    ]
    return "\n".join(
        [
            f"# Model card: {name} version {version or '(not registered)'}",
            "",
            "**Purpose.** Flag civil servants likely to end the next period with a poor predikat "
            "(Butuh Perbaikan, Kurang/Misconduct or Sangat Kurang) so their supervisor can "
            "coach early. A flag is a prompt for a conversation, never a rating or a sanction.",
            "",
            "**Model.** Gradient-boosted trees (HistGradientBoostingClassifier) on the features "
            "of `service/features`, calibrated on a later period than the trees were fitted on. "
            "Gender and age are not inputs; they are used only for the fairness check below.",
            "",
            f"**Data.** Window {context['window'][0]} to {context['window'][1]}; trees on "
            f"{', '.join(context['split'].train)}, calibration on {context['split'].calibration},"
            f" held-out evaluation on {context['split'].test}; snapshot `{context['snapshot']}`;"
            f" {context['rows']} labelled rows of {context['employees']}. The held-out rows"
            " are these employees' held-out period; the champion was scored on the same rows.",
            "",
            "## Held-out metrics",
            "| metric | value |",
            "|---|---|",
            *metric_lines,
            "",
            "## How sure an answer is (held-out record per probability band)",
            "Each answer cites its band's row: how many held-out employees the model put "
            "there, and what share of them had a poor next period.",
            "",
            *_bands_table(bands),
            "",
            "## Promotion decision",
            *[f"- {reason}" for reason in decision],
            "",
            "## True-positive rate by group",
            _fairness_status(metrics),
            "",
            _table(fairness, ["attribute", "group", "tpr", "positives", "rows"]),
            "",
            "## Most important features (permutation, drop in ROC AUC)",
            _table(importance.head(10), ["feature", "label_en", "importance"]),
            "",
            "## Limits",
            "- Trained on the stored history only; hidden factors (health, family, workload) are "
            "not seen, so a low probability is not a guarantee.",
            f"- Groups with fewer than {MIN_GROUP_POSITIVES} positives are reported but excluded "
            "from the gap gate.",
            "- Explanations compare the employee with a typical (median) employee, one feature "
            "at a time; they describe the model, not causes.",
        ]
    )
