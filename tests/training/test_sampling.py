"""The bounded employee sample of a retrain (training/sampling.py) and its extraction."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from mlflow import MlflowClient

from service.cli import main
from service.config import ConfigError
from service.db import make_engine
from training.extract import Extract
from training.extract import extract
from training.learning_curve import compare_settings
from training.learning_curve import learning_curve
from training.pipeline import run
from training.sample import SAMPLE_GATES
from training.sample import Sample
from training.sampling import EVERYONE
from training.sampling import EmployeeSample
from training.sampling import SamplePlan
from training.sampling import compare_from
from training.sampling import draw
from training.sampling import plan_from
from training.train import split_periods

IDS = np.arange(1, 100_001, dtype=np.int64)


def test_a_draw_is_deterministic_nested_and_bounded() -> None:
    small = draw(IDS, SamplePlan(1_000, seed=3, block=100))
    assert len(small) == 1_000 and np.array_equal(small, draw(IDS, SamplePlan(1_000, 3, 100)))
    assert set(small) <= set(draw(IDS, SamplePlan(5_000, seed=3, block=100)))
    assert not np.array_equal(small, draw(IDS, SamplePlan(1_000, seed=4, block=100)))
    assert np.array_equal(draw(IDS[:500], SamplePlan(1_000)), IDS[:500])
    assert np.array_equal(draw(IDS[::-1], EVERYONE), IDS)


def test_a_draw_takes_whole_blocks_spread_over_the_ids() -> None:
    gappy = IDS[IDS % 7 != 0]  # departed employees leave gaps; blocks then hold fewer
    drawn = draw(gappy, SamplePlan(10_000, seed=0, block=100))
    blocks = np.unique(drawn // 100)
    assert np.array_equal(drawn, gappy[np.isin(gappy // 100, blocks)])  # whole blocks only
    assert 10_000 <= len(drawn) < 10_000 + 100
    per_tenth = np.bincount(blocks // 100, minlength=10)  # about 11.5 blocks in each tenth
    assert per_tenth.min() >= 3 and per_tenth.max() <= 25


def test_a_sample_is_read_as_ranges_holding_only_sampled_ids() -> None:
    plan = SamplePlan(3_000, seed=1, block=100)
    sample = EmployeeSample(plan, len(IDS), draw(IDS, plan))
    ranges = list(sample.ranges(chunk_size=150))
    covered = np.concatenate([IDS[(IDS >= a) & (IDS <= b)] for a, b in ranges])
    assert np.array_equal(covered, sample.employee_ids)
    assert max(b - a + 1 for a, b in ranges) <= 150
    everyone = EmployeeSample(EVERYONE, 1_000, IDS[:1_000])
    assert list(everyone.ranges(chunk_size=400)) == [(1, 400), (401, 800), (801, 1_000)]


@pytest.mark.parametrize(
    ("config", "plan"),
    [
        ({}, SamplePlan(200_000, 0, 1_000)),
        ({"RISK_TRAIN_MAX_EMPLOYEES": "", "RISK_TRAIN_SAMPLE_SEED": ""}, SamplePlan(200_000, 0)),
        (
            {"RISK_TRAIN_MAX_EMPLOYEES": "30000", "RISK_TRAIN_SAMPLE_SEED": "7"},
            SamplePlan(30_000, 7),
        ),
        ({"RISK_TRAIN_MAX_EMPLOYEES": "ALL"}, SamplePlan(None, 0)),
    ],
)
def test_the_sample_comes_from_the_configuration(config: dict, plan: SamplePlan) -> None:
    assert plan_from(config) == plan


@pytest.mark.parametrize(
    ("config", "match"),
    [
        ({"RISK_TRAIN_MAX_EMPLOYEES": "999"}, "RISK_TRAIN_MAX_EMPLOYEES must be a whole number"),
        ({"RISK_TRAIN_MAX_EMPLOYEES": "lots"}, "at least 1,000 or 'all', not 'lots'"),
        ({"RISK_TRAIN_SAMPLE_SEED": "-1"}, "RISK_TRAIN_SAMPLE_SEED must be a whole number"),
    ],
)
def test_a_bad_sample_setting_is_refused(config: dict, match: str) -> None:
    with pytest.raises(ConfigError, match=match):
        plan_from(config)


def test_the_signal_comparison_setting() -> None:
    assert (
        compare_from({}) is None and compare_from({"RISK_TRAIN_COMPARE_SIGNALS": "auto"}) is None
    )
    assert compare_from({"RISK_TRAIN_COMPARE_SIGNALS": "false"}) is False
    assert compare_from({"RISK_TRAIN_COMPARE_SIGNALS": "TRUE"}) is True
    with pytest.raises(ConfigError, match="auto, true or false, not 'sometimes'"):
        compare_from({"RISK_TRAIN_COMPARE_SIGNALS": "sometimes"})


def _extract(sample: Sample, plan: SamplePlan = EVERYONE) -> Extract:
    engine = make_engine(sample.database_url)
    try:
        return extract(engine, chunk_size=1_000, plan=plan)
    finally:
        engine.dispose()


def test_a_sampled_extract_reads_only_the_sample_with_unchanged_features(
    risk_sample: Sample,
) -> None:
    everyone = _extract(risk_sample)
    sampled = _extract(risk_sample, SamplePlan(150, seed=1, block=20))
    assert sampled.sample.population == 600 and 150 <= sampled.sample.size < 170
    assert set(sampled.rows["employee_id"]) <= set(sampled.sample.employee_ids.tolist())
    assert sampled.rows["employee_id"].nunique() > 100
    # Features of a sampled employee do not depend on who else was read.
    key = ["employee_id", "period"]
    same = everyone.rows[everyone.rows["employee_id"].isin(sampled.sample.employee_ids)]
    pd.testing.assert_frame_equal(
        sampled.rows.sort_values(key, ignore_index=True), same.sort_values(key, ignore_index=True)
    )
    assert sampled.window == everyone.window


def test_the_learning_curve_scores_every_size_on_the_same_held_out_rows(
    risk_sample: Sample,
) -> None:
    data = _extract(risk_sample)
    split = split_periods(data.rows)
    table = learning_curve(data.rows, split, [200, 400, 10_000], holdout=150)
    assert table["train_employees"].tolist() == [200, 400]  # 10,000 is more than the pool
    assert table["held_out_rows"].nunique() == 1 and table["held_out_rows"].iloc[0] > 100
    assert table["roc_auc"].between(0.5, 1).all()
    assert (table["train_rows"].diff().dropna() > 0).all()


def test_train_refuses_a_cap_too_small_for_the_gates(sample_copy: Sample) -> None:
    env = {"KINERJA_ENV": "test", **sample_copy.config(), "RISK_TRAIN_MAX_EMPLOYEES": "500"}
    result = CliRunner().invoke(main, ["train"], env=env)
    assert result.exit_code == 1
    assert "RISK_TRAIN_MAX_EMPLOYEES must be a whole number of at least 1,000" in result.output


@pytest.mark.slow
def test_a_sampled_retrain_logs_its_sample_and_gates_on_the_champions_rows(
    sample_copy: Sample,
) -> None:
    summary = run(
        sample_copy.database_url,
        sample_copy.tracking_uri,
        sample_copy.models_dir,
        threads=1,
        gates=SAMPLE_GATES,
        sample=SamplePlan(400, seed=5, block=20),
    )
    client = MlflowClient(sample_copy.tracking_uri, sample_copy.tracking_uri)
    params = client.get_run(summary.run_id).data.params
    assert 400 <= int(params["sample.employees"]) < 420 and params["sample.population"] == "600"
    assert (params["sample.max_employees"], params["sample.seed"]) == ("400", "5")
    assert params["sample.block"] == "20"
    assert params["compare_signals"] == "True"  # auto: a small sample is cheap to compare
    assert any(f"champion v{sample_copy.version}" in reason for reason in summary.reasons)
    card = client.download_artifacts(summary.run_id, "model_card.md")
    text = Path(card).read_text()
    assert f"hash sample of {params['sample.employees']} of 600 employees in blocks of 20" in text


def test_settings_are_compared_on_the_same_rows_with_a_paired_difference(
    risk_sample: Sample,
) -> None:
    data = _extract(risk_sample)
    split = split_periods(data.rows)
    candidates = {"default": {}, "stumps": {"max_leaf_nodes": 2, "max_iter": 5}}
    table = compare_settings(data.rows, split, 300, holdout=150, candidates=candidates)
    assert table["name"].tolist() == ["default", "stumps"]
    assert table.loc[0, "spare_delta"] == 0 and table.loc[0, "spare_delta_se"] == 0
    assert table.loc[1, "iterations"] <= 5 and table.loc[1, "spare_delta_se"] > 0
    # the spare rows are the held-out employees plus the pool beyond the 300 fitted
    assert table["spare_rows"].iloc[0] > 150 + 100 and table["roc_auc"].between(0.5, 1).all()
