"""Held-out quality as a function of training employees: the evidence for the sample cap.

Every size is fitted on a nested hash sample of employees (`training.sampling`: the first n
in sample order) and scored on the same held-out rows: the latest labelled period of
employees that no size trains on, as a national model meets most of the people it scores.

`compare_settings` fits several tree settings at one size instead. Differences between
settings are a few thousandths of ROC AUC, below the noise of 20,000 held-out rows, so it
also scores the "spare" rows (held-out plus pool employees beyond the size, which that fit
never saw) and gives each setting's paired bootstrap difference to the first one.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from collections.abc import Sequence
from typing import Any

import mlflow
import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score

from service.features import LABEL
from training.compare import held_out_metrics
from training.sampling import rank_by_key
from training.train import PeriodSplit
from training.train import build_pipeline
from training.train import fit_pipeline

EXPERIMENT = "kinerja-risk-learning-curve"
BOOTSTRAP_ROUNDS = 100


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
    stopping), fit_cpu_seconds, roc_auc and ece on the held-out rows, spare_rows,
    spare_roc_auc, spare_ece, and spare_delta / spare_delta_se: the paired bootstrap mean and
    standard error of its spare ROC AUC minus the first candidate's.
    """
    held, pool = held_out_employees(rows, holdout, seed)
    latest = rows["period"] == split.test
    test = rows[latest & rows["employee_id"].isin(held)]
    spare = rows[latest & rows["employee_id"].isin(np.r_[held, pool[size:]])]
    chosen = rows[rows["employee_id"].isin(pool[:size]) & ~latest]
    y, y_spare = (frame[LABEL].to_numpy().astype(int) for frame in (test, spare))
    draws = np.random.default_rng(seed).integers(0, len(spare), (BOOTSTRAP_ROUNDS, len(spare)))
    records, first = [], None
    for name, params in candidates.items():
        began = time.process_time()
        model = fit_pipeline(build_pipeline(params), chosen, split)
        seconds = time.process_time() - began
        held_metrics = held_out_metrics(y, model.predict_proba(test)[:, 1])
        probability = model.predict_proba(spare)[:, 1]
        spare_metrics = held_out_metrics(y_spare, probability)
        boot = _bootstrap_auc(y_spare, probability, draws)
        first = boot if first is None else first
        records.append(
            {"name": name, "iterations": model.named_steps["model"].estimator_.n_iter_,
             "fit_cpu_seconds": seconds, "roc_auc": held_metrics["roc_auc"],
             "ece": held_metrics["ece"], "spare_rows": len(spare),
             "spare_roc_auc": spare_metrics["roc_auc"], "spare_ece": spare_metrics["ece"],
             "spare_delta": float(np.mean(boot - first)),
             "spare_delta_se": float(np.std(boot - first, ddof=1))}
        )  # fmt: skip
    return pd.DataFrame(records)


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
