"""Held-out quality as a function of training employees: the evidence for the sample cap.

Every size is fitted on a nested hash sample of employees (`training.sampling`: the first n
in sample order) and scored on the same held-out rows: the latest labelled period of
employees that no size trains on, as a national model meets most of the people it scores.

`compare_settings` fits several tree settings at one size instead. Differences between
settings are a few thousandths of ROC AUC, below the noise of 20,000 held-out rows, so it
also scores the "spare" rows (held-out plus pool employees beyond the size, which that fit
never saw) and gives each setting's paired bootstrap difference to the first one.

`compare_features` does the same for candidate features: the current model against the
current features plus each candidate's extra columns (computed by `window_columns` from a
panel, as a catalogue entry would be), on the same employees and resamples. A feature joins
the catalogue only when its paired gain is clearly positive (see `service/features/catalogue.py`).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

import mlflow
import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score

from service.features import FEATURE_NAMES
from service.features import LABEL
from service.features import Panel
from service.features.catalogue import Compute
from service.features.window import Window
from training.compare import held_out_metrics
from training.evaluate import FAIRNESS_GROUPS
from training.evaluate import fairness_table
from training.evaluate import max_tpr_gap
from training.sampling import rank_by_key
from training.train import PeriodSplit
from training.train import build_pipeline
from training.train import fit_pipeline
from training.train import fitting_rows

EXPERIMENT = "kinerja-risk-learning-curve"
BOOTSTRAP_ROUNDS = 100
#: A fitted model's P(poor) for the rows of a frame.
Predict = Callable[[pd.DataFrame], np.ndarray]


def held_out_employees(
    rows: pd.DataFrame, holdout: int, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """(held-out ids, training pool in sample order): the first `holdout` ranked ids."""
    ranked = rank_by_key(np.unique(rows["employee_id"].to_numpy()), seed)
    return ranked[:holdout], ranked[holdout:]


def learning_curve(
    rows: pd.DataFrame,
    split: PeriodSplit,
    sizes: Sequence[int],
    holdout: int,
    *,
    seed: int = 0,
    params: dict[str, Any] | None = None,
    truth: pd.Series | None = None,
) -> pd.DataFrame:
    """Fit the risk pipeline on each size of training employees; score the same held-out rows.

    Parameters
    ----------
    rows : labelled model rows of every period (`Extract.rows`)
    sizes : numbers of training employees (larger than the pool are skipped)
    holdout : employees held out of every fit, whose `split.test` rows are scored
    truth : the generator's true probability per held-out employee id (adds the oracle AUC)

    Returns
    -------
    DataFrame, one row per size: train_employees, train_rows, fit_cpu_seconds, roc_auc,
    pr_auc, brier, ece, held_out_rows, oracle_roc_auc (when `truth` is given)
    """
    held, pool = held_out_employees(rows, holdout, seed)
    test = rows[(rows["period"] == split.test) & rows["employee_id"].isin(held)]
    y = test[LABEL].to_numpy().astype(int)
    oracle = np.nan
    if truth is not None:
        oracle = held_out_metrics(y, truth.reindex(test["employee_id"]).to_numpy())["roc_auc"]
    records = []
    for size in (n for n in sizes if n <= len(pool)):
        chosen = rows[rows["employee_id"].isin(pool[:size]) & (rows["period"] != split.test)]
        began = time.process_time()
        model = fit_pipeline(build_pipeline(params), chosen, split)
        seconds = time.process_time() - began
        metrics = held_out_metrics(y, model.predict_proba(test)[:, 1])
        records.append(
            {"train_employees": size, "train_rows": len(chosen), "fit_cpu_seconds": seconds,
             **metrics, "held_out_rows": len(test), "oracle_roc_auc": oracle}
        )  # fmt: skip
    return pd.DataFrame(records)


@dataclass(frozen=True)
class PairedRows:
    """The rows every compared model is fitted on and scored on, and the shared resamples.

    `chosen`: every period but the test one of the first `size` pool employees; `test`: the
    held-out employees' test period; `spare`: the test period of the held-out employees plus
    the pool employees beyond `size` (no fit saw them); `draws`: bootstrap resamples of spare.
    """

    chosen: pd.DataFrame
    test: pd.DataFrame
    spare: pd.DataFrame
    draws: np.ndarray

    @classmethod
    def of(
        cls, rows: pd.DataFrame, split: PeriodSplit, size: int, holdout: int, seed: int
    ) -> PairedRows:
        held, pool = held_out_employees(rows, holdout, seed)
        latest = rows["period"] == split.test
        spare = rows[latest & rows["employee_id"].isin(np.r_[held, pool[size:]])]
        draws = np.random.default_rng(seed).integers(0, len(spare), (BOOTSTRAP_ROUNDS, len(spare)))
        return cls(
            chosen=rows[rows["employee_id"].isin(pool[:size]) & ~latest],
            test=rows[latest & rows["employee_id"].isin(held)],
            spare=spare,
            draws=draws,
        )

    def score(
        self, predict: Predict, threshold: float, first: np.ndarray | None
    ) -> tuple[dict[str, float], np.ndarray]:
        """Held-out and spare metrics of one model, and its bootstrap ROC AUCs on spare.

        The fairness gate's figure (`max_tpr_gap` of the rows flagged at the model's
        `threshold`; NaN without group columns) comes on both sets of rows: a setting must
        not buy speed with it. The
        delta columns compare with `first` (the first model's bootstrap AUCs; None for the
        first model itself): paired mean, standard error and 95% percentile interval.
        """
        y, y_spare = (frame[LABEL].to_numpy().astype(int) for frame in (self.test, self.spare))
        tested = predict(self.test)
        held = held_out_metrics(y, tested)
        probability = predict(self.spare)
        spare = held_out_metrics(y_spare, probability)
        boot = _bootstrap_auc(y_spare, probability, self.draws)
        delta = boot - (boot if first is None else first)
        gaps = [
            _tpr_gap(labels, p >= threshold, frame)
            for labels, p, frame in ((y, tested, self.test), (y_spare, probability, self.spare))
        ]
        return {"roc_auc": held["roc_auc"], "ece": held["ece"], "tpr_gap": gaps[0],
                "spare_rows": len(self.spare), "spare_roc_auc": spare["roc_auc"],
                "spare_ece": spare["ece"], "spare_tpr_gap": gaps[1],
                "spare_delta": float(np.mean(delta)),
                "spare_delta_se": float(np.std(delta, ddof=1)),
                "spare_delta_low": float(np.percentile(delta, 2.5)),
                "spare_delta_high": float(np.percentile(delta, 97.5))}, boot  # fmt: skip


def compare_settings(
    rows: pd.DataFrame,
    split: PeriodSplit,
    size: int,
    holdout: int,
    candidates: Mapping[str, dict[str, Any]],
    *,
    seed: int = 0,
) -> pd.DataFrame:
    """Fit each named tree setting on the same `size` training employees; score them alike.

    Returns
    -------
    DataFrame, one row per candidate: name, iterations (boosting rounds kept by early
    stopping), fit_cpu_seconds, roc_auc, ece and tpr_gap (`max_tpr_gap`) on the held-out
    rows, spare_rows, spare_roc_auc, spare_ece, spare_tpr_gap, and spare_delta /
    spare_delta_se / spare_delta_low / spare_delta_high: the paired bootstrap mean,
    standard error and 95% interval of its spare ROC AUC minus the first candidate's.
    """
    paired = PairedRows.of(rows, split, size, holdout, seed)
    records, first = [], None
    for name, params in candidates.items():
        began = time.process_time()
        model = fit_pipeline(build_pipeline(params), paired.chosen, split)
        seconds = time.process_time() - began
        threshold = model.named_steps["model"].threshold_
        metrics, boot = paired.score(partial(_probability, model, None), threshold, first)
        first = boot if first is None else first
        iterations = model.named_steps["model"].estimator_.n_iter_
        records.append(
            {"name": name, "iterations": iterations, "fit_cpu_seconds": seconds, **metrics}
        )
    return pd.DataFrame(records)


def compare_features(
    rows: pd.DataFrame,
    split: PeriodSplit,
    size: int,
    holdout: int,
    candidates: Mapping[str, Sequence[str]],
    *,
    seed: int = 0,
    params: dict[str, Any] | None = None,
) -> pd.DataFrame:
    """Fit the risk model on `FEATURE_NAMES` plus each candidate's extra columns; score alike.

    The evidence a new feature needs before it joins the catalogue: the same trees and
    calibration as `build_pipeline(params)`, the same training employees and the same
    held-out and spare rows for every candidate, and the paired bootstrap difference to the
    first candidate (usually `{"current": []}`). Extra columns must already be in `rows`
    (`window_columns` computes them from a panel as the catalogue would).

    Returns
    -------
    DataFrame, one row per candidate: name, features, iterations, fit_cpu_seconds and the
    metrics of `compare_settings`.
    """
    paired = PairedRows.of(rows, split, size, holdout, seed)
    used, mask = fitting_rows(paired.chosen, split)
    labels = used[LABEL].to_numpy()
    records, first = [], None
    for name, extra in candidates.items():
        columns = [*FEATURE_NAMES, *extra]
        began = time.process_time()
        model = build_pipeline(params).named_steps["model"]
        model.fit(used[columns].to_numpy(np.float64), labels, calibration_mask=mask)
        seconds = time.process_time() - began
        predict = partial(_probability, model, columns)
        metrics, boot = paired.score(predict, model.threshold_, first)
        first = boot if first is None else first
        records.append(
            {"name": name, "features": len(columns), "iterations": model.estimator_.n_iter_,
             "fit_cpu_seconds": seconds, **metrics}
        )  # fmt: skip
    return pd.DataFrame(records)


def window_columns(panel: Panel, computes: Mapping[str, Compute]) -> pd.DataFrame:
    """Candidate columns as of the end of each labelled period, keyed like `labelled_rows`.

    Returns a DataFrame of employee_id, period and one column per `computes` entry (each a
    function of the `Window`, as a catalogue `Feature.compute`), for every employee and every
    period `labelled_rows` may stack; merge it onto the rows on (employee_id, period).
    """
    parts = []
    for t in range(1, panel.axis.length - 1):
        window = Window(panel, t)
        frame = pd.DataFrame({name: compute(window) for name, compute in computes.items()})
        frame.insert(0, "period", panel.axis.code(t))
        frame.insert(0, "employee_id", panel.employee_ids)
        parts.append(frame)
    if not parts:
        return pd.DataFrame(columns=["employee_id", "period", *computes])
    return pd.concat(parts, ignore_index=True)


def _probability(model: Any, columns: list[str] | None, frame: pd.DataFrame) -> np.ndarray:
    """P(poor) of a fitted pipeline (`columns` None) or classifier of those columns."""
    if columns is None:
        return model.predict_proba(frame)[:, 1]
    return model.predict_proba(frame[columns].to_numpy(np.float64))[:, 1]


def _tpr_gap(y: np.ndarray, flagged: np.ndarray, frame: pd.DataFrame) -> float:
    """The fairness gate's largest TPR gap; NaN for rows without the groups (`labelled_rows`
    of a panel alone, as candidate features are screened)."""
    if not all(column in frame for column in FAIRNESS_GROUPS):
        return float("nan")
    return max_tpr_gap(fairness_table(y, flagged, frame))


def _bootstrap_auc(y: np.ndarray, probability: np.ndarray, draws: np.ndarray) -> np.ndarray:
    """ROC AUC on each resample of rows (same `draws` for every model, hence paired)."""
    return np.array([roc_auc_score(y[i], probability[i]) for i in draws])


def log_curve(table: pd.DataFrame, tracking_uri: str, params: dict[str, Any]) -> str:
    """Log the curve as one MLflow run (metrics stepped by training employees); its run id."""
    mlflow.set_tracking_uri(tracking_uri)
    mlflow.set_experiment(EXPERIMENT)
    with mlflow.start_run() as active:
        mlflow.log_params(params)
        for row in table.itertuples(index=False):
            step = int(row.train_employees)
            for name in ("roc_auc", "pr_auc", "brier", "ece", "fit_cpu_seconds"):
                mlflow.log_metric(name, float(getattr(row, name)), step=step)
        mlflow.log_text(table.to_csv(index=False), "learning_curve.csv")
        return active.info.run_id
