"""`kinerja train`, `kinerja score` and `kinerja retrain-schedule` (training/commands.py)."""

from __future__ import annotations

import os
import re
import shutil
import time
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner
from mlflow import MlflowClient
from sqlalchemy import func
from sqlalchemy import select

from service.cli import main
from service.db import make_database
from service.db import make_engine
from service.db import session_scope
from service.db.models import ModelJob
from service.db.models import RiskScore
from service.db.repositories import risk as repo
from service.features.stored_rows import feature_set_id
from service.serving.jobs import reap
from service.serving.jobs import spawn_train
from service.serving.predictor import RISK_MODEL_NAME
from training.extract import extract
from training.extract import snapshot_id
from training.sample import SAMPLE_GATES
from training.sample import Sample
from training.train import split_periods


def _env(sample: Sample) -> dict[str, str]:
    return {"KINERJA_ENV": "test", **sample.config()}


def test_score_writes_everyone_and_reports(sample_copy: Sample) -> None:
    result = CliRunner().invoke(main, ["score", "--chunk-size", "1000"], env=_env(sample_copy))
    assert result.exit_code == 0, result.output
    assert f"kinerja-risk version {sample_copy.version}" in result.output
    database = make_database(sample_copy.database_url)
    with database.sessions() as session:
        assert session.scalar(select(func.count()).select_from(RiskScore)) > 0
    database.engine.dispose()


@pytest.mark.slow
def test_score_with_two_workers_writes_the_same_scores(sample_copy: Sample) -> None:
    env = _env(sample_copy)
    runner = CliRunner()
    assert runner.invoke(main, ["score", "--chunk-size", "1000"], env=env).exit_code == 0
    database = make_database(sample_copy.database_url)
    columns = (RiskScore.employee_id, RiskScore.probability, RiskScore.flagged)
    with database.sessions() as session:
        alone = session.execute(select(*columns).order_by(RiskScore.employee_id)).all()
    result = runner.invoke(main, ["score", "--chunk-size", "1000", "--workers", "2"], env=env)
    assert result.exit_code == 0, result.output
    with database.sessions() as session:
        together = session.execute(select(*columns).order_by(RiskScore.employee_id)).all()
    database.engine.dispose()
    assert together == alone and len(alone) > 0


def test_score_refuses_zero_workers(sample_copy: Sample) -> None:
    result = CliRunner().invoke(main, ["score", "--workers", "0"], env=_env(sample_copy))
    assert result.exit_code == 2
    assert "--workers" in result.output


def test_train_with_an_unknown_job_fails_cleanly(sample_copy: Sample) -> None:
    result = CliRunner().invoke(main, ["train", "--job-id", "999"], env=_env(sample_copy))
    assert result.exit_code == 1
    assert "job 999 is not queued" in result.output


@pytest.mark.parametrize(
    ("cron", "message"),
    [
        ("sometimes", "not a cron expression"),
        ("0 2 * * 1 5", "not a cron expression (5 fields"),
        ("0 2 30 2 *", "never matches a date"),
    ],
)
def test_retrain_schedule_refuses_a_bad_cron(sample_copy: Sample, cron: str, message: str) -> None:
    result = CliRunner().invoke(
        main, ["retrain-schedule", "--cron", cron, "--rounds", "1"], env=_env(sample_copy)
    )
    assert result.exit_code == 2
    assert message in result.output
    database = make_database(sample_copy.database_url)
    with database.sessions() as session:
        assert session.scalar(select(func.count()).select_from(ModelJob)) == 0
    database.engine.dispose()


@pytest.mark.slow
def test_train_prints_the_comparison_table(sample_copy: Sample) -> None:
    result = CliRunner().invoke(main, ["train", "--chunk-size", "1000"], env=_env(sample_copy))
    assert result.exit_code == 0, result.output
    for line in ("model (calibrated trees)", "baseline: last predikat was poor",
                 "baseline: logistic regression", "oracle: true probability"):  # fmt: skip
        assert line in result.output
    assert "kinerja-recommender version 1: promoted to champion" in result.output


