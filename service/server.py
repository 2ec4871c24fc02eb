"""Production server: gunicorn's pre-fork arbiter running inside the `kinerja serve` process.

Workers are children of this process; the arbiter replaces a worker that dies. Each worker
gets OMP_NUM_THREADS=1 unless set, because several workers each starting one OpenMP thread
per core fight over 2 cores during model inference.
"""

from __future__ import annotations

import os
from typing import Any

from gunicorn.app.base import BaseApplication

from service.ops.metrics import prepare_multiprocess_dir
from service.ops.metrics import worker_exited


def default_workers() -> int:
    """One worker per core, and never fewer than two."""
    return max(2, os.cpu_count() or 2)


class KinerjaServer(BaseApplication):  # type: ignore[misc]
    """Gunicorn application that builds the Flask app in each worker after fork."""

    def __init__(self, options: dict[str, Any]) -> None:
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        from service import create_app

        return create_app()


def serve(host: str, port: int, workers: int | None = None, threads: int = 4) -> None:
    """Run the pre-fork server until interrupted."""
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    prepare_multiprocess_dir()  # before forking: workers share Prometheus values through files
    options = {
        "bind": f"{host}:{port}",
        "workers": workers or default_workers(),
        "threads": threads,
        "worker_class": "gthread",
        "timeout": 60,
        "graceful_timeout": 20,
        "accesslog": "-",
        "preload_app": False,
        "child_exit": worker_exited,
    }
    KinerjaServer(options).run()
