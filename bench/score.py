"""Benchmark batch scoring (rows/s, peak memory) and the single-employee risk read.

Seeds N employees (default 100,000) into a temporary SQLite database and trains a champion,
or takes an installation as it is (`--sample DIR`: kinerja.db, mlflow.db, models/), then runs
`training.score.score_all` in a child process of its own (every employee of the latest
period into risk_scores, in chunks) so its peak RSS is the scoring's alone, and times in
process `ModelProvider.risk_for` for a sample of employees (the serving path of
GET /employees/{id}/risk without HTTP): from the stored scores, then with them deleted
(live). Prints rows/s, CPU-seconds, the time per stage, and the extrapolation to 5.6 million
employees (scoring is linear in employees: fixed-size chunks; memory is bounded by the
chunk), then one JSON line. Scoring runs in `--workers` processes (default 2, the target's
cores); CPU-seconds include the workers', stage times (wall and CPU) add up over them, and
peak memory is the parent's plus N times the largest worker's.

    python bench/score.py --employees 100000 --reads 500
    python bench/score.py --employees 100000 --cache /tmp/score-samples   # seeds once
    python bench/score.py --sample /tmp/sample --chunk-size 25000 --drivers flagged
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

NATIONAL = 5_600_000
TARGET_SECONDS = 60.0
TARGET_GIB = 4.0

CHILD = """
import json, resource, sys
from training.score import score_all
d, chunk, threads, drivers = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
workers = int(sys.argv[5])
def used():
    return sum(r.ru_utime + r.ru_stime for r in map(resource.getrusage, (resource.RUSAGE_SELF,
               resource.RUSAGE_CHILDREN)))
cpu = used()
summary = score_all(f"sqlite:///{d}/kinerja.db", f"sqlite:///{d}/mlflow.db", f"{d}/models",
                    chunk_size=chunk, explain=drivers, threads=threads, workers=workers)
own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # the largest worker
print(json.dumps({"employees": summary.employees, "flagged": summary.flagged,
                  "seconds": summary.seconds, "cpu_seconds": used() - cpu,
                  "stages": summary.stages, "stage_cpu": summary.stage_cpu,
                  "peak_rss_mib": (own + workers * children if workers > 1 else own) / 1024}))
