"""Servers on loopback for the benchmarks: start, wait until they answer, load them with wrk, stop.

Also the installation they serve: `build_sample` seeds, trains and scores one.

Every server runs in its own process group so that stopping it also stops its workers (gunicorn
and uvicorn fork them); `running` stops the group even when the benchmark fails half-way.
`wrk_figures` turns wrk's `--latency` report into numbers (milliseconds, requests per second).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
VENV_BIN = Path(sys.executable).parent
WRK_TIMEOUT_S = 30.0
CONNECT_CHECK_S = 0.5  # wrk has connected, and the workers accepted, by then
HELD_LOOKS = 5  # counts of the connections held, the fullest kept (`held_connections`)
THREADS = 2  # per gunicorn worker, as service.server.THREADS_PER_WORKER
_UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


SAMPLE_CODE = """
import sys
from pathlib import Path
from training.sample import build_sample
from training.score import score_all
sample = build_sample(Path(sys.argv[1]), int(sys.argv[2]))
score_all(sample.database_url, sample.tracking_uri, sample.models_dir)
"""


def build_sample(directory: Path, employees: int) -> None:
    """Seed, train and batch-score an installation, as `kinerja demo` prepares one.

    In a child process, so its memory stays there.
    """
    code = SAMPLE_CODE
    subprocess.run(
        [sys.executable, "-c", code, str(directory), str(employees)],
        check=True,
        cwd=ROOT,
        env=environment(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def sample_copy(source: Path | None, target: Path, employees: int) -> Path:
    """A sample of our own at `target`: a copy of `source` (benchmarks add logins and rows;
    MLflow's artefacts stay where they are), or a new one of `employees` employees."""
    if source is None:
        build_sample(target, employees)
    else:
        shutil.copytree(source, target)
    return target


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def environment(**overrides: str) -> dict[str, str]:
    """This environment with the virtualenv's bin first (uvicorn, gunicorn) and `overrides`."""
    env = dict(os.environ)
    env["PATH"] = f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}"
    env["PYTHONPATH"] = str(ROOT)
    env.update(overrides)
    return env


def gunicorn_command(
    app: str, port: int, workers: int, chdir: Path, worker_connections: int | None = None
) -> list[str]:
    """Gunicorn as `kinerja serve` runs it (gthread, 2 threads per worker) for another app.

    `worker_connections` as `kinerja serve --worker-connections` passes it (None: gunicorn's
    default); see `balanced_connections`.
    """
    command = [
        sys.executable, "-m", "gunicorn", "--workers", str(workers),
        "--worker-class", "gthread", "--threads", str(THREADS),
        "--bind", f"127.0.0.1:{port}", "--chdir", str(chdir),
    ]  # fmt: skip
    if worker_connections:
        command += ["--worker-connections", str(worker_connections)]
    return [*command, app]


