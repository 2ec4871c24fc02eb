"""Retrain jobs end to end: a scheduled job trains; a job that stops leaves a clear state."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from datetime import UTC
from datetime import datetime
from datetime import timedelta

import pytest
from click.testing import CliRunner
from flask import Flask
from sqlalchemy import text

from service.cli import main
from service.config import load_config
from service.db import Database
from service.db import make_database
from service.db import session_scope
from service.db.models import ModelJob
from service.db.repositories import risk as repo
from training.commands import train_job
from training.jobs import claim
from training.jobs import run_job
from training.sample import SAMPLE_GATES
from training.sample import Sample
from training.schedule import Scheduler

T0 = datetime(2026, 1, 5, 1, 59, tzinfo=UTC)  # a Monday, a minute before "0 2 * * 1"


def _config(sample: Sample) -> dict:
    wide = {"RISK_GATE_MAX_ECE": str(SAMPLE_GATES.max_ece),  # 600 people: see training.sample
            "RISK_GATE_MAX_TPR_GAP": str(SAMPLE_GATES.max_tpr_gap)}  # fmt: skip
    return load_config({"KINERJA_ENV": "test", **sample.config(), **wide}, use_env=False)


@pytest.mark.slow
def test_a_scheduled_job_trains_and_succeeds(sample_copy: Sample) -> None:
    config = _config(sample_copy)
    database = make_database(sample_copy.database_url)
    echoed: list[str] = []

    def run_one(job_id: int) -> None:
        train_job(config, database, job_id, 1000, echoed.append)

    scheduler = Scheduler(database, "0 2 * * 1", run_one)
    scheduler.tick(T0)
    [job_id] = scheduler.tick(T0 + timedelta(minutes=2))
    with database.sessions() as session:
        job = session.get(ModelJob, job_id)
        assert job.params["trigger"] == "schedule"
        assert job.status == "succeeded", job.message
        assert job.result["version"] == "2"
    database.engine.dispose()


def _queued(app: Flask) -> tuple[Database, int]:
    database: Database = app.extensions["db"]
    with session_scope(database) as session:
        return database, repo.add_job(session, None, {}).id


def _stopped(_signal: int) -> object:
    def train() -> object:
        os.kill(os.getpid(), _signal)
        time.sleep(5)  # the signal arrives before this ends
        raise AssertionError("not stopped")

    return train


def test_an_interrupted_job_is_failed_not_left_running(app: Flask) -> None:
    database, job_id = _queued(app)

    def train() -> object:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_job(database, job_id, train)
    with database.sessions() as session:
        job = session.get(ModelJob, job_id)
        assert (job.status, job.message) == ("failed", "interrupted (KeyboardInterrupt)")
        assert job.finished_at is not None


def test_a_job_stopped_with_sigterm_is_failed_and_the_handler_restored(app: Flask) -> None:
    database, job_id = _queued(app)
    before = signal.getsignal(signal.SIGTERM)
    with pytest.raises(SystemExit):
        run_job(database, job_id, _stopped(signal.SIGTERM))
    assert signal.getsignal(signal.SIGTERM) is before
    with database.sessions() as session:
        job = session.get(ModelJob, job_id)
        assert job.status == "failed" and "SIGTERM" in job.message


def test_a_job_whose_process_was_killed_is_failed_by_the_scheduler(app: Flask) -> None:
    database, job_id = _queued(app)
    child = subprocess.Popen(["sleep", "60"])  # the job's process, then killed (OOM, kill -9)
    assert claim(database, job_id, child.pid)
    scheduler = Scheduler(database, "0 2 * * 1", lambda _job: None)
    scheduler.tick(T0)
    with database.sessions() as session:
        job = session.get(ModelJob, job_id)
        assert job.status == "running" and str(child.pid) in job.message
    child.kill()
    child.wait()
    scheduler.tick(T0)
    with database.sessions() as session:
        job = session.get(ModelJob, job_id)
        assert job.status == "failed", job.message
        assert f"pid {child.pid}" in job.message and "ended without" in job.message
        assert job.finished_at is not None


def test_a_running_job_of_another_host_is_left_alone(app: Flask) -> None:
    database, job_id = _queued(app)
    with session_scope(database) as session:
        assert repo.claim_job(session, job_id, pid=2**22 + 1)  # no such pid here
    Scheduler(database, "0 2 * * 1", lambda _job: None).tick(T0)
    with database.sessions() as session:
        assert session.get(ModelJob, job_id).status == "running"


@pytest.mark.slow
def test_a_promotion_whose_rescore_fails_says_both(sample_copy: Sample) -> None:
    """The champion moved even though scoring with it failed: the job row and the command
    say both, so the operator knows the model changed and that `kinerja score` is due."""
    database = make_database(sample_copy.database_url)
    with session_scope(database) as session:
        job_id = repo.add_job(session, None, {}).id
        # A real database refusal of the score's writes (as a full disk would refuse them).
        session.execute(
            text(
                "CREATE TRIGGER refuse_scores BEFORE INSERT ON risk_scores "
                "BEGIN SELECT RAISE(ABORT, 'risk_scores refused by the test'); END"
            )
        )
    wide = {"RISK_GATE_MAX_ECE": str(SAMPLE_GATES.max_ece),
            "RISK_GATE_MAX_TPR_GAP": str(SAMPLE_GATES.max_tpr_gap)}  # fmt: skip
    env = {"KINERJA_ENV": "test", **sample_copy.config(), **wide}
    result = CliRunner().invoke(main, ["train", "--job-id", str(job_id)], env=env)
    assert result.exit_code == 1, result.output
    last = result.output.strip().splitlines()[-1]
    assert "version 2 promoted to champion" in last, result.output
    assert "re-score after the promotion failed" in last
    assert "risk_scores refused by the test" in last
    assert "kinerja score" in last
    with database.sessions() as session:
        job = session.get(ModelJob, job_id)
        assert job.status == "failed"
        assert "version 2 promoted to champion" in job.message, job.message
        assert "risk_scores refused by the test" in job.message
        assert job.result["version"] == "2" and job.result["promoted"] is True
        assert "risk_scores refused by the test" in job.result["rescore_error"]
    database.engine.dispose()
