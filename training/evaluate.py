"""Score the model, the baselines and the oracle on the held-out period; plots and a card.

Every number is computed on the same held-out rows. Truth (the generator's true probability)
is passed in by the caller from `extract.read_truth`, and only here: it never reaches a feature.
"""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from fairlearn.metrics import MetricFrame  # noqa: E402
from fairlearn.metrics import true_positive_rate  # noqa: E402
from sklearn.inspection import permutation_importance  # noqa: E402
from sklearn.metrics import average_precision_score  # noqa: E402
from sklearn.metrics import brier_score_loss  # noqa: E402
from sklearn.metrics import precision_recall_curve  # noqa: E402
from sklearn.metrics import roc_auc_score  # noqa: E402
from sklearn.metrics import roc_curve  # noqa: E402

from service.features import FEATURE_BY_NAME  # noqa: E402
from service.features import LABEL  # noqa: E402
from service.features.rules import rule_probability  # noqa: E402
from service.serving.uncertainty import Band  # noqa: E402
from service.serving.uncertainty import BandTally  # noqa: E402

FAIRNESS_GROUPS = ("gender", "age_band")
#: Groups with fewer true positives than this are too small for a stable TPR; reported only.
MIN_GROUP_POSITIVES = 20
IMPORTANCE_ROWS = 20_000


@dataclass
class Report:
    """What `evaluate` found: metrics for MLflow, tables and figures for artefacts."""

    metrics: dict[str, float]
    fairness: pd.DataFrame
    importance: pd.DataFrame
    reliability: pd.DataFrame
    bands: list[Band] = field(default_factory=list)
    figures: dict[str, Any] = field(default_factory=dict)


def expected_calibration_error(y: np.ndarray, probability: np.ndarray) -> float:
    """Weighted mean |observed rate - mean probability| over equal-width probability bins."""
    return calibration_error(reliability_table(BandTally.of(y, probability)))


def calibration_error(table: pd.DataFrame) -> float:
    """The ECE from the reliability table: its bins' gaps weighted by their rows."""
    gaps = (table["observed"] - table["predicted"]).abs()
    return float((table["rows"] * gaps).sum() / table["rows"].sum())


def reliability_table(tally: BandTally) -> pd.DataFrame:
    """Per non-empty probability bin: rows, mean predicted probability, observed poor rate
    (the reliability diagram), from the one grouping of the held-out rows by band."""
    bins = tally.filled()
    rows = tally.rows[bins]
    return pd.DataFrame(
        {
            "bin": np.asarray(bins, dtype=np.int64),
            "rows": rows.astype(np.int64),
            "predicted": tally.probability[bins] / rows,
            "observed": tally.poor[bins] / rows,
        }
    )


def fairness_table(y: np.ndarray, flagged: np.ndarray, groups: pd.DataFrame) -> pd.DataFrame:
    """True-positive rate, positives and rows per group of each column of `groups`."""
    parts = []
    for column in FAIRNESS_GROUPS:
        frame = MetricFrame(
            metrics={"tpr": true_positive_rate},
            y_true=y,
            y_pred=flagged,
            sensitive_features=groups[column].astype(str).to_numpy(),
        ).by_group
        counts = pd.DataFrame({"g": groups[column].astype(str).to_numpy(), "y": y})
        sizes = counts.groupby("g")["y"].agg(["sum", "size"])
        frame = frame.join(sizes.rename(columns={"sum": "positives", "size": "rows"}))
        parts.append(frame.reset_index(names="group").assign(attribute=column))
    return pd.concat(parts, ignore_index=True)[["attribute", "group", "tpr", "positives", "rows"]]


def max_tpr_gap(table: pd.DataFrame) -> float:
    """Largest TPR difference within an attribute, over groups with enough positives.

    NaN when no attribute has two such groups: the gap cannot be measured, which is not a
    gap of 0 (a small held-out period must not pass the fairness gate as perfectly fair).
    """
    stable = table[table["positives"] >= MIN_GROUP_POSITIVES]
    tpr = stable.groupby("attribute")["tpr"]
    gaps = (tpr.max() - tpr.min())[tpr.size() >= 2]
    return float(gaps.max()) if len(gaps) else float("nan")


