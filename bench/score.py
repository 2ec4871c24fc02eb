"""Benchmark batch scoring (rows/s, peak memory) and the single-employee risk read (p99).

Seeds N employees (default 100,000) into a temporary SQLite database, trains a champion,
then times `training.score.score_all` (every employee of the latest period into
risk_scores) and, in process, `ModelProvider.risk_for` for a sample of employees: the
serving path of GET /employees/{id}/risk without HTTP. Prints rows/s and the extrapolation to
5.6 million employees against the target (< 60 s on 2 cores, < 4 GB).

    python bench/score.py --employees 100000 --reads 500
"""

from __future__ import annotations

import argparse
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

NATIONAL = 5_600_000


def _seed_and_train(directory: Path, employees: int) -> None:
    code = (
        "import sys; from pathlib import Path; from training.sample import build_sample; "
        "build_sample(Path(sys.argv[1]), int(sys.argv[2]), seed=2025)"
    )
    subprocess.run([sys.executable, "-c", code, str(directory), str(employees)], check=True)


def _reads(directory: Path, reads: int) -> list[float]:
    from service.db import make_database
    from service.db.models import Employee
    from service.serving import ModelProvider

    database = make_database(f"sqlite:///{directory / 'kinerja.db'}")
    provider = ModelProvider(f"sqlite:///{directory / 'mlflow.db'}", directory / "models")
    timings = []
    with database.sessions() as session:
        ids = list(session.scalars(Employee.__table__.select().with_only_columns(Employee.id)))
        for employee_id in random.Random(0).sample(ids, min(reads, len(ids))):
            employee = session.get(Employee, employee_id)
            began = time.perf_counter()
            provider.risk_for(session, employee)
            timings.append(time.perf_counter() - began)
    return sorted(timings[5:])  # the first reads load the model


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--employees", type=int, default=100_000)
    parser.add_argument("--reads", type=int, default=500)
    parser.add_argument("--chunk-size", type=int, default=50_000)
    parser.add_argument("--threads", type=int, default=2, help="OpenMP threads of the trees")
    args = parser.parse_args()
    from training.score import score_all

    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        _seed_and_train(directory, args.employees)
        summary = score_all(
            f"sqlite:///{directory / 'kinerja.db'}",
            f"sqlite:///{directory / 'mlflow.db'}",
            directory / "models",
            chunk_size=args.chunk_size,
            threads=args.threads,
        )
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        rate = summary.employees / summary.seconds
        print(
            f"score: {summary.employees:,} employees in {summary.seconds:.1f} s = "
            f"{rate:,.0f} rows/s ({summary.flagged:,} flagged, drivers for flagged only); "
            f"peak RSS {peak_mb:.0f} MiB with chunks of {args.chunk_size:,}"
        )
        print(
            f"extrapolated to {NATIONAL:,}: {NATIONAL / rate:.0f} s (target < 60 s); memory is "
            "bounded by the chunk size, not by the number of employees"
        )
        timings = _reads(directory, args.reads)
        p50, p99 = timings[len(timings) // 2], timings[int(len(timings) * 0.99) - 1]
        print(
            f"risk read (in-process serving path, {len(timings)} employees): "
            f"p50 {p50 * 1000:.1f} ms, p99 {p99 * 1000:.1f} ms"
        )


if __name__ == "__main__":
    main()
