"""The retrain scheduler: cron times queue a job; queued jobs run one at a time."""

from __future__ import annotations

import logging
import os
import shutil
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from service.db import Database
from service.db import session_scope
from service.db.models import ModelJob
from service.db.repositories import risk as repo
from tests.conftest import _pg_execute
from training.schedule import Scheduler
from training.schedule import next_time

T0 = datetime(2026, 1, 5, 1, 59, tzinfo=UTC)  # a Monday


@pytest.mark.parametrize(
    ("cron", "after", "expected"),
    [
        ("0 2 * * 1", T0, datetime(2026, 1, 5, 2, 0, tzinfo=UTC)),
        ("0 2 * * 1", T0 + timedelta(minutes=1), datetime(2026, 1, 12, 2, 0, tzinfo=UTC)),
        ("*/15 * * * *", T0, datetime(2026, 1, 5, 2, 0, tzinfo=UTC)),
    ],
)
def test_next_time(cron: str, after: datetime, expected: datetime) -> None:
    assert next_time(cron, after) == expected


def test_bad_cron_is_refused() -> None:
    with pytest.raises(ValueError, match="not a cron expression"):
        next_time("every monday", T0)


def _finish(database: Database, ran: list[int]) -> object:
    def run_job(job_id: int) -> None:
        with session_scope(database) as session:
            assert repo.claim_job(session, job_id, pid=1)
            repo.finish_job(session, job_id, "succeeded", "done", {"version": "1"})
        ran.append(job_id)

    return run_job


def test_a_job_is_queued_at_the_cron_time_and_run(app: Flask, session: Session) -> None:
    database: Database = app.extensions["db"]
    ran: list[int] = []
    scheduler = Scheduler(database, "0 2 * * 1", _finish(database, ran))  # type: ignore[arg-type]
    assert scheduler.tick(T0) == [] and ran == []
    with session_scope(database) as other:
        requested = repo.add_job(other, 7, {}).id  # e.g. from POST /models/retrain
    done = scheduler.tick(T0 + timedelta(minutes=2))
    jobs = session.scalars(select(ModelJob).order_by(ModelJob.id)).all()
    assert len(jobs) == 2 and done == ran == [requested, jobs[1].id]
    assert jobs[1].params == {"trigger": "schedule", "cron": "0 2 * * 1"}
    assert {job.status for job in jobs} == {"succeeded"}
    assert scheduler.tick(T0 + timedelta(minutes=3)) == []


@pytest.mark.parametrize("cron", ["0 2 * * 1 5", "* * * * * *", "0 2 * * 1 * 2026"])
def test_a_cron_with_a_seconds_or_year_field_is_refused(cron: str) -> None:
    # croniter reads a 6th field as seconds: "0 2 * * 1 5" would run at 02:00:05
    with pytest.raises(ValueError, match="5 fields"):
        next_time(cron, T0)


def test_a_cron_nickname_is_accepted() -> None:
    assert next_time("@daily", T0) == datetime(2026, 1, 6, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize("cron", ["0 2 30 2 *", "0 2 31 4 *"])
def test_a_cron_that_never_matches_is_refused_clearly(cron: str) -> None:
    with pytest.raises(ValueError, match="never matches a date"):
        next_time(cron, T0)


class Outage:
    """Take the test's database away for real, and bring it back unchanged.

    PostgreSQL: its sessions are ended and the database renamed, so every connection
    attempt fails ("database ... does not exist"). SQLite: the file is moved away and a
    directory stands at its path ("unable to open database file"); the engine's pool is
    emptied first, since an open SQLite connection keeps reading a moved file (a process
    that holds no connection, as after a restart, sees the outage).
    """

    def __init__(self, database: Database) -> None:
        self.database = database
        self.url = make_url(database.engine.url)
        self.active = False

    def start(self) -> None:
        if self.active:
            return
        self.active = True
        name = self.url.database
        if self.url.get_backend_name() == "postgresql":
            _pg_execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                f"WHERE datname = '{name}' AND pid <> pg_backend_pid()"
            )
            _pg_execute(f'ALTER DATABASE "{name}" RENAME TO "{name}_away"')
            return
        self.database.engine.dispose()
        os.replace(name, f"{name}.away")
        Path(name).mkdir()

    def stop(self) -> None:
        if not self.active:
            return
        self.active = False
        name = self.url.database
        if self.url.get_backend_name() == "postgresql":
            _pg_execute(f'ALTER DATABASE "{name}_away" RENAME TO "{name}"')
            return
        shutil.rmtree(name)
        os.replace(f"{name}.away", name)


def _jobs(database: Database) -> list[ModelJob]:
    with database.sessions() as session:
        return list(session.scalars(select(ModelJob).order_by(ModelJob.id)))


def test_a_database_outage_is_logged_and_the_next_tick_queues_and_runs_once(
    app: Flask, caplog: pytest.LogCaptureFixture
) -> None:
    database: Database = app.extensions["db"]
    ran: list[int] = []
    scheduler = Scheduler(database, "0 2 * * 1", _finish(database, ran))  # type: ignore[arg-type]
    scheduler.tick(T0)
    with session_scope(database) as session:
        requested = repo.add_job(session, 7, {}).id
    outage = Outage(database)
    outage.start()
    try:
        with caplog.at_level(logging.ERROR, logger="training.schedule"):
            assert scheduler.tick(T0 + timedelta(minutes=2)) == []  # the cron time passes
            assert scheduler.tick(T0 + timedelta(minutes=3)) == []
    finally:
        outage.stop()
    unreachable = [r for r in caplog.records if "database unreachable" in r.getMessage()]
    assert len(unreachable) == 2 and ran == []
    done = scheduler.tick(T0 + timedelta(minutes=4))
    jobs = _jobs(database)
    assert len(jobs) == 2 and done == ran == [requested, jobs[1].id]  # queued once, not lost
    assert jobs[1].params == {"trigger": "schedule", "cron": "0 2 * * 1"}
    assert {job.status for job in jobs} == {"succeeded"}
    assert scheduler.tick(T0 + timedelta(minutes=5)) == []


def test_a_job_whose_outcome_the_outage_kept_from_the_database_is_failed_after_it(
    app: Flask,
) -> None:
    """The scheduler runs jobs in its own process: a job it claimed but could not finish
    would otherwise stay running forever (its pid, the scheduler's, is alive)."""
    database: Database = app.extensions["db"]
    outage = Outage(database)

    def run_job(job_id: int) -> None:
        with session_scope(database) as session:
            assert repo.claim_job(session, job_id, os.getpid(), f"running (pid {os.getpid()})")
        outage.start()  # the database goes away while the job trains
        with session_scope(database) as session:
            repo.finish_job(session, job_id, "succeeded", "done", None)

    scheduler = Scheduler(database, "0 2 * * 1", run_job)
    with session_scope(database) as session:
        job_id = repo.add_job(session, None, {}).id
    try:
        assert scheduler.tick(T0) == [job_id]
        outage.stop()
        [job] = _jobs(database)
        assert job.status == "running"  # nothing could record its end meanwhile
        assert scheduler.tick(T0 + timedelta(seconds=30)) == []  # before the cron time
    finally:
        outage.stop()  # the database is back whatever failed (the fixture drops it)
    [job] = _jobs(database)
    assert job.status == "failed" and job.finished_at is not None
    assert "outcome could not be recorded" in job.message, job.message
