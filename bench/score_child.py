"""One `score_all` run of `bench/score.py`, in a process of its own: its CPU and memory by process.

    python bench/score_child.py DIR CHUNK THREADS DRIVERS WORKERS full|incremental SHARE

Scores the installation in DIR over the first SHARE of its id ranges (1: all of them; 0.5 the
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
"""

from __future__ import annotations

import json
import os
import resource
import sys
import threading
import time
from pathlib import Path

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


def _watch(peaks: dict[int, tuple[str, float]], spent: dict[str, float]) -> None:
    """Keep each child's latest VmHWM (a high-water mark: the last reading is its peak), and
    this thread's own CPU, which is the benchmark's and not the scoring's."""
    while True:
        for pid in _children():
            found = _peak_mib(pid)
            if found is not None:
                peaks[pid] = found
        spent["watch"] = time.thread_time()
        time.sleep(SAMPLE_SECONDS)


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


def main() -> None:
    directory, chunk, threads, drivers, workers, mode, share = sys.argv[1:8]
    processes = int(workers)
    peaks: dict[int, tuple[str, float]] = {}
    spent = {"watch": 0.0}
    threading.Thread(target=_watch, args=(peaks, spent), daemon=True).start()
    parent, children = _cpu(resource.RUSAGE_SELF), _cpu(resource.RUSAGE_CHILDREN)
    database_url = f"sqlite:///{directory}/kinerja.db"
    ranges, listing = _first_share(database_url, int(chunk), float(share), processes)
    summary = score_all(
        database_url, f"sqlite:///{directory}/mlflow.db", f"{directory}/models",
        explain=drivers, threads=int(threads), workers=processes, full=mode == "full",
        ranges=ranges,
    )  # fmt: skip
    parent, children = (
        _cpu(resource.RUSAGE_SELF) - parent - spent["watch"],
        _cpu(resource.RUSAGE_CHILDREN) - children,
    )
    print(json.dumps({
        "employees": summary.employees, "flagged": summary.flagged, "seconds": summary.seconds,
        "cpu_seconds": parent + children, "parent_cpu_seconds": parent,
        "workers_cpu_seconds": children, "listing_cpu_seconds": listing,
        "stages": summary.stages, "stage_cpu": summary.stage_cpu,
        "recomputed": summary.recomputed, "reused": summary.reused,
        "untouched": summary.untouched, "stale": summary.stale,
        "parent_peak_mib": _hwm_mib("self"), "load": os.getloadavg()[0],
        "worker_peaks_mib": sorted(mib for kind, mib in peaks.values() if kind == "worker"),
        "other_peaks_mib": sorted(mib for kind, mib in peaks.values() if kind != "worker"),
    }))  # fmt: skip


if __name__ == "__main__":
    main()
