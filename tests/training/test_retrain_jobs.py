"""Retrain jobs end to end: a scheduled job trains; a job that stops leaves a clear state."""

from __future__ import annotations

from datetime import UTC
from datetime import datetime
from datetime import timedelta

import pytest

from service.config import load_config
from service.db import make_database
from service.db.models import ModelJob
from training.commands import train_job
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
