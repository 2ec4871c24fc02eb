"""One `score_all` run of `bench/score.py`, in a process of its own: its CPU and memory by process.

    python bench/score_child.py DIR CHUNK THREADS DRIVERS WORKERS MODE SHARE [URL]

Scores the installation in DIR (its model; the database at URL, by default DIR's
kinerja.db) over the first SHARE of its id ranges (MODE: `full`, `incremental`, or
`previous`: the period before the latest, in full, as it was scored before the latest
period's rows came) (1: all of them; 0.5 the
first half, a smaller run on the same database with every worker started), then prints one
JSON line: the run's summary, the CPU-seconds of this process (the parent: imports, model
load, listing the ids, handing out ranges; not the thread that watches the children) and of
its children (the workers), the load average as it ended, the CPU of
listing the ids (it covers every employee whatever SHARE is), and the peak RSS of the parent,
of each worker and of the other children (multiprocessing's resource tracker). A child's
peak is its VmHWM (the kernel's high-water mark, so the last reading is the peak), read every
100 ms while it lives; the parent's is its own VmHWM. Not `ru_maxrss`: the kernel carries a
process's peak over its exec, so a spawned worker's ru_maxrss is at least the RSS of the
process that forked it, the parent (the old `own + workers x largest child` counted the
parent up to three times, and two workers at 25,000 employees where one started).

On PostgreSQL the database's work runs in its backends, not in these processes, so their
CPU is read too (`database_cpu_seconds`): every 100 ms the watcher lists the backends
connected to the scored database (`pg_stat_activity`, from a connection to the admin
database, which is not counted) and keeps each one's latest user + system CPU from /proc
(the server runs on this machine). A backend's CPU after its last reading (under 100 ms,
as a worker closes its connections) is missed; the server's shared processes (WAL writer,
checkpointer) are not counted. On SQLite the database runs inside the workers: 0.
"""

from __future__ import annotations

import json
import os
import resource
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

from sqlalchemy.engine import make_url

from service.db import make_engine
from training.extract import employee_chunks
from training.score import score_all

SAMPLE_SECONDS = 0.1


def _children() -> list[int]:
    """This process's child pids, from every thread's /proc children list."""
    pids = []
    for task in Path("/proc/self/task").iterdir():
        try:
            pids += [int(pid) for pid in (task / "children").read_text().split()]
        except OSError:  # the thread ended while we looked
            continue
    return pids


def _hwm_mib(pid: int | str) -> float | None:
    """A process's VmHWM (peak RSS since its exec) in MiB; None once it has exited."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    peak = [line.split()[1] for line in status.splitlines() if line.startswith("VmHWM")]
    return int(peak[0]) / 1024 if peak else None  # a zombie has none


def _peak_mib(pid: int) -> tuple[str, float] | None:
    """(kind, VmHWM in MiB) of a live child: 'worker' or 'other'; None once it has exited."""
    try:
        command = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return None
    peak = _hwm_mib(pid)
    if not command or peak is None:  # exited: its last live reading stands
        return None
    return "worker" if b"spawn_main" in command else "other", peak


def _watch(
    peaks: dict[int, tuple[str, float]],
    spent: dict[str, float],
    backends: Callable[[], list[int]],
    served: dict[int, float],
) -> None:
    """Keep each child's latest VmHWM (a high-water mark: the last reading is its peak), each
    database backend's latest CPU (`backends`: their pids), and this thread's own CPU, which
    is the benchmark's and not the scoring's."""
    while True:
        for pid in _children():
            found = _peak_mib(pid)
            if found is not None:
                peaks[pid] = found
        for pid in backends():
            cpu = _process_cpu(pid)
            if cpu is not None:
                served[pid] = cpu
        spent["watch"] = time.thread_time()
        time.sleep(SAMPLE_SECONDS)


def _process_cpu(pid: int) -> float | None:
    """User + system CPU seconds of a local process so far; None once it has exited."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _backends_of(database_url: str) -> Callable[[], list[int]]:
    """A call listing the pids of the PostgreSQL backends connected to `database_url`'s
    database, asked over a connection of the watcher's own to the server's `postgres`
    database (none on SQLite)."""
    url = make_url(database_url)
    if url.get_backend_name() != "postgresql":
        return list
    import psycopg

    admin = url.set(database="postgres", drivername="postgresql")
    connection = psycopg.connect(admin.render_as_string(hide_password=False), autocommit=True)
    query = "SELECT pid FROM pg_stat_activity WHERE datname = %s"
    return lambda: [pid for (pid,) in connection.execute(query, (url.database,))]


def _cpu(who: int) -> float:
    used = resource.getrusage(who)
    return used.ru_utime + used.ru_stime


def _first_share(
    database_url: str, size: int, share: float, workers: int
) -> tuple[list[tuple[int, int]], float]:
    """The first `share` of the id ranges `kinerja score` lists in chunks of `size` (never
    fewer than `workers`), and the CPU-seconds of listing them (every employee's id)."""
    engine = make_engine(database_url)
    began = time.process_time()
    ranges = employee_chunks(engine, size)
    listing = time.process_time() - began
    engine.dispose()
    return ranges[: max(workers, round(len(ranges) * share))], listing


def _previous_period(database_url: str) -> str:
    """The period before the latest evaluated one."""
    from training.extract import read_axis

    engine = make_engine(database_url)
    axis = read_axis(engine)
    engine.dispose()
    return axis.code(axis.length - 2)


def main() -> None:
    directory, chunk, threads, drivers, workers, mode, share = sys.argv[1:8]
    database_url = sys.argv[8] if len(sys.argv) > 8 else f"sqlite:///{directory}/kinerja.db"
    processes = int(workers)
    peaks: dict[int, tuple[str, float]] = {}
    spent = {"watch": 0.0}
    served: dict[int, float] = {}
    watched = (peaks, spent, _backends_of(database_url), served)
    threading.Thread(target=_watch, args=watched, daemon=True).start()
    parent, children = _cpu(resource.RUSAGE_SELF), _cpu(resource.RUSAGE_CHILDREN)
    ranges, listing = _first_share(database_url, int(chunk), float(share), processes)
    summary = score_all(
        database_url, f"sqlite:///{directory}/mlflow.db", f"{directory}/models",
        explain=drivers, threads=int(threads), workers=processes,
        full=mode in ("full", "previous"), ranges=ranges,
        period=_previous_period(database_url) if mode == "previous" else None,
    )  # fmt: skip
    parent, children = (
        _cpu(resource.RUSAGE_SELF) - parent - spent["watch"],
        _cpu(resource.RUSAGE_CHILDREN) - children,
    )
    print(json.dumps({
        "employees": summary.employees, "flagged": summary.flagged, "seconds": summary.seconds,
        "cpu_seconds": parent + children, "parent_cpu_seconds": parent,
        "workers_cpu_seconds": children, "listing_cpu_seconds": listing,
        "database_cpu_seconds": sum(served.values()),
        "stages": summary.stages, "stage_cpu": summary.stage_cpu,
        "recomputed": summary.recomputed, "reused": summary.reused,
        "untouched": summary.untouched, "stale": summary.stale, "sliced": summary.sliced,
        "parent_peak_mib": _hwm_mib("self"), "load": os.getloadavg()[0],
        "worker_peaks_mib": sorted(mib for kind, mib in peaks.values() if kind == "worker"),
        "other_peaks_mib": sorted(mib for kind, mib in peaks.values() if kind != "worker"),
    }))  # fmt: skip


if __name__ == "__main__":
    main()
