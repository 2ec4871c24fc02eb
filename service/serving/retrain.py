"""Start a queued retrain job from a request, as the API and the pages both do."""

from __future__ import annotations

from flask import current_app

from service.serving.jobs import spawn_train


def launch_retrain(job_id: int) -> None:
    """Spawn `kinerja train --job-id N` for a committed job (unless RISK_JOBS_SPAWN is off).

    With spawning off the job stays queued for `kinerja retrain-schedule` to run.
    """
    if current_app.config.get("RISK_JOBS_SPAWN", True):
        spawn_train(job_id, current_app.config)
