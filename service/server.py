"""Production server: gunicorn's pre-fork arbiter running inside the `kinerja serve` process.

Workers are children of this process; the arbiter replaces a worker that dies. Settings, each
for the per-request cost on 2 cores:

- OMP_NUM_THREADS=1 unless set: several workers each starting one OpenMP thread per core
  fight over the cores during model inference.
- 2 threads per worker (gthread): enough to overlap one request's database wait with another's
  work; more threads in one process only queue on its GIL, and a thread that holds SQLite's
  writer queue then waits for the GIL while every writer waits for it (tail latency).
- A GIL switch interval of 1 ms instead of 5 ms in each worker, for the same reason: a thread
  that finished its SQLite statement gets the GIL back, and frees the writer queue, sooner.
- No gunicorn access log: `service.ops.logging` already writes one JSON line per request
  with its request id; a second line per request in another format only costs CPU.
  Gunicorn's own lines (workers booted, timed out or killed, signals, a port it cannot
  bind) go to the same JSON lines (`JsonLogger`): its text format wants the process id,
  which `service.ops.logging` leaves out of records, so each of them was a logging error.
- The app is built once, in the arbiter, before the workers fork (`preload_app`): the
  imports and `create_app` are paid once instead of once per worker (on 2 cores with 2
  workers that halves the CPU of a start, and the workers share those pages), and the
  schema's head revision (Alembic) is read there too, for every worker's `/readyz`.
  Nothing connects to the database or starts a thread before the fork (each worker's
  engine is disposed of after it anyway); the price is that a HUP reloads settings, not
  code: deploy new code with a restart.
- No gunicorn control socket (gunicorn 25.1+ opens one for `gunicornc` by default, at one
  path per user: `$XDG_RUNTIME_DIR/gunicorn.ctl` or `~/.gunicorn/gunicorn.ctl`): a second
  instance on the host took the first one's path over, and whichever stopped first removed
  the other's socket. Kinerja is run with signals (HUP, TERM), not through that socket.
- `gc.freeze()` once the app is built, before the fork: the few hundred thousand objects of
  the imports (Flask, SQLAlchemy, pydantic, numpy) move out of the collector's reach, so a
  full collection no longer walks them all in the middle of some request, nor writes to
  (and so copies) the pages the workers share.
- WAL checkpoints from a background thread of each worker (`service.db.checkpoints`), not
  inside the commit of whichever request crossed the threshold.
- The served models start loading in a background thread of each worker as soon as it is
  up (`ModelProvider.start`): the worker answers meanwhile (`/readyz` says `loading`), and the
  first risk read that a stored score answers does not wait for the trees.
- `worker_connections` (gunicorn's, default 1,000) only when asked for (`kinerja serve
  --worker-connections N`): a gthread worker accepts while it holds fewer connections than
  that, so with the default whichever worker wakes first may take most of a burst of
  persistent connections (a proxy's upstream keep-alive pool, a load generator) and serve
  them alone while the other idles (measured with 16: 13/3 and 16/0). N = the pool's share
  per worker + the threads (`spread_connections`) keeps every worker busy. Not lower: a
  worker closes a response's connection once N - threads others wait idle in its poller,
  so the client reconnects (at the share alone, 6.5 % of responses), and beyond N a client
  waits in the backlog, also while an idle keep-alive connection holds a place (up to 2 s).
  The default stays: many independent clients spread by themselves.
"""

from __future__ import annotations

import gc
import math
import os
import sys
from pathlib import Path
from typing import Any

from gunicorn.app.base import BaseApplication
from gunicorn.glogging import Logger

from service.config import ConfigError
from service.ops.metrics import prepare_multiprocess_dir
from service.ops.metrics import worker_exited

THREADS_PER_WORKER = 2
SWITCH_INTERVAL_S = 0.001
PRELOAD_APP = True
#: Settings of gunicorn releases newer than the oldest that pyproject.toml allows (25.1).
NEWER_SETTINGS = frozenset({"control_socket_disable"})