def importance_table(model: Any, rows: pd.DataFrame, seed: int = 0) -> pd.DataFrame:
    """Permutation importance (drop in ROC AUC) of each feature on up to 20k held-out rows."""
    sample = rows.sample(min(len(rows), IMPORTANCE_ROWS), random_state=seed)
    names = list(FEATURE_BY_NAME)
    result = permutation_importance(
        model,
        sample[names],
        sample[LABEL].to_numpy(),
        scoring="roc_auc",
        n_repeats=3,
        random_state=seed,
    )
    table = pd.DataFrame(
        {
            "feature": names,
            "label_en": [FEATURE_BY_NAME[n].label_en for n in names],
            "importance": result.importances_mean,
            "std": result.importances_std,
        }
    )
    return table.sort_values("importance", ascending=False, ignore_index=True)


def _auc(y: np.ndarray, score: np.ndarray) -> float:
    return float(roc_auc_score(y, score)) if 0 < y.sum() < len(y) else float("nan")


def evaluate(
    model: Any,
    rule_table: dict[str, float],
    logreg: Any,
    test: pd.DataFrame,
    truth: np.ndarray | None = None,
) -> Report:
    """Compute the API.md metrics on the held-out rows `test` (features, label, groups).

    Parameters
    ----------
    test : DataFrame with the features, `label`, gender and age_band
    truth : (n,) the generator's true probability of a poor next period, aligned with `test`
    """
    y = test[LABEL].to_numpy().astype(int)
    probability = model.predict_proba(test)[:, 1]
    flagged = probability >= model.named_steps["model"].threshold_
    rule = rule_probability(rule_table, test["predikat_last"].to_numpy())
    fairness = fairness_table(y, flagged, test)
    tally = BandTally.of(y, probability)  # one grouping: the diagram, the ECE, the bands
    reliability = reliability_table(tally)
    metrics = {
        "roc_auc": _auc(y, probability),
        "pr_auc": float(average_precision_score(y, probability)),
        "brier": float(brier_score_loss(y, probability)),
        "ece": calibration_error(reliability),
        "baseline_rule_roc_auc": _auc(y, rule),
        "baseline_rule_brier": float(brier_score_loss(y, rule)),
        "baseline_logreg_roc_auc": _auc(y, logreg.predict_proba(test)[:, 1]),
        "fairness_max_tpr_gap": max_tpr_gap(fairness),
        "threshold": float(model.named_steps["model"].threshold_),
        "flag_rate": float(flagged.mean()),
        "recall_at_threshold": float(flagged[y == 1].mean()) if y.any() else float("nan"),
        "base_rate": float(y.mean()),
        "test_rows": float(len(y)),
    }
    if truth is not None:
        metrics["oracle_roc_auc"] = _auc(y, truth)
        metrics["oracle_brier"] = float(brier_score_loss(y, truth))
    report = Report(
        metrics,
        fairness,
        importance_table(model, test),
        reliability,
        tally.bands(),
    )
    report.figures = _figures(y, probability, rule, truth, report.reliability)
    return report


def _figures(
    y: np.ndarray,
    probability: np.ndarray,
    rule: np.ndarray,
    truth: np.ndarray | None,
    reliability: pd.DataFrame,
) -> dict[str, Any]:
    scores = {"model": probability, "rule baseline": rule}
    if truth is not None:
        scores["oracle (true probability)"] = truth
    figures = {"roc.png": plt.figure(figsize=(5, 5)), "pr.png": plt.figure(figsize=(5, 5))}
    for name, score in scores.items():
        fpr, tpr, _ = roc_curve(y, score)
        figures["roc.png"].gca().plot(fpr, tpr, label=f"{name} (AUC {_auc(y, score):.3f})")
        precision, recall, _ = precision_recall_curve(y, score)
        figures["pr.png"].gca().plot(recall, precision, label=name)
    _decorate(figures["roc.png"], "False positive rate", "True positive rate", "ROC")
    _decorate(figures["pr.png"], "Recall", "Precision", "Precision-recall")
    figure = plt.figure(figsize=(5, 5))
    figure.gca().plot([0, 1], [0, 1], linestyle=":", color="grey", label="perfect")
    figure.gca().plot(reliability["predicted"], reliability["observed"], marker="o", label="model")
    _decorate(figure, "Mean predicted probability", "Observed poor rate", "Reliability")
    figures["reliability.png"] = figure
    return figures


def _decorate(figure: Any, xlabel: str, ylabel: str, title: str) -> None:
    axes = figure.gca()
    axes.set_xlabel(xlabel)
    axes.set_ylabel(ylabel)
    axes.set_title(title)
    axes.legend(loc="best", fontsize="small")


def save_figures(report: Report, directory: Path) -> list[Path]:
    """Write the report's figures as PNG files into `directory` and close them."""
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, figure in report.figures.items():
        figure.savefig(directory / name, dpi=96, bbox_inches="tight")
        plt.close(figure)
        paths.append(directory / name)
    return paths
