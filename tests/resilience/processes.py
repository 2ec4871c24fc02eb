"""Real processes on loopback for the resilience tests: `kinerja serve`, an MLflow server.

Each helper starts a process in its own session (so a kill -9 of the server can take its
workers with it), waits until it answers, and `stop` ends it with SIGTERM, then SIGKILL.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from service.serving.loader import SERVING_HTTP_LIMITS

BIN = Path(sys.executable).parent
SECRET = "resilience-test-secret-key-not-for-production"


def free_port() -> int:
    """A TCP port on loopback that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Answer:
    """One HTTP answer: status, headers and the JSON body (None when there is none)."""

    status: int
    headers: dict[str, str]
    body: Any


def call(
    method: str,
    url: str,
    body: Any = None,
    headers: dict[str, str] | None = None,
    timeout: float = 30,
) -> Answer:
    """Send one request; HTTP errors are answers too (connection errors raise OSError)."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    if data is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return Answer(response.status, dict(response.headers), _json(response.read()))
    except urllib.error.HTTPError as error:
        with error:
            return Answer(error.code, dict(error.headers), _json(error.read()))


def _json(raw: bytes) -> Any:
    try:
        return json.loads(raw) if raw else None
    except ValueError:
        return raw.decode(errors="replace")


def wait_until(check: Callable[[], bool], seconds: float, what: str, pause: float = 0.2) -> None:
    """Poll `check` until it is true; fail naming `what` after `seconds`."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except OSError:
            pass
        time.sleep(pause)
    raise AssertionError(f"{what} did not happen within {seconds} s")


def answers(url: str) -> bool:
    """Whether `url` answers at all (any status)."""
    try:
        call("GET", url, timeout=5)
    except OSError:
        return False
    return True


@dataclass
class Served:
    """A started server process and its base URL."""

    process: subprocess.Popen[bytes]
    url: str
    log: Path

    def stop(self, timeout: float = 30) -> None:
        """End the server (SIGTERM, then SIGKILL) and reap it."""
        stop(self.process, timeout)

    def workers(self) -> list[int]:
        """The pids of the server's child processes (gunicorn's workers), from /proc."""
        found = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:  # the process ended meanwhile
                continue
            if int(fields[1]) == self.process.pid:
                found.append(int(stat.parent.name))
        return found

    def kill(self) -> None:
        """kill -9 the server and all its workers (the process group), as a crash would."""
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.process.wait(timeout=30)


def stop(process: subprocess.Popen[bytes], timeout: float = 30) -> None:
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=timeout)


def _start(command: list[str], env: dict[str, str], cwd: Path, log: Path) -> subprocess.Popen:
    with log.open("ab") as output:
        return subprocess.Popen(
            command,
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def serve_env(home: Path, database_url: str, tracking_uri: str, **extra: str) -> dict[str, str]:
    """The environment of a production `kinerja serve` on these stores."""
    env = {
        **os.environ,
        "KINERJA_ENV": "production",
        "KINERJA_SECRET_KEY": SECRET,
        "KINERJA_HOME": str(home),
        "KINERJA_MODELS_DIR": str(home / "models"),
        "DATABASE_URL": database_url,
        "MLFLOW_TRACKING_URI": tracking_uri,
        **extra,
    }
    # What this test process may have set for itself; a server starts without it.
    for inherited in ("PROMETHEUS_MULTIPROC_DIR", *SERVING_HTTP_LIMITS):
        env.pop(inherited, None)
    return env


def start_serve(env: dict[str, str], workers: int = 2, port: int | None = None) -> Served:
    """Start `kinerja serve` with `env` and wait until /healthz answers."""
    home = Path(env["KINERJA_HOME"])
    port = port or free_port()
    command = [str(BIN / "kinerja"), "serve", "--port", str(port), "--workers", str(workers)]
    return _launch(command, env, home, port, "/healthz", 90)


def start_mlflow_server(directory: Path) -> Served:
    """An MLflow tracking server (SQLite backend, proxied artefact store) on a free port."""
    port = free_port()
    command = [
        str(BIN / "mlflow"), "server",
        "--backend-store-uri", f"sqlite:///{directory / 'mlflow.db'}",
        "--artifacts-destination", str(directory / "artifacts"),
        "--host", "127.0.0.1", "--port", str(port), "--workers", "1",
    ]  # fmt: skip
    return _launch(command, dict(os.environ), directory, port, "/health", 180)


def _launch(
    command: list[str], env: dict[str, str], home: Path, port: int, health: str, seconds: float
) -> Served:
    """Start `command` in `home` (its output in home/<program>.log); wait for `health`."""
    home.mkdir(parents=True, exist_ok=True)
    log = home / f"{Path(command[0]).name}.log"
    served = Served(_start(command, env, home, log), f"http://127.0.0.1:{port}", log)

    def up() -> bool:
        if served.process.poll() is not None:
            tail = served.log.read_text(errors="replace")[-3000:]
            raise AssertionError(f"{command} exited: {tail}")
        return answers(f"{served.url}{health}")

    try:
        wait_until(up, seconds, f"{served.url}{health} answering")
    except AssertionError:
        served.stop()
        raise
    return served