def spread_connections(clients: int, workers: int, threads: int = THREADS_PER_WORKER) -> int:
    """The `worker_connections` that spreads `clients` persistent connections over the
    workers with none closed by gunicorn: each worker's share, rounded up, + its threads."""
    return -(-clients // workers) + threads


CGROUP_DIR = Path("/sys/fs/cgroup")


def default_workers(cgroup: Path = CGROUP_DIR) -> int:
    """One worker per core this process may use, and never fewer than two."""
    return max(2, available_cpus(cgroup))


def available_cpus(cgroup: Path = CGROUP_DIR) -> int:
    """The cores this process may run on (its CPU affinity), capped by a container's CPU
    quota (cgroup v2 `cpu.max`, v1 `cpu.cfs_quota_us`), rounded up. `os.cpu_count()` is the
    host's: a container limited to 2 CPUs on a 64-core node started 64 workers, each with
    its own models in memory, and was killed for its memory."""
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    quota = _cgroup_quota(cgroup)
    return max(1, min(cpus or 1, math.ceil(quota)) if quota else (cpus or 1))


def _cgroup_quota(cgroup: Path) -> float | None:
    """The CPU quota in cores, or None when there is none (or no cgroup to read)."""
    try:
        if (cgroup / "cpu.max").is_file():
            quota, period = (cgroup / "cpu.max").read_text().split()[:2]
            return None if quota == "max" else int(quota) / int(period)
        quota = int((cgroup / "cpu" / "cpu.cfs_quota_us").read_text())
        period = int((cgroup / "cpu" / "cpu.cfs_period_us").read_text())
    except (OSError, ValueError):
        return None
    return quota / period if quota > 0 and period > 0 else None


class JsonLogger(Logger):  # type: ignore[misc]
    """Gunicorn's logger with its error log handed to the root logger's JSON lines."""

    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        own = self._get_gunicorn_handler(self.error_log)
        if own is not None:
            self.error_log.removeHandler(own)
        self.error_log.propagate = True


class KinerjaServer(BaseApplication):  # type: ignore[misc]
    """Gunicorn application that builds the Flask app (in the arbiter when preloading)."""

    def __init__(self, options: dict[str, Any]) -> None:
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            if key in NEWER_SETTINGS and key not in self.cfg.settings:
                continue  # a gunicorn older than the setting (pyproject allows >= 23)
            self.cfg.set(key, value)

    def load(self) -> Any:
        from service import create_app
        from service.db.migrate import head_revision

        app = create_app()
        head_revision()  # cached: read once here rather than by each worker's first /readyz
        gc.collect()
        gc.freeze()
        return app


def worker_ready(worker: Any) -> None:
    """Gunicorn `post_worker_init` hook: per-worker settings once its app is built."""
    from service.db.checkpoints import start_checkpointer

    sys.setswitchinterval(SWITCH_INTERVAL_S)
    gc.collect()  # what this worker made since the fork; the arbiter froze the rest
    gc.freeze()
    engine = worker.wsgi.extensions["db"].engine
    engine.dispose(close=False)  # connections are never shared with the arbiter or a sibling
    start_checkpointer(engine)
    worker.wsgi.extensions["models"].start()


def serve(
    host: str,
    port: int,
    workers: int | None = None,
    threads: int = THREADS_PER_WORKER,
    worker_connections: int | None = None,
) -> None:
    """Run the pre-fork server until interrupted (`worker_connections` None: gunicorn's)."""
    if worker_connections is not None and worker_connections <= threads:
        raise ConfigError(
            f"--worker-connections {worker_connections} leaves no keep-alive: it must exceed "
            f"the {threads} threads per worker (see `spread_connections`)"
        )
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    prepare_multiprocess_dir()  # before forking: workers share Prometheus values through files
    KinerjaServer(server_options(host, port, workers, threads, worker_connections)).run()


def _bracketed(host: str) -> str:
    """An IPv6 address in brackets, as gunicorn's bind needs it (`[::]:8000`)."""
    return f"[{host}]" if ":" in host and not host.startswith("[") else host


def server_options(
    host: str,
    port: int,
    workers: int | None = None,
    threads: int = THREADS_PER_WORKER,
    worker_connections: int | None = None,
) -> dict[str, Any]:
    """Gunicorn's settings for `serve`."""
    options = {
        "bind": f"{_bracketed(host)}:{port}",
        "workers": workers or default_workers(),
        "threads": threads,
        "worker_class": "gthread",
        "timeout": 60,
        "graceful_timeout": 20,
        "accesslog": None,
        "logger_class": JsonLogger,
        "control_socket_disable": True,
        "preload_app": PRELOAD_APP,
        "post_worker_init": worker_ready,
        "child_exit": worker_exited,
    }
    if worker_connections is not None:
        options["worker_connections"] = worker_connections
    return options
