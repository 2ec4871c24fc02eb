"""/metrics shows the outcomes of model jobs from the `model_jobs` table: a job runs in a
process of its own (`kinerja train --job-id N`, started by the API or by `kinerja
retrain-schedule`), whose in-process counter no web worker ever exposes."""

from __future__ import annotations

from datetime import UTC
from datetime import datetime

import pytest
from flask import Flask
from flask.testing import FlaskClient
from prometheus_client.parser import text_string_to_metric_families

from service import create_app
from service.db import make_database
from service.db import session_scope
from service.db.repositories import risk as repo


def _samples(client: FlaskClient) -> dict[tuple[str, str, str], float]:
    response = client.get("/metrics")
    assert response.status_code == 200, response.data
    return {
        (sample.name, sample.labels.get("kind", ""), sample.labels.get("status", "")): sample.value
        for family in text_string_to_metric_families(response.get_data(as_text=True))
        for sample in family.samples
    }


def _finish(database_url: str, outcome: str) -> datetime:
    """Queue, claim and finish one retrain as the job process does, on its own engine."""
    database = make_database(database_url)
    try:
        with session_scope(database) as session:
            job = repo.add_job(session, None, {})
        with session_scope(database) as session:
            assert repo.claim_job(session, job.id, 4242)
        with session_scope(database) as session:
            repo.finish_job(session, job.id, outcome, "done", None)
            return repo.get_job(session, job.id).finished_at
    finally:
        database.engine.dispose()


def test_metrics_count_model_jobs_by_kind_and_status(
    app: Flask, client: FlaskClient, database_url: str
) -> None:
    samples = _samples(client)
    for status in ("queued", "running", "succeeded", "failed"):
        assert samples[("kinerja_model_jobs", "retrain", status)] == 0
    assert not any(name.endswith("_timestamp_seconds") for name, _, _ in samples)

    _finish(database_url, "failed")
    _finish(database_url, "failed")
    last = _finish(database_url, "succeeded")
    with app.extensions["db"].sessions() as session:
        repo.add_job(session, None, {})
        session.commit()

    samples = _samples(client)
    assert samples[("kinerja_model_jobs", "retrain", "queued")] == 1
    assert samples[("kinerja_model_jobs", "retrain", "running")] == 0
    assert samples[("kinerja_model_jobs", "retrain", "succeeded")] == 1
    assert samples[("kinerja_model_jobs", "retrain", "failed")] == 2
    last_finished = "kinerja_model_jobs_last_finished_timestamp_seconds"
    stamp = samples[(last_finished, "retrain", "succeeded")]
    aware = last if last.tzinfo else last.replace(tzinfo=UTC)
    assert abs(stamp - aware.timestamp()) < 1
    assert abs(stamp - datetime.now(UTC).timestamp()) < 120
    assert (last_finished, "retrain", "queued") not in samples


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # replaced below
def test_metrics_answer_without_the_job_counts_when_the_database_is_down(
    app_config: dict[str, str],
) -> None:
    config = {**app_config, "DATABASE_URL": "postgresql://postgres@127.0.0.1:1/kinerja"}
    app = create_app(config, use_env=False)
    try:
        samples = _samples(app.test_client())
    finally:
        app.extensions["db"].engine.dispose()
    assert not any(name.startswith("kinerja_model_jobs") for name, _, _ in samples)
