"""Start a retraining job outside the web workers: a detached `kinerja train --job-id N`.

The web request only writes the `model_jobs` row and spawns the process; the process claims
the row (queued -> running), trains, and records the outcome. `kinerja retrain-schedule` picks
up any job still queued (for example when spawning is turned off with RISK_JOBS_SPAWN=0).
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from service.serving.loader import APPLIED_HTTP_LIMITS

#: Started job processes, kept so they can be reaped (no zombies, no ResourceWarning).
_CHILDREN: list[subprocess.Popen[bytes]] = []
#: Configuration handed to the job process, so it trains on the app's own stores.
JOB_ENV_KEYS = (
    "DATABASE_URL", "MLFLOW_TRACKING_URI", "KINERJA_MODELS_DIR", "KINERJA_HOME",
    "RISK_GATE_MAX_ECE", "RISK_GATE_MAX_TPR_GAP", "RISK_GATE_UNMEASURED_FAIRNESS",
    "RISK_TRAIN_MAX_EMPLOYEES", "RISK_TRAIN_SAMPLE_SEED", "RISK_TRAIN_COMPARE_SIGNALS",
)  # fmt: skip


def job_environment(config: Mapping[str, Any]) -> dict[str, str]:
    """The job's environment: this process's, the app's stores, minus our MLflow waits.

    The serving code shortens MLflow's HTTP waits for itself (`bound_http_waits`); a
    training run keeps MLflow's patient defaults, so it can wait out a server restart.
    """
    inherited = {k: v for k, v in os.environ.items() if APPLIED_HTTP_LIMITS.get(k) != v}
    env = {**inherited, **{key: str(config[key]) for key in JOB_ENV_KEYS if config.get(key)}}
    env.setdefault("KINERJA_ENV", "demo")
    return env


def spawn_train(job_id: int, config: Mapping[str, Any]) -> int:
    """Spawn `kinerja train --job-id N` in its own session; return its pid."""
    env = job_environment(config)
    logs = Path(config["KINERJA_HOME"]) / "jobs"
    logs.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "-c", "from service.cli import main; main()"]
    with (logs / f"job-{job_id}.log").open("ab") as log:
        process = subprocess.Popen(
            [*command, "train", "--job-id", str(job_id)],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,
        )
    _CHILDREN[:] = [child for child in _CHILDREN if child.poll() is None]
    _CHILDREN.append(process)
    return process.pid


def reap(timeout: float = 0.0) -> int:
    """Collect finished job processes, waiting up to `timeout` s; return how many still run."""
    for child in _CHILDREN:
        try:
            child.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            pass
    _CHILDREN[:] = [child for child in _CHILDREN if child.poll() is None]
    return len(_CHILDREN)
