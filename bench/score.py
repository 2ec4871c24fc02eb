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

The first scoring reads every history (`--full`). Two incremental runs follow (the default
of `kinerja score`, which reuses stored feature rows that are not outdated): a re-score
after a promotion (every stored row's model version set to another value, so every row is
answered again from its stored features) and a run after `--changed` (default 1 %) of the
employees changed (their rows marked outdated by `repositories.risk.forget_scores`, the
call every write path makes). Each prints the same figures; the JSON line keeps the first
scoring's at the top level and adds them under `after_promotion` and `after_changes`.

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
workers, full = int(sys.argv[5]), sys.argv[6] == "full"
def used():
    return sum(r.ru_utime + r.ru_stime for r in map(resource.getrusage, (resource.RUSAGE_SELF,
               resource.RUSAGE_CHILDREN)))
cpu = used()
summary = score_all(f"sqlite:///{d}/kinerja.db", f"sqlite:///{d}/mlflow.db", f"{d}/models",
                    chunk_size=chunk, explain=drivers, threads=threads, workers=workers,
                    full=full)
own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # the largest worker
print(json.dumps({"employees": summary.employees, "flagged": summary.flagged,
                  "seconds": summary.seconds, "cpu_seconds": used() - cpu,
                  "stages": summary.stages, "stage_cpu": summary.stage_cpu,
                  "recomputed": summary.recomputed, "reused": summary.reused,
                  "untouched": summary.untouched, "stale": summary.stale,
                  "peak_rss_mib": (own + workers * children if workers > 1 else own) / 1024}))
"""


def _seed_and_train(directory: Path, employees: int) -> None:
    code = (
        "import sys; from pathlib import Path; from training.sample import build_sample; "
        "build_sample(Path(sys.argv[1]), int(sys.argv[2]), seed=2025)"
    )
    subprocess.run([sys.executable, "-c", code, str(directory), str(employees)], check=True)


def _score(directory: Path, args: argparse.Namespace, full: bool = False) -> dict[str, Any]:
    """Run the batch scoring in a child process; its summary and peak RSS."""
    command = [
        sys.executable, "-c", CHILD, str(directory), str(args.chunk_size), str(args.threads),
        args.drivers, str(args.workers), "full" if full else "incremental",
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


def _migrate(directory: Path) -> None:
    """Bring a cached installation to the schema the scoring writes (stored feature rows)."""
    from service.db import make_engine
    from service.db.migrate import upgrade

    engine = make_engine(f"sqlite:///{directory / 'kinerja.db'}")
    upgrade(engine)
    engine.dispose()


def _promote(directory: Path) -> None:
    """Stored rows as a promotion leaves them: by a model version no longer served."""
    from sqlalchemy import update

    from service.db import make_engine
    from service.db.models import RiskScore

    engine = make_engine(f"sqlite:///{directory / 'kinerja.db'}")
    with engine.begin() as connection:
        connection.execute(update(RiskScore).values(model_version="0"))
    engine.dispose()


def _change(directory: Path, fraction: float) -> int:
    """Mark outdated the scores of a random `fraction` of the employees, as a write to their
    inputs does (`forget_scores`, in batches below its forget-everyone threshold)."""
    from sqlalchemy import select

    from service.db import make_engine
    from service.db.models import Employee
    from service.db.repositories import risk as repo

    engine = make_engine(f"sqlite:///{directory / 'kinerja.db'}")
    with engine.begin() as connection:
        ids = connection.execute(select(Employee.id)).scalars().all()
        chosen = sorted(random.Random(1).sample(ids, max(1, round(len(ids) * fraction))))
        step = repo.FORGET_ALL_ABOVE
        for start in range(0, len(chosen), step):
            repo.forget_scores(connection, alone=chosen[start : start + step])
    engine.dispose()
    return len(chosen)


def _figures(scored: dict[str, Any]) -> dict[str, Any]:
    """A scoring run's summary with its rates and its extrapolation to national size."""
    rate = scored["employees"] / scored["seconds"]
    cpu_rate = scored["employees"] / max(scored["cpu_seconds"], 1e-9)
    per_row = sum(scored["stage_cpu"].values()) / scored["employees"]
    return {
        **scored,
        "rows_per_s": round(rate, 1),
        "rows_per_cpu_s": round(cpu_rate, 1),
        "national_seconds": round(NATIONAL / rate, 1),
        "national_cpu_seconds": round(NATIONAL / cpu_rate, 1),
        "stage_cpu_us_per_row": round(per_row * 1e6, 1),
        "national_stage_cpu_seconds": round(per_row * NATIONAL, 1),
    }


