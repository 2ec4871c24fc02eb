"""The retrain scheduler: cron times queue a job; queued jobs run one at a time."""

from __future__ import annotations

from datetime import UTC
from datetime import datetime
from datetime import timedelta

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.db import Database
from service.db import session_scope
from service.db.models import ModelJob
from service.db.repositories import risk as repo
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
