"""The evidence machinery for new features (training/learning_curve.py: compare_features)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from service.db import make_engine
from service.features import FEATURE_BY_NAME
from service.features import LABEL
from service.features import labelled_rows
from training.evaluate import fairness_table
from training.evaluate import max_tpr_gap
from training.extract import extract
from training.extract import read_axis
from training.extract import read_panel
from training.learning_curve import PairedRows
from training.learning_curve import compare_features
from training.learning_curve import compare_settings
from training.learning_curve import window_columns
from training.sample import Sample
from training.train import build_pipeline
from training.train import fit_pipeline
from training.train import split_periods

KEY = ["employee_id", "period"]


@pytest.fixture(scope="module")
def rows_with_candidates(risk_sample: Sample) -> pd.DataFrame:
    """The sample's labelled rows plus two candidate columns computed from its panel."""
    engine = make_engine(risk_sample.database_url)
    try:
        axis = read_axis(engine)
        panel = read_panel(engine, 0, 10**9, axis)
    finally:
        engine.dispose()
    computes = {
        "poor_last_again": FEATURE_BY_NAME["poor_last"].compute,
        "constant": lambda window: np.ones(window.panel.shape[0]),
    }
    extra = window_columns(panel, computes)
    assert len(extra) == len(panel.employee_ids) * (axis.length - 2)
    return labelled_rows(panel).merge(extra, on=KEY, how="left", validate="one_to_one")


def test_window_columns_compute_what_the_catalogue_computes(
    rows_with_candidates: pd.DataFrame,
) -> None:
    rows = rows_with_candidates
    assert len(rows) > 1_000 and rows["constant"].eq(1.0).all()
    pd.testing.assert_series_equal(rows["poor_last_again"], rows["poor_last"], check_names=False)


def test_features_are_compared_on_the_same_rows_as_the_current_model(
    rows_with_candidates: pd.DataFrame,
) -> None:
    rows = rows_with_candidates.assign(leak=rows_with_candidates[LABEL] * 1.0)
    split = split_periods(rows)
    candidates = {"current": [], "constant": ["constant"], "leak": ["leak"]}
    table = compare_features(rows, split, 300, holdout=150, candidates=candidates)
    settings = compare_settings(rows, split, 300, holdout=150, candidates={"default": {}})
    current, constant, leak = (table.loc[i] for i in range(3))
    # the same trees, rows and resamples as the pipeline: identical figures for no extras
    assert current["spare_roc_auc"] == settings.loc[0, "spare_roc_auc"]
    assert current["spare_delta"] == 0 and current["spare_delta_high"] == 0
    assert table["features"].diff().dropna().tolist() == [1, 0]
    # a column that cannot split changes nothing; the label itself is a certain gain
    assert constant["spare_roc_auc"] == current["spare_roc_auc"]
    assert leak["spare_roc_auc"] > 0.99 and leak["spare_delta_low"] > 0.05


def test_settings_report_the_fairness_gates_figure_of_each_fit(risk_sample: Sample) -> None:
    """A faster tree setting is judged on the fairness gate too: each row carries the largest
    TPR gap of the rows its model flags, on the held-out and on the spare rows."""
    engine = make_engine(risk_sample.database_url)
    try:
        rows = extract(engine).rows  # with the gender and age band of each row
    finally:
        engine.dispose()
    split = split_periods(rows)
    # few fitted employees: spare rows enough for two groups to clear the positives floor
    table = compare_settings(rows, split, 100, holdout=150, candidates={"default": {}})
    paired = PairedRows.of(rows, split, 100, 150, seed=0)
    model = fit_pipeline(build_pipeline(), paired.chosen, split)
    threshold = model.named_steps["model"].threshold_
    for column, frame in (("tpr_gap", paired.test), ("spare_tpr_gap", paired.spare)):
        flagged = model.predict_proba(frame)[:, 1] >= threshold
        expected = max_tpr_gap(fairness_table(frame[LABEL].to_numpy(), flagged, frame))
        np.testing.assert_equal(table.loc[0, column], expected)
    assert np.isfinite(table.loc[0, "spare_tpr_gap"])