"""


def _seed_and_train(directory: Path, employees: int) -> None:
    code = (
        "import sys; from pathlib import Path; from training.sample import build_sample; "
        "build_sample(Path(sys.argv[1]), int(sys.argv[2]), seed=2025)"
    )
    subprocess.run([sys.executable, "-c", code, str(directory), str(employees)], check=True)


def _score(directory: Path, args: argparse.Namespace) -> dict[str, Any]:
    """Run the batch scoring in a child process; its summary and peak RSS."""
    command = [
        sys.executable, "-c", CHILD, str(directory), str(args.chunk_size), str(args.threads),
        args.drivers, str(args.workers),
    ]  # fmt: skip
    done = subprocess.run(command, check=True, capture_output=True, text=True)
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def _percentiles(timings: list[float]) -> dict[str, float]:
    timings = sorted(timings)
    at = lambda q: timings[min(len(timings) - 1, int(len(timings) * q))]  # noqa: E731
    return {"p50_ms": round(at(0.5) * 1000, 3), "p99_ms": round(at(0.99) * 1000, 3)}


def _reads(directory: Path, reads: int) -> dict[str, Any]:
    """risk_for over a random sample of employees: from stored scores, then live."""
    from sqlalchemy import delete
    from sqlalchemy import select

    from service.db import make_database
    from service.db.models import Employee
    from service.db.models import RiskScore
    from service.serving import ModelProvider

    database = make_database(f"sqlite:///{directory / 'kinerja.db'}")
    provider = ModelProvider(f"sqlite:///{directory / 'mlflow.db'}", directory / "models")
    found: dict[str, Any] = {}
    with database.sessions() as session:
        ids = list(session.scalars(select(Employee.id)))
        chosen = random.Random(0).sample(ids, min(reads, len(ids)))
        provider.risk_for(session, session.get(Employee, chosen[0]))  # loads the model
        for name in ("stored", "live"):
            if name == "live":
                session.execute(delete(RiskScore).where(RiskScore.employee_id.in_(chosen)))
            wall, cpu = [], time.process_time()
            for employee_id in chosen:
                employee = session.get(Employee, employee_id)
                began = time.perf_counter()
                provider.risk_for(session, employee)
                wall.append(time.perf_counter() - began)
            cpu_ms = (time.process_time() - cpu) * 1000 / len(chosen)
            found[name] = {**_percentiles(wall), "cpu_ms": round(cpu_ms, 3)}
        session.rollback()
    database.engine.dispose()
    return found


def report(scored: dict[str, Any], reads: dict[str, Any], args: argparse.Namespace) -> None:
    rate = scored["employees"] / scored["seconds"]
    cpu_rate = scored["employees"] / max(scored["cpu_seconds"], 1e-9)
    national = NATIONAL / rate
    print(
        f"score: {scored['employees']:,} employees in {scored['seconds']:.1f} s = {rate:,.0f} "
        f"rows/s ({cpu_rate:,.0f} per CPU-second; {scored['flagged']:,} flagged, drivers for "
        f"{args.drivers}); peak RSS {scored['peak_rss_mib']:.0f} MiB, chunks of "
        f"{args.chunk_size:,}"
    )
    stages = ", ".join(
        f"{k} {v:.1f} s ({scored['stage_cpu'][k]:.1f} CPU)" for k, v in scored["stages"].items()
    )
    print(f"  stages (summed over workers): {stages}")
    print(
        f"extrapolated to {NATIONAL:,}: {national:,.0f} s (target < {TARGET_SECONDS:.0f} s); "
        "memory is bounded by the chunk size, not by the number of employees"
    )
    for name, figures in reads.items():
        print(
            f"risk read in process ({name}): p50 {figures['p50_ms']:.2f} ms, "
            f"p99 {figures['p99_ms']:.2f} ms, {figures['cpu_ms']:.2f} ms CPU each"
        )
    print(
        json.dumps(
            {
                "benchmark": "score",
                **scored,
                "rows_per_s": round(rate, 1),
                "rows_per_cpu_s": round(cpu_rate, 1),
                "national_seconds": round(national, 1),
                "chunk_size": args.chunk_size,
                "drivers": args.drivers,
                "threads": args.threads,
                "workers": args.workers,
                "reads": reads,
            }
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--employees", type=int, default=100_000)
    parser.add_argument("--sample", type=Path, help="score this installation as it is")
    parser.add_argument(
        "--cache",
        type=Path,
        help="seed and train into CACHE/<employees> once, and reuse it on later runs",
    )
    parser.add_argument("--reads", type=int, default=500)
    parser.add_argument("--chunk-size", type=int, default=25_000)
    parser.add_argument(
        "--threads", type=int, help="OpenMP threads of the trees per process (2 / workers)"
    )
    parser.add_argument("--drivers", choices=("flagged", "all"), default="flagged")
    parser.add_argument(
        "--workers", type=int, default=2, help="scoring processes (default: the target's 2 cores)"
    )
    args = parser.parse_args()
    if args.threads is None:
        args.threads = max(1, 2 // args.workers)
    with tempfile.TemporaryDirectory() as tmp:
        directory = args.sample or Path(tmp)
        if args.cache is not None:
            directory = args.cache / str(args.employees)
        if args.sample is None:
            _seed_and_train(directory, args.employees)  # returns at once when already built
        scored = _score(directory, args)
        reads = _reads(directory, args.reads) if args.reads else {}
    report(scored, reads, args)


if __name__ == "__main__":
    main()
