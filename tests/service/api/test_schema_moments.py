"""Stored timestamps in answers carry their offset: one conversion (`moments.as_utc`)."""

from __future__ import annotations

from datetime import UTC
from datetime import datetime
from datetime import timedelta
from datetime import timezone

from pydantic import TypeAdapter

from service.api.schemas.common import Moment
from service.api.schemas.risk import JobOut
from service.db.models import ModelJob

NAIVE = datetime(2026, 3, 1, 8, 30)  # as SQLite hands a stored UTC timestamp back
JAKARTA = timezone(timedelta(hours=7))


def test_a_naive_moment_is_utc_and_an_aware_one_is_kept() -> None:
    moment = TypeAdapter(Moment)
    assert moment.validate_python(NAIVE) == NAIVE.replace(tzinfo=UTC)
    assert moment.validate_python(NAIVE).tzinfo is UTC
    aware = NAIVE.replace(tzinfo=JAKARTA)
    assert moment.validate_python(aware).tzinfo is JAKARTA


def test_a_job_read_from_its_row_says_utc_without_a_copy() -> None:
    """JobOut converts its own timestamps (as every answer's `Moment` does); `job_out`
    kept a copy of the conversion and the model gave naive times to any other caller."""
    job = ModelJob(id=1, kind="retrain", status="running", requested_at=NAIVE, started_at=NAIVE)
    answer = JobOut.model_validate(job)
    assert answer.requested_at == answer.started_at == NAIVE.replace(tzinfo=UTC)
    assert answer.finished_at is None