@pytest.mark.slow
def test_a_spawned_job_trains_outside_the_caller(sample_copy: Sample, tmp_path: Path) -> None:
    database = make_database(sample_copy.database_url)
    with session_scope(database) as session:
        job_id = repo.add_job(session, None, {"max_iter": 60}).id
    wide = {"RISK_GATE_MAX_ECE": str(SAMPLE_GATES.max_ece),  # 600 people: see training.sample
            "RISK_GATE_MAX_TPR_GAP": str(SAMPLE_GATES.max_tpr_gap)}  # fmt: skip
    config = {**sample_copy.config(), "KINERJA_HOME": str(tmp_path), **wide}
    pid = spawn_train(job_id, config)
    assert pid != os.getpid()
    deadline = time.monotonic() + 600
    status = "queued"
    while status in ("queued", "running") and time.monotonic() < deadline:
        time.sleep(2)
        with database.sessions() as session:
            status = session.get(ModelJob, job_id).status
    with database.sessions() as session:
        job = session.get(ModelJob, job_id)
        assert (job.status, job.result["version"]) == ("succeeded", "2"), job.message
        assert job.result["promoted"] is True, job.result["reasons"]
        # A promoted model is scored at once, so the risk reads stay on stored rows.
        versions = set(session.scalars(select(RiskScore.model_version).distinct()))
        assert versions == {"2"}
    tracking = MlflowClient(sample_copy.tracking_uri)
    assert tracking.get_run(job.result["run_id"]).data.params["model.max_iter"] == "60"
    database.engine.dispose()
    assert (tmp_path / "jobs" / f"job-{job_id}.log").is_file()
    assert reap(timeout=60) == 0


def test_train_refuses_a_gate_that_is_not_a_fraction(sample_copy: Sample) -> None:
    env = {**_env(sample_copy), "RISK_GATE_MAX_TPR_GAP": "ten percent"}
    result = CliRunner().invoke(main, ["train"], env=env)
    assert result.exit_code == 1
    assert "RISK_GATE_MAX_TPR_GAP must be a number between 0 and 1" in result.output
    database = make_database(sample_copy.database_url)
    with database.sessions() as session:
        assert session.scalar(select(func.count()).select_from(ModelJob)) == 0
    database.engine.dispose()


def _empty_database(sqlite_template: Path, tmp_path: Path) -> dict[str, str]:
    """The environment of a CLI run on a migrated database without history in `tmp_path`."""
    shutil.copyfile(sqlite_template, tmp_path / "kinerja.db")
    return {
        "KINERJA_ENV": "test",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'kinerja.db'}",
        "MLFLOW_TRACKING_URI": f"sqlite:///{tmp_path / 'mlflow.db'}",
        "KINERJA_MODELS_DIR": str(tmp_path / "models"),
    }


def test_train_on_a_database_without_history_says_so(
    sqlite_template: Path, tmp_path: Path
) -> None:
    env = _empty_database(sqlite_template, tmp_path)
    result = CliRunner().invoke(main, ["train"], env=env)
    assert result.exit_code == 1, result.output
    assert "Error: cannot train kinerja-risk: no evaluations" in result.output
    assert not (tmp_path / "mlflow.db").exists() and not (tmp_path / "models").exists()


def test_score_on_a_database_without_evaluations_says_so(
    sqlite_template: Path, tmp_path: Path
) -> None:
    env = _empty_database(sqlite_template, tmp_path)
    result = CliRunner().invoke(main, ["score"], env=env)
    assert result.exit_code == 1, result.output
    assert "Error: cannot score: no evaluations" in result.output
    assert "Traceback" not in result.output


def test_too_few_labelled_periods_are_named() -> None:
    rows = pd.DataFrame({"period": ["2025-Q1", "2025-Q2", "2025-Q1"]})
    with pytest.raises(ValueError, match=r"need at least 3 labelled periods .*'2025-Q2'"):
        split_periods(rows)
    with pytest.raises(ValueError, match="need at least 3 labelled periods"):
        split_periods(pd.DataFrame())


def test_train_reads_and_logs_features_of_the_configured_360_minimum(
    sample_copy: Sample,
) -> None:
    """KINERJA_FEEDBACK_MIN_GROUP_ANSWERS=5: `kinerja train` fits on features whose 360
    groups of 3 and 4 answers are hidden (as the results and the served features hide them)
    and logs the feature set id that includes the minimum (`feature_set_id(5)`), so a model
    can be matched with the stored feature rows it was trained like."""
    env = {**_env(sample_copy), "KINERJA_FEEDBACK_MIN_GROUP_ANSWERS": "5"}
    result = CliRunner().invoke(main, ["train", "--chunk-size", "1000"], env=env)
    assert result.exit_code == 0, result.output
    version = re.search(r"kinerja-risk version (\d+):", result.output)
    assert version is not None, result.output
    tracking = MlflowClient(sample_copy.tracking_uri)
    run_id = tracking.get_model_version(RISK_MODEL_NAME, version.group(1)).run_id
    params = tracking.get_run(run_id).data.params

    engine = make_engine(sample_copy.database_url)
    try:
        at_five, at_three = (extract(engine, 1000, min_group_answers=m).rows for m in (5, 3))
    finally:
        engine.dispose()
    peer = "feedback360_peer_mean"
    assert at_five[peer].notna().sum() < at_three[peer].notna().sum()  # groups hidden at 5
    assert params["data.snapshot_id"] == snapshot_id(at_five) != snapshot_id(at_three)
    assert params["data.feature_set"] == feature_set_id(5) != feature_set_id(3)
    assert params["data.min_group_answers"] == "5"
