"""Run one queued retraining job and record its outcome in `model_jobs`."""

from __future__ import annotations

import os
import signal
import socket
import threading
import traceback
from collections.abc import Callable
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from service.db import Database
from service.db import session_scope
from service.db.repositories import risk as repo
from service.ops.metrics import record_job_outcome
from training.pipeline import TrainSummary

#: Exit status of a job process stopped by SIGTERM (128 + 15, as a shell reports it).
STOPPED_BY_SIGTERM = 143


def _running_on(pid: int) -> str:
    return f"running on {socket.gethostname()} (pid {pid})"


def claim(database: Database, job_id: int, pid: int) -> bool:
    """Move queued job `job_id` to running for process `pid` of this host; False if taken.

    The message names the host and pid, so `fail_abandoned` on the same host can tell when
    the process is gone.
    """
    with session_scope(database) as session:
        return repo.claim_job(session, job_id, pid, _running_on(pid))


def _alive(pid: int) -> bool:
    """Whether process `pid` exists here and is not a zombie (ended, not yet reaped)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat.rsplit(")", 1)[-1].split()[0] != "Z"


def fail_abandoned(database: Database) -> list[int]:
    """Record as failed the running jobs of this host whose process has ended.

    A process killed outright (the kernel's out-of-memory killer, `kill -9`) cannot record
    its own end; without this its job would stay running forever. Jobs claimed on another
    host are left alone (their pid means nothing here).
    """
    failed = []
    with session_scope(database) as session:
        for job_id, pid, message in repo.running_jobs(session):
            if pid is None or message != _running_on(pid) or _alive(pid):
                continue
            detail = (
                f"the job's process (pid {pid} on {socket.gethostname()}) ended without "
                "recording an outcome: killed (out of memory, kill -9) or crashed"
            )
            repo.finish_job(session, job_id, "failed", detail, None)
            failed.append(job_id)
    for _ in failed:
        record_job_outcome("retrain", "failed")
    return failed


class PromotedButNotScored(RuntimeError):
    """The run promoted a new champion, then scoring everyone with it failed.

    The champion has moved all the same, so the job's record and the command's output say
    both: the promotion, and the re-score's failure with its reason.
    """

    def __init__(self, summary: TrainSummary, cause: BaseException) -> None:
        self.summary = summary
        self.reason = _failure(cause)
        super().__init__(
            f"kinerja-risk version {summary.version} promoted to champion, but the re-score "
            f"after the promotion failed: {self.reason}. Run `kinerja score` to store the "
            "new champion's scores."
        )


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
    running: SIGTERM is turned into SystemExit while the job runs (in the main thread). A
    job whose `train` raised `PromotedButNotScored` is failed with a message that names the
    promoted version, and its result is the training's, with `rescore_error`.
    """
    if not claim(database, job_id, os.getpid()):
        return False
    try:
        with _sigterm_exits():
            summary = train()
    except BaseException as exc:  # any failure or interruption is recorded, then raised
        message, result = _failure(exc), None
        if isinstance(exc, PromotedButNotScored):
            message = str(exc)
            result = {**summary_result(exc.summary), "rescore_error": exc.reason[:2000]}
        with session_scope(database) as session:
            repo.finish_job(session, job_id, "failed", message[:2000], result)
        record_job_outcome("retrain", "failed")
        raise
    verdict = "promoted to champion" if summary.promoted else "not promoted"
    with session_scope(database) as session:
        message = f"version {summary.version} {verdict}"
        repo.finish_job(session, job_id, "succeeded", message, summary_result(summary))
    record_job_outcome("retrain", "succeeded")
    return True
