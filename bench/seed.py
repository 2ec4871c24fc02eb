"""Benchmark: seed N employees (default 100k) with 8 quarters on SQLite and PostgreSQL.

Each backend runs in its own child process, so its peak memory (ru_maxrss) is its own:
SQLite into a temporary file, PostgreSQL into a database `kinerja_bench_<random>` created
through the admin URL and dropped afterwards. Prints total rows, seconds, rows/s per table
group (rows over the time spent writing that group) and overall (rows over wall time,
generation included), CPU seconds of the seeding process, and peak memory. The target is at
least 100,000 rows/s overall.

    python bench/seed.py [--employees 100000] [--quarters 8] [--chunk-size 25000]
                         [--writers 2] [--backends sqlite,postgresql] [--admin-url URL]

`--writers` applies to PostgreSQL (chunks written at once); SQLite always has one writer.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from scratch_database import ADMIN_URL  # noqa: E402
from scratch_database import postgresql_database  # noqa: E402

from service.db import make_engine  # noqa: E402
from service.db.migrate import upgrade  # noqa: E402
from training.synthetic.config import SyntheticConfig  # noqa: E402
from training.synthetic.seed import SeedReport  # noqa: E402
from training.synthetic.seed import run_seed  # noqa: E402

TARGET_ROWS_PER_SECOND = 100_000
GROUPS = {
    "organisation": ("units", "positions", "competency_standards", "unit_grades"),
    "employees": ("employees",),
    "plans": ("skps", "rhks", "indicators", "realisations", "feedback_notes"),
    "evaluations": ("evaluations",),
    "attendance": ("attendance",),
    "development": ("enrolments", "competency_assessments", "assessment_levels"),
    "truth": ("truth_employees", "truth_levels", "truth_program_effects", "truth_risk"),
}


def main() -> None:
    """Parse arguments; run each backend in a child process (or be that child)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--employees", type=int, default=100_000)
    parser.add_argument("--quarters", type=int, default=8)
    parser.add_argument("--chunk-size", type=int, default=25_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--writers", type=int, default=2)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--admin-url", default=ADMIN_URL)
    parser.add_argument("--child", choices=["sqlite", "postgresql"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    config = SyntheticConfig(
        employees=args.employees,
        seed=args.seed,
        quarters=args.quarters,
        chunk_size=args.chunk_size,
        writers=args.writers,
    )
    config.validate()
    if args.child:
        print(json.dumps(run_backend(args.child, config, args.admin_url)))
        return
    size = f"{args.employees:,} employees, {args.quarters} quarters"
    print(f"Seeding {size}, chunks of {args.chunk_size:,}")
    for backend in args.backends.split(","):
        command = [sys.executable, __file__, *sys.argv[1:], "--child", backend]
        output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
        writers = args.writers if backend == "postgresql" else 1
        print_figures(
            f"{backend} ({writers} writer(s))", json.loads(output.strip().splitlines()[-1])
        )


def run_backend(backend: str, config: SyntheticConfig, admin_url: str) -> dict:
    """Seed one backend and return its figures."""
    if backend == "sqlite":
        with tempfile.TemporaryDirectory() as directory:
            return seed_and_measure(f"sqlite:///{Path(directory) / 'bench.db'}", config)
    with postgresql_database(admin_url) as url:
        return seed_and_measure(url, config)


def seed_and_measure(url: str, config: SyntheticConfig) -> dict:
    """Migrate an empty database, seed it, and return rows, timings, CPU and peak memory."""
    engine = make_engine(url)
    upgrade(engine)
    cpu = time.process_time()
    report = run_seed(engine, config)
    cpu = time.process_time() - cpu
    engine.dispose()
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {**_figures(report), "cpu_seconds": cpu, "peak_mb": peak_mb}


def _figures(report: SeedReport) -> dict:
    groups = {}
    for group, tables in GROUPS.items():
        rows = sum(report.rows.get(table, 0) for table in tables)
        seconds = sum(report.write_seconds.get(table, 0.0) for table in tables)
        groups[group] = {"rows": rows, "write_seconds": seconds}
    return {"rows": report.total_rows, "seconds": report.seconds, "groups": groups}


def print_figures(backend: str, figures: dict) -> None:
    """Print one backend's table of figures."""
    overall = figures["rows"] / figures["seconds"]
    verdict = "meets" if overall >= TARGET_ROWS_PER_SECOND else "below"
    print(f"\n{backend}: {figures['rows']:,} rows in {figures['seconds']:.1f} s")
    print(f"  {'group':<13}{'rows':>12}{'write s':>10}{'rows/s':>12}")
    for group, numbers in figures["groups"].items():
        rate = numbers["rows"] / numbers["write_seconds"] if numbers["write_seconds"] else 0.0
        print(
            f"  {group:<13}{numbers['rows']:>12,}{numbers['write_seconds']:>10.1f}{rate:>12,.0f}"
        )
    print(f"  overall: {overall:,.0f} rows/s ({verdict} the {TARGET_ROWS_PER_SECOND:,} target)")
    print(f"  CPU of the seeding process: {figures['cpu_seconds']:.1f} s")
    print(f"  peak memory: {figures['peak_mb']:.0f} MB")


if __name__ == "__main__":
    main()