def _print_run(label: str, run: dict[str, Any], args: argparse.Namespace) -> None:
    print(
        f"{label}: {run['employees']:,} employees in {run['seconds']:.1f} s = "
        f"{run['rows_per_s']:,.0f} rows/s ({run['rows_per_cpu_s']:,.0f} per CPU-second; "
        f"{run['flagged']:,} flagged, drivers for {args.drivers}); peak RSS "
        f"{run['peak_rss_mib']:.0f} MiB, chunks of {args.chunk_size:,}"
    )
    print(
        f"  rows: {run['recomputed']:,} recomputed from their history, {run['reused']:,} from "
        f"stored features, {run['untouched']:,} left as stored"
    )
    stages = ", ".join(
        f"{k} {v:.1f} s ({run['stage_cpu'][k]:.1f} CPU)" for k, v in run["stages"].items()
    )
    print(f"  stages (summed over workers): {stages}")
    print(
        f"  extrapolated to {NATIONAL:,}: {run['national_seconds']:,.0f} s "
        f"({run['national_cpu_seconds']:,.0f} CPU-seconds; target < {TARGET_SECONDS:.0f} s); "
        f"the stages alone {run['stage_cpu_us_per_row']:.0f} us of CPU per employee -> "
        f"{run['national_stage_cpu_seconds']:,.0f} CPU-seconds (without start-up: the model "
        "load and the worker processes, paid once per run)"
    )


def report(
    runs: dict[str, dict[str, Any]], reads: dict[str, Any], args: argparse.Namespace
) -> None:
    first = _figures(runs["full"])
    _print_run("score (full: every history read)", first, args)
    print("  memory is bounded by the chunk size, not by the number of employees")
    later = {name: _figures(runs[name]) for name in ("after_promotion", "after_changes")}
    _print_run("re-score after a promotion (incremental)", later["after_promotion"], args)
    changed = f"{args.changed:.0%} of the employees changed"
    _print_run(f"re-score after {changed} (incremental)", later["after_changes"], args)
    for name, figures in reads.items():
        print(
            f"risk read in process ({name}): p50 {figures['p50_ms']:.2f} ms, "
            f"p99 {figures['p99_ms']:.2f} ms, {figures['cpu_ms']:.2f} ms CPU each"
        )
    print(
        json.dumps(
            {
                "benchmark": "score",
                **first,
                "chunk_size": args.chunk_size,
                "drivers": args.drivers,
                "threads": args.threads,
                "workers": args.workers,
                "changed_fraction": args.changed,
                **later,
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
    parser.add_argument(
        "--changed", type=float, default=0.01,
        help="fraction of employees whose scores go outdated before the last run",
    )  # fmt: skip
    args = parser.parse_args()
    if args.threads is None:
        args.threads = max(1, 2 // args.workers)
    with tempfile.TemporaryDirectory() as tmp:
        directory = args.sample or Path(tmp)
        if args.cache is not None:
            directory = args.cache / str(args.employees)
        if args.sample is None:
            _seed_and_train(directory, args.employees)  # returns at once when already built
        _migrate(directory)
        runs = {"full": _score(directory, args, full=True)}
        _promote(directory)
        runs["after_promotion"] = _score(directory, args)
        _change(directory, args.changed)
        runs["after_changes"] = _score(directory, args)
        reads = _reads(directory, args.reads) if args.reads else {}
    report(runs, reads, args)


if __name__ == "__main__":
    main()