def balanced_connections(connections: int, workers: int) -> int:
    """Gunicorn's `worker_connections` that spreads wrk's keep-alive connections over the
    workers: each worker's share (connections / workers, rounded up) + its threads.

    A gthread worker accepts while it holds fewer than `worker_connections` connections
    (gunicorn/workers/gthread.py, `ThreadWorker.run`), 1,000 by default: whichever worker
    wakes first may take most of wrk's connections, all opened at once and kept for the run
    (measured: 13/3 and 16/0), and serve them alone while the other idles. The cap cannot
    be the share alone: a worker also closes a response's connection once
    `worker_connections - threads` others wait idle in its keep-alive poller (`handle_request`),
    and at 8 it closed 6.5 % of them, so wrk reconnected all the time. Share + threads
    closes none and leaves at worst 10/6 of 16, both above the threads (both workers busy);
    in the runs measured it was 8/8.
    """
    return -(-connections // workers) + THREADS


@contextmanager
def running(command: list[str], env: dict[str, str], log: Path) -> Iterator[subprocess.Popen]:
    """Run `command` in its own process group (output to `log`); stop the group on exit."""
    with log.open("wb") as output:
        process = subprocess.Popen(
            command,
            env=env,
            cwd=ROOT,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        yield process
    finally:
        stop(process)


def stop(process: subprocess.Popen) -> None:
    """SIGTERM the process group, SIGKILL it after 20 s if it has not gone."""
    for sig, grace in ((signal.SIGTERM, 20.0), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(timeout=grace)
            _reap_group(process.pid)
            return
        except subprocess.TimeoutExpired:
            continue


def _reap_group(pgid: int) -> None:
    """Kill what is left of the group (workers outliving their arbiter)."""
    try:
        os.killpg(pgid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def process_cpu_seconds(pgid: int) -> dict[int, float]:
    """CPU seconds (user + system) used so far by each live process of group `pgid`, by pid.

    Read from /proc (Linux; empty elsewhere): on a shared machine the servers' CPU time per
    request is a steadier figure than their requests per second.
    """
    tick = os.sysconf("SC_CLK_TCK")
    used = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rpartition(")")[2].split()
        except OSError:
            continue  # the process ended while we looked
        if int(fields[2]) == pgid:  # fields after the name: state, ppid, pgrp, ...
            used[int(stat.parent.name)] = (int(fields[11]) + int(fields[12])) / tick
    return used


def group_usage(pgid: int) -> dict[str, float]:
    """User and system CPU seconds and minor page faults of the live processes of `pgid`.

    The split says why a run's CPU per request differs from another's: a server that pays
    more system time and faults per request is fighting for memory (after a large training
    run freed gigabytes, say), one that pays more user time is doing more work.
    """
    tick = os.sysconf("SC_CLK_TCK")
    usage = {"user": 0.0, "system": 0.0, "minor_faults": 0.0}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rpartition(")")[2].split()
        except OSError:
            continue
        if int(fields[2]) == pgid:
            usage["minor_faults"] += int(fields[7])
            usage["user"] += int(fields[11]) / tick
            usage["system"] += int(fields[12]) / tick
    return usage


def machine_steal_seconds() -> float:
    """CPU seconds the hypervisor gave to other guests, summed over this machine's cores."""
    try:
        fields = Path("/proc/stat").read_text().splitlines()[0].split()
    except OSError:
        return 0.0
    return int(fields[8]) / os.sysconf("SC_CLK_TCK") if len(fields) > 8 else 0.0


def held_connections(pgid: int, port: int, workers: int) -> list[int]:
    """How many established connections to `port` each process of group `pgid` holds: the
    `workers` largest counts, most first (wrk's 16 over 2 workers: [8, 8] when even).

    The fullest of `HELD_LOOKS` counts 10 ms apart: one count can miss a connection that wrk is
    reopening after the server closed it (seen: [4, 3] of 8), which is not a worker
    holding fewer.
    """
    counts = []
    for look in range(HELD_LOOKS):
        if look:
            time.sleep(0.01)
        counts.append(_held_now(pgid, port, workers))
    return max(counts, key=sum)


def _held_now(pgid: int, port: int, workers: int) -> list[int]:
    sockets = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()  # sl, local, remote, state, ..., inode (the tenth)
        if int(fields[1].rsplit(":", 1)[1], 16) == port and fields[3] == "01":
            sockets.add(f"socket:[{fields[9]}]")
    counts = []
    for pid in process_cpu_seconds(pgid):
        try:
            links = {os.readlink(fd) for fd in Path(f"/proc/{pid}/fd").iterdir()}
        except OSError:
            continue  # ended, or a descriptor closed while we looked
        counts.append(len(links & sockets))
    return sorted(counts, reverse=True)[:workers]


def cpu_figures(
    before: dict[int, float], after: dict[int, float], requests: int, workers: int
) -> dict[str, Any]:
    """The server's CPU during a run: milliseconds per request (every process of its group),
    the CPU seconds of its `workers` busiest processes (its workers: an arbiter or a
    launcher hardly runs), and their balance, the least of them over the most (1.0: even).
    """
    spent = {pid: used - before.get(pid, 0.0) for pid, used in after.items()}
    busiest = sorted(spent.values(), reverse=True)[:workers]
    return {
        "server_cpu_ms": round(sum(spent.values()) * 1000 / requests, 3) if requests else None,
        "worker_cpu_s": [round(seconds, 2) for seconds in busiest],
        "worker_balance": round(busiest[-1] / busiest[0], 2) if busiest and busiest[0] else None,
    }


def wait_until_answers(
    url: str, process: subprocess.Popen, timeout: float = 120.0, log: Path | None = None
) -> float:
    """Poll `url` until it answers 200; return the seconds waited. Fails if the server exits.

    `log`, the server's output, is quoted (its last lines) in the error, so a start that
    hangs or fails says why in the benchmark's report.
    """
    began = time.perf_counter()
    while time.perf_counter() - began < timeout:
        if process.poll() is not None:
            raise RuntimeError(
                f"the server for {url} exited with code {process.returncode}{_tail(log)}"
            )
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return time.perf_counter() - began
        except OSError:  # refused, reset, or an HTTP error status
            pass
        time.sleep(0.05)
    raise RuntimeError(f"{url} did not answer within {timeout:.0f} s{_tail(log)}")


def _tail(log: Path | None, lines: int = 15) -> str:
    """The last lines of a server's output, for an error message ('' without one)."""
    if log is None or not log.exists():
        return ""
    text = log.read_text(errors="replace").splitlines()[-lines:]
    return "; its output ended with:\n" + "\n".join(text)


def wait_until_loaded(url: str, timeout: float = 120.0, in_a_row: int = 20) -> float:
    """Poll `/readyz` until `in_a_row` answers in a row report no model `loading`.

    Workers load their models in the background after boot; a measurement that starts
    before that would charge the load's CPU to its first requests. Answers come from any
    worker, so several in a row stand for all of them. Returns the seconds waited.
    """
    began, loaded = time.perf_counter(), 0
    while loaded < in_a_row:
        if time.perf_counter() - began > timeout:
            raise RuntimeError(f"{url} still reports a model loading after {timeout:.0f} s")
        with urllib.request.urlopen(url, timeout=5) as response:
            models = json.load(response).get("models", {}).get("models", {})
        busy = any(isinstance(m, dict) and m.get("loading") for m in models.values())
        loaded = 0 if busy else loaded + 1
        time.sleep(0.02 if not busy else 0.1)
    return time.perf_counter() - began


def measure_and_print(
    name: str,
    measure: Callable[[Any, Path], dict[str, Any]],
    show: Callable[[dict[str, Any]], None],
    args: Any,
) -> None:
    """Run `measure(args, workdir)` in a temporary directory, show the figures, then print
    them as one JSON line (the last line of the output, which bench/run.py reads)."""
    with tempfile.TemporaryDirectory(prefix=f"kinerja-{name}-") as tmp:
        results = measure(args, Path(tmp))
    show(results)
    print(json.dumps({"benchmark": name, **results}))


def wrk_figures(output: str) -> dict[str, Any]:
    """Requests/s, p50/p90/p99 (ms), request and error counts from `wrk --latency` output."""

    def latency(percent: int) -> float | None:
        match = re.search(rf"^\s+{percent}%\s+([\d.]+)(us|ms|s|m)\s*$", output, re.MULTILINE)
        return float(match.group(1)) * _UNITS_MS[match.group(2)] if match else None

    rps = re.search(r"^Requests/sec:\s+([\d.]+)", output, re.MULTILINE)
    total = re.search(r"^\s+(\d+) requests in ([\d.]+)(us|ms|s|m)", output, re.MULTILINE)
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    socket_errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    return {
        "rps": float(rps.group(1)) if rps else None,
        "p50_ms": latency(50),
        "p90_ms": latency(90),
        "p99_ms": latency(99),
        "requests": int(total.group(1)) if total else 0,
        "duration_s": float(total.group(2)) * _UNITS_MS[total.group(3)] / 1000 if total else None,
        "non_2xx": int(non_2xx.group(1)) if non_2xx else 0,
        "socket_errors": sum(map(int, socket_errors.groups())) if socket_errors else 0,
    }


def run_wrk(
    url: str,
    connections: int,
    seconds: float,
    script: Path | None = None,
    script_args: list[str] | None = None,
    headers: dict[str, str] | None = None,
    server: tuple[int, int] | None = None,
    spread: Spread | None = None,
) -> dict[str, Any]:
    """Load `url` with wrk (2 threads) and return `wrk_figures` of its report.

    With `server` (the process group serving `url`, its number of workers), also the
    server's `cpu_figures` and the connections each worker holds half-way through the run
    (`held_connections`): whether the load really fell on every worker. With `spread` as
    well, wrk is stopped and started again while its connections are not spread (`Spread`).
    """
    command = ["wrk", "-t", "2", "-c", str(connections), "-d", f"{seconds:g}s", "--latency"]
    command += ["--timeout", f"{WRK_TIMEOUT_S:g}s"]  # slow answers are measured, not dropped
    for name, value in (headers or {}).items():
        command += ["-H", f"{name}: {value}"]
    if script is not None:
        command += ["-s", str(script)]
    command.append(url)
    if script_args:
        command += ["--", *script_args]
    if server is None:
        return wrk_figures(_wrk_output(_start_wrk(command), seconds))
    pgid, workers = server
    held = partial(held_connections, pgid, urlsplit(url).port or 80, workers)
    wrk, before, rejected = _spread_start(command, pgid, held, spread)
    time.sleep(max(0.0, seconds / 2 - wrk.elapsed()))
    half_way = held()
    figures = wrk_figures(_wrk_output(wrk.process, seconds))
    figures |= cpu_figures(before, process_cpu_seconds(pgid), figures["requests"], workers)
    return {**figures, "worker_connections_held": half_way, "rejected_spreads": rejected}


@dataclass(frozen=True)
class Spread:
    """When to start wrk again: its connections, read `CONNECT_CHECK_S` after it starts, fail
    `accept` (the connections each worker holds, most first); `restarts` times at most.

    For a server with no cap on a worker's connections (uvicorn: an asyncio worker accepts
    every connection waiting when it wakes), whose spread is otherwise left to chance.
    """

    accept: Callable[[list[int]], bool]
    restarts: int


@dataclass(frozen=True)
class _Started:
    process: subprocess.Popen[str]
    began: float

    def elapsed(self) -> float:
        return time.monotonic() - self.began


def _spread_start(
    command: list[str], pgid: int, held: Callable[[], list[int]], spread: Spread | None
) -> tuple[_Started, dict[int, float], list[list[int]]]:
    """wrk started (again, while `spread` rejects its connections' spread), the server's
    CPU just before its last start, and the spreads rejected."""
    rejected: list[list[int]] = []
    while True:
        before = process_cpu_seconds(pgid)
        wrk = _Started(_start_wrk(command), time.monotonic())
        if spread is None or len(rejected) >= spread.restarts:
            return wrk, before, rejected
        time.sleep(CONNECT_CHECK_S)
        if spread.accept(holding := held()):
            return wrk, before, rejected
        wrk.process.kill()
        wrk.process.communicate()
        rejected.append(holding)
        wait_until_idle(pgid)  # the requests it had are finished before the next count


def wait_until_idle(pgid: int, timeout: float = 5.0) -> None:
    """Wait until the processes of group `pgid` use less than a tenth of a core."""
    deadline, used = time.monotonic() + timeout, sum(process_cpu_seconds(pgid).values())
    while time.monotonic() < deadline:
        time.sleep(0.1)
        used, before = sum(process_cpu_seconds(pgid).values()), used
        if used - before < 0.01:
            return


def _start_wrk(command: list[str]) -> subprocess.Popen[str]:
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _wrk_output(wrk: subprocess.Popen[str], seconds: float) -> str:
    """Wait for wrk (stopping it if that fails) and return its report."""
    try:
        out, err = wrk.communicate(timeout=seconds + 60)
    except BaseException:
        wrk.kill()
        wrk.communicate()
        raise
    if wrk.returncode != 0:
        raise RuntimeError(f"wrk failed ({wrk.returncode}): {err.strip()}")
    return out
