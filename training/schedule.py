"""Periodic retraining: a small scheduler process with a cron expression.

`kinerja retrain-schedule --cron "0 2 * * 1"` queues a retrain job at every cron time and runs
queued jobs (its own and those from POST /api/v1/models/retrain) one at a time, in this
process, outside the web workers. A tick that cannot reach the database is logged and
tried again at the next poll: the cron time it missed is queued then (once), and a job whose
outcome the outage kept from the database is recorded as failed. The alternative without a
long-running process is a cron line such as
`0 2 * * 1  cd /srv/kinerja && kinerja train >> var/train.log 2>&1`.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import field
from datetime import UTC
from datetime import datetime

from croniter import CroniterBadDateError
from croniter import croniter
from sqlalchemy.exc import SQLAlchemyError

from service.db import Database
from service.db import session_scope
from service.db.repositories import risk as repo
from training.jobs import fail_abandoned

log = logging.getLogger(__name__)
DEFAULT_CRON = "0 2 * * 1"
RunJob = Callable[[int], None]


def next_time(cron: str, after: datetime) -> datetime:
    """The first time strictly after `after` that matches `cron` (5 fields, UTC)."""
    fields = len(cron.split())
    if not croniter.is_valid(cron) or (fields != 5 and not cron.strip().startswith("@")):
        raise ValueError(f"not a cron expression (5 fields, e.g. {DEFAULT_CRON!r}): {cron!r}")
    try:
        return croniter(cron, after).get_next(datetime)
    except CroniterBadDateError:
        raise ValueError(f"cron expression {cron!r} never matches a date") from None


@dataclass
class Scheduler:
    """Queue a job at each cron time and run queued jobs; `tick` does one round."""

    database: Database
    cron: str
    run_job: RunJob
    due: datetime | None = None
    #: Jobs run here that raised: their outcome may not have reached the database.
    unsettled: set[int] = field(default_factory=set)

    def tick(self, now: datetime) -> list[int]:
        """Queue the scheduled job if due, then run every queued job; return the ids run.

        First, running jobs of this host whose process has ended are recorded as failed.
        A database error (the database is unreachable) ends the tick with a log line
        instead of the process; the next tick starts again from the database's state, so
        a missed cron time is queued once and a queued job is run later, never lost.
        """
        ran: list[int] = []
        try:
            self._tick(now, ran)
        except SQLAlchemyError as exc:
            log.error(
                "retrain schedule: database unreachable (%s); trying again at the next tick",
                str(exc).splitlines()[0],
            )
        return ran

    def _tick(self, now: datetime, ran: list[int]) -> None:
        self._settle()
        for job_id in fail_abandoned(self.database):
            log.error("retrain job %s: its process ended without recording an outcome", job_id)
        if self.due is None:
            self.due = next_time(self.cron, now)
        if now >= self.due:
            with session_scope(self.database) as session:
                repo.add_job(session, None, {"trigger": "schedule", "cron": self.cron})
            self.due = next_time(self.cron, now)
        while (job_id := self._next_queued()) is not None and job_id not in ran:
            ran.append(job_id)
            try:
                self.run_job(job_id)
            except Exception:  # noqa: BLE001 - the job row holds the error; keep scheduling
                self.unsettled.add(job_id)
                log.exception("retrain job %s failed", job_id)

    def _settle(self) -> None:
        """Record as failed the jobs of this process that raised and are still running.

        A job runs in this process, so `fail_abandoned` sees its pid alive; one whose end
        could not be written (the database went away meanwhile) would stay running forever.
        """
        with session_scope(self.database) as session:
            for job_id, pid, _message in repo.running_jobs(session):
                if job_id in self.unsettled and pid == os.getpid():
                    detail = (
                        "the job ended but its outcome could not be recorded (the database "
                        "was unreachable); see the retrain-schedule log and GET /api/v1/models"
                    )
                    repo.finish_job(session, job_id, "failed", detail, None)
                    log.error("retrain job %s: %s", job_id, detail)
        self.unsettled.clear()

    def _next_queued(self) -> int | None:
        with session_scope(self.database) as session:
            return repo.next_queued_job(session)

    def serve(self, poll_seconds: float = 30.0, rounds: int | None = None) -> None:
        """Tick every `poll_seconds` forever (or `rounds` times)."""
        done = 0
        while rounds is None or done < rounds:
            self.tick(datetime.now(UTC))
            done += 1
            if rounds is None or done < rounds:
                time.sleep(poll_seconds)
