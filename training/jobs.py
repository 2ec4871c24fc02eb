"""Run one queued retraining job and record its outcome in `model_jobs`."""

from __future__ import annotations

import os
import signal
import threading
import traceback
from collections.abc import Callable
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from service.db import Database
from service.db import session_scope
from service.db.repositories import risk as repo
from service.ops.metrics import record_job_outcome
from training.pipeline import TrainSummary

#: Exit status of a job process stopped by SIGTERM (128 + 15, as a shell reports it).
STOPPED_BY_SIGTERM = 143


def _failure(exc: BaseException) -> str:
    if isinstance(exc, KeyboardInterrupt):
        return "interrupted (KeyboardInterrupt)"
    if isinstance(exc, SystemExit) and exc.code == STOPPED_BY_SIGTERM:
        return "stopped by SIGTERM"
    return "".join(traceback.format_exception_only(exc)).strip()


@contextmanager
def _sigterm_exits() -> Iterator[None]:
    """Raise SystemExit on SIGTERM inside the block (main thread only; restored after)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(_signum: int, _frame: Any) -> None:
        raise SystemExit(STOPPED_BY_SIGTERM)

    before = signal.signal(signal.SIGTERM, stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, before)


def summary_result(summary: TrainSummary) -> dict[str, Any]:
    """The JSON-safe outcome stored on the job row."""
    return {
        "run_id": summary.run_id,
        "version": summary.version,
        "promoted": summary.promoted,
        "reasons": summary.reasons,
        "metrics": {k: v for k, v in summary.metrics.items() if v == v},
        "split": {"train": list(summary.split.train), "test": summary.split.test},
        "snapshot_id": summary.snapshot,
    }


def run_job(database: Database, job_id: int, train: Callable[[], TrainSummary]) -> bool:
    """Claim job `job_id`, run `train`, store the result; False if the job was not queued.

    A job stopped by Ctrl-C or SIGTERM (`kill <pid>`) is recorded as failed too, never left
    running: SIGTERM is turned into SystemExit while the job runs (in the main thread).
    """
    with session_scope(database) as session:
        if not repo.claim_job(session, job_id, os.getpid()):
            return False
    try:
        with _sigterm_exits():
            summary = train()
    except BaseException as exc:  # any failure or interruption is recorded, then raised
        with session_scope(database) as session:
            repo.finish_job(session, job_id, "failed", _failure(exc)[:2000], None)
        record_job_outcome("retrain", "failed")
        raise
    verdict = "promoted to champion" if summary.promoted else "not promoted"
    with session_scope(database) as session:
        message = f"version {summary.version} {verdict}"
        repo.finish_job(session, job_id, "succeeded", message, summary_result(summary))
    record_job_outcome("retrain", "succeeded")
    return True
