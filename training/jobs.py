"""Run one queued retraining job and record its outcome in `model_jobs`."""

from __future__ import annotations

import os
import traceback
from collections.abc import Callable
from typing import Any

from service.db import Database
from service.db import session_scope
from service.db.repositories import risk as repo
from service.ops.metrics import record_job_outcome
from training.pipeline import TrainSummary


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
    """Claim job `job_id`, run `train`, store the result; False if the job was not queued."""
    with session_scope(database) as session:
        if not repo.claim_job(session, job_id, os.getpid()):
            return False
    try:
        summary = train()
    except Exception as exc:  # noqa: BLE001 - any failure is recorded on the job, then raised
        with session_scope(database) as session:
            detail = "".join(traceback.format_exception_only(exc)).strip()
            repo.finish_job(session, job_id, "failed", detail[:2000], None)
        record_job_outcome("retrain", "failed")
        raise
    verdict = "promoted to champion" if summary.promoted else "not promoted"
    with session_scope(database) as session:
        message = f"version {summary.version} {verdict}"
        repo.finish_job(session, job_id, "succeeded", message, summary_result(summary))
    record_job_outcome("retrain", "succeeded")
    return True
