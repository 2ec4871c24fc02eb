"""Benchmark batch scoring (CPU, wall, peak memory by process) and the single-employee risk read.

Seeds N employees (default 100,000) into a temporary SQLite database and trains a champion,
or takes an installation as it is (`--sample DIR`: kinerja.db, mlflow.db, models/), then runs
`training.score.score_all` in a child process of its own (`score_child.py`: every employee
of the latest period into risk_scores, in chunks) so its memory and CPU are the scoring's
alone, and times in process `ModelProvider.risk_for` for a sample of employees (the serving
path of GET /employees/{id}/risk without HTTP): from the stored scores, then with them
deleted (live). Scoring runs in `--workers` processes (default 2, the target's cores);
stage times (wall and CPU) add up over them.

Each case runs twice on the same database, from the same state: over the first half of the
id ranges, then over all of them, with at least two chunks per worker (`chunk_size_for`) so
that both runs start every worker. The extrapolation to 5.6 million employees
(`extrapolate`) is fixed cost + cost per employee: per employee the stages' CPU and the
parent's listing of the ids; fixed the rest of the CPU (start-up: spawning the workers,
imports, loading the model in each process), which the two runs show does not grow with
the employees scored. Peak memory is each process's own (VmHWM), added up: the parent
(model, id listing), each worker (model, one chunk), the resource tracker; the id listing
is what grows with the employees. Prints the figures per case, then one JSON line.

The first scoring reads every history (`--full`). Two incremental runs follow (the default
of `kinerja score`, which reuses stored feature rows that are not outdated): a re-score
after a promotion (every stored row's model version set to another value, so every row is
answered again from its stored features) and a run after `--changed` (default 1 %) of the
employees changed (their rows marked outdated by `repositories.risk.forget_scores`, the
call every write path makes). On SQLite a third, `next_period`, is a new period's first
scoring: the period before the latest scored in full (which keeps each employee's panel
slice, `training.score_slices`), the latest period's scores deleted, then the latest scored
incrementally, reading only its own rows for everyone whose previous score is fresh (see
`_new_period`). Each prints the same figures; the JSON line keeps the first scoring's at
the top level and adds them under `after_promotion`, `after_changes` and `next_period`.

    python bench/score.py --employees 100000 --reads 500
    python bench/score.py --employees 100000 --cache /tmp/score-samples   # seeds once
    python bench/score.py --sample /tmp/sample --chunk-size 25000 --drivers flagged
    python bench/score.py --employees 25000 --postgresql   # the same records on PostgreSQL

`--postgresql [ADMIN_URL]` seeds the sample's records into a PostgreSQL database of its own
(created through ADMIN_URL, dropped afterwards) and scores them there with the sample's
model; the backends' CPU is measured apart and added per employee (`score_child.py`).
"""

from __future__ import annotations

import argparse
import json
import math
import random
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from scratch_database import ADMIN_URL
from scratch_database import postgresql_database

NATIONAL = 5_600_000
TARGET_SECONDS = 60.0
TARGET_GIB = 4.0

CHILD = Path(__file__).resolve().parent / "score_child.py"
#: The smaller run of each case scores this share of the id ranges (never fewer than `workers`).
SMALLER_SHARE = 0.5
MIB = 1024 * 1024
#: The generator's seed of the benchmark's data (SQLite sample and PostgreSQL copy alike).
SEED = 2025


def _seed_and_train(directory: Path, employees: int) -> None:
    code = (
        "import sys; from pathlib import Path; from training.sample import build_sample; "
        "build_sample(Path(sys.argv[1]), int(sys.argv[2]), seed=int(sys.argv[3]))"
    )
    command = [sys.executable, "-c", code, str(directory), str(employees), str(SEED)]
    subprocess.run(command, check=True)


def _score(
    directory: Path, args: argparse.Namespace, full: bool, share: float, mode: str | None = None
) -> dict[str, Any]:
    """One scoring run over the first `share` of the id ranges, in a process of its own
    (`mode`: `score_child.py`'s, by default full or incremental as `full` says)."""
    mode = mode or ("full" if full else "incremental")
    command = [
        sys.executable, str(CHILD), str(directory), str(args.chunk_size), str(args.threads),
        args.drivers, str(args.workers), mode, str(share), args.database_url,
    ]  # fmt: skip
    done = subprocess.run(command, check=True, capture_output=True, text=True)
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def _two_sizes(
    directory: Path, args: argparse.Namespace, prepare: Callable[[], object], full: bool = False
) -> dict[str, Any]:
    """A case run on the first share of the ranges, then on all of them, from the same state."""
    prepare()
    smaller = _score(directory, args, full, SMALLER_SHARE)
    prepare()
    return {**_score(directory, args, full, 1.0), "smaller": smaller}


def _listing(database_url: str, chunk_size: int) -> tuple[int, int]:
    """(employees, peak bytes the parent allocates listing their ids: `employee_chunks`)."""
    from sqlalchemy import func
    from sqlalchemy import select

    from service.db import make_engine
    from service.db.models import Employee
    from training.extract import employee_chunks

    engine = make_engine(database_url)
    with engine.connect() as connection:
        employees = connection.execute(select(func.count(Employee.id))).scalar_one()
    tracemalloc.start()
    employee_chunks(engine, chunk_size)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    engine.dispose()
    return employees, peak


def chunk_size_for(employees: int, chunk_size: int, workers: int) -> int:
    """The chunk size that gives at least two chunks per worker, so that both runs of a case
    (the first half of the ranges and all of them) start every worker."""
    return max(1, min(chunk_size, math.ceil(employees / (2 * workers))))


def _percentiles(timings: list[float]) -> dict[str, float]:
    timings = sorted(timings)
    at = lambda q: timings[min(len(timings) - 1, int(len(timings) * q))]  # noqa: E731
    return {"p50_ms": round(at(0.5) * 1000, 3), "p99_ms": round(at(0.99) * 1000, 3)}


def _reads(directory: Path, database_url: str, reads: int) -> dict[str, Any]:
    """risk_for over a random sample of employees: from stored scores, then live."""
    from sqlalchemy import delete
    from sqlalchemy import select

    from service.db import make_database
    from service.db.models import Employee
    from service.db.models import RiskScore
    from service.serving import ModelProvider

    database = make_database(database_url)
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


def _migrate(database_url: str) -> None:
    """Bring a cached installation to the schema the scoring writes (stored feature rows)."""
    from service.db import make_engine
    from service.db.migrate import upgrade

    engine = make_engine(database_url)
    upgrade(engine)
    engine.dispose()


def _promote(database_url: str) -> None:
    """Stored rows as a promotion leaves them: by a model version no longer served."""
    from sqlalchemy import update

    from service.db import make_engine
    from service.db.models import RiskScore

    engine = make_engine(database_url)
    with engine.begin() as connection:
        connection.execute(update(RiskScore).values(model_version="0"))
    engine.dispose()


def _change(database_url: str, fraction: float) -> int:
    """Mark outdated the scores of a random `fraction` of the employees, as a write to their
    inputs does (`forget_scores`, in batches below its forget-everyone threshold)."""
    from sqlalchemy import select

    from service.db import make_engine
    from service.db.models import Employee
    from service.db.repositories import risk as repo

    engine = make_engine(database_url)
    with engine.begin() as connection:
        ids = connection.execute(select(Employee.id)).scalars().all()
        chosen = sorted(random.Random(1).sample(ids, max(1, round(len(ids) * fraction))))
        step = repo.FORGET_ALL_ABOVE
        for start in range(0, len(chosen), step):
            repo.forget_scores(connection, alone=chosen[start : start + step])
    engine.dispose()
    return len(chosen)


def _new_period(directory: Path, args: argparse.Namespace) -> None:
    """The state before a new period's first scoring: the period before the latest scored
    in full (its panel slices kept), and no score of the latest period stored.

    The sample keeps the latest period's rows throughout: the period before reads nothing
    dated after its end, so its scores and slices are those it had before the latest
    period's rows came (the tests compare the next run with a full one, to the bit), and
    writing those rows later would outdate none of them (a score of a period never reads a
    later one). Deleting the latest period's scores is plain SQL: no input changes.
    """
    from sqlalchemy import text

    from service.db import make_engine
    from training.extract import read_axis

    engine = make_engine(args.database_url)
    latest = read_axis(engine)
    with engine.begin() as connection:
        for table in ("risk_feature_rows", "risk_scores"):
            connection.execute(
                text(f"DELETE FROM {table} WHERE period = :period"),
                {"period": latest.code(latest.length - 1)},
            )
    engine.dispose()
    _score(directory, args, True, 1.0, mode="previous")


def peak_mib(run: dict[str, Any]) -> float:
    """A run's peak memory: the parent's, each worker's and the other children's, added up
    (an upper bound: they need not peak at the same moment)."""
    return run["parent_peak_mib"] + sum(run["worker_peaks_mib"]) + sum(run["other_peaks_mib"])


def fixed_cpu(run: dict[str, Any], workers: int) -> tuple[float, float]:
    """(parent, workers) CPU-seconds of a run that do not grow with its employees.

    What is left of each process's CPU without the stages (timed inside whichever process
    scores) and the listing of the ids: start-up (spawning the workers, imports, the model
    loaded in each process), handing out ranges.
    """
    stages = sum(run["stage_cpu"].values())
    parent = run["parent_cpu_seconds"] - run["listing_cpu_seconds"]
    if workers == 1:  # scored in the parent itself
        return parent - stages, run["workers_cpu_seconds"]
    return parent, run["workers_cpu_seconds"] - stages


def extrapolate(run: dict[str, Any], listing_bytes: int, workers: int) -> dict[str, Any]:
    """A case's CPU, wall time and memory at national size: fixed cost + cost per employee.

    Per employee: the stages' CPU (scoring), the database server's (PostgreSQL's backends;
    SQLite runs inside the stages) and the parent's listing of the ids, each measured per
    employee at this size. Fixed: the rest (`fixed_cpu`), measured in the run
    on all the id ranges and in the one on the first share of them (`smaller`: same
    database, every worker started in both); the larger of the two is taken, and the two
    show that it does not grow with the employees scored. National wall on `workers`
    unshared cores: the parent's CPU (its start-up comes before the workers'; it waits while
    they score), then the workers' and the database server's shared between the cores.
    Memory: the peaks by process at this size (a worker holds the model and one chunk
    whatever the number of employees) + the parent's id listing (`listing_bytes`: its peak
    allocation over every employee) grown to national size.
    """
    employees = run["employees"]
    stage = (sum(run["stage_cpu"].values()) + run.get("database_cpu_seconds", 0.0)) / employees
    listing = run["listing_cpu_seconds"] / employees
    parents, children = zip(*(fixed_cpu(r, workers) for r in (run["smaller"], run)), strict=True)
    parent = max(parents) + listing * NATIONAL
    scoring = max(children) + stage * NATIONAL
    listing_mib = listing_bytes / employees * (NATIONAL - employees) / MIB
    return {
        "parent_fixed_cpu_seconds": [round(p, 2) for p in parents],
        "workers_fixed_cpu_seconds": [round(c, 2) for c in children],
        "listing_us_per_employee": round(listing * 1e6, 2),
        "listing_bytes_per_employee": round(listing_bytes / employees, 1),
        "national_parent_cpu_seconds": round(parent, 1),
        "national_scoring_cpu_seconds": round(scoring, 1),
        "national_cpu_seconds": round(parent + scoring, 1),
        "national_seconds": round(parent + scoring / workers, 1),
        "national_listing_mib": round(listing_mib, 1),
        "national_peak_mib": round(peak_mib(run) + listing_mib, 1),
    }


def _figures(run: dict[str, Any], listing_bytes: int, workers: int) -> dict[str, Any]:
    """A case's summary with its rates at this size and its extrapolation to national size."""
    per_row = sum(run["stage_cpu"].values()) / run["employees"]
    database = run.get("database_cpu_seconds", 0.0) / run["employees"]
    return {
        **run,
        "peak_rss_mib": round(peak_mib(run), 1),
        "rows_per_s": round(run["employees"] / run["seconds"], 1),
        "rows_per_cpu_s": round(run["employees"] / max(run["cpu_seconds"], 1e-9), 1),
        "stage_cpu_us_per_row": round(per_row * 1e6, 1),
        "national_stage_cpu_seconds": round(per_row * NATIONAL, 1),
        "database_cpu_us_per_row": round(database * 1e6, 1),
        **extrapolate(run, listing_bytes, workers),
    }


def _mib(values: list[float]) -> str:
    return " + ".join(f"{v:,.0f}" for v in values) or "none"


def _print_memory(run: dict[str, Any]) -> None:
    smaller = run["smaller"]
    print(
        f"  peak RSS by process at {smaller['employees']:,} / {run['employees']:,} employees "
        f"scored: parent (model, id listing) {smaller['parent_peak_mib']:,.0f} / "
        f"{run['parent_peak_mib']:,.0f} MiB, workers (model, one chunk each) "
        f"{_mib(smaller['worker_peaks_mib'])} / {_mib(run['worker_peaks_mib'])} MiB, other "
        f"children {_mib(smaller['other_peaks_mib'])} / {_mib(run['other_peaks_mib'])} MiB"
    )
    print(
        f"  memory at {NATIONAL:,}: fixed {run['peak_rss_mib']:,.0f} MiB (the peaks above at "
        f"{run['employees']:,}, added up) + the id listing "
        f"{run['listing_bytes_per_employee']:.1f} bytes x {NATIONAL - run['employees']:,} more "
        f"employees = {run['national_listing_mib']:,.0f} MiB -> "
        f"{run['national_peak_mib'] / 1024:,.2f} GiB (target < {TARGET_GIB:.0f} GiB)"
    )


def _print_time(run: dict[str, Any], workers: int) -> None:
    smaller = run["smaller"]
    sizes = f"{smaller['employees']:,} / {run['employees']:,} employees scored"
    print(
        f"  CPU at {sizes} (the first half of the ranges / all; "
        f"{len(smaller['worker_peaks_mib'])} / {len(run['worker_peaks_mib'])} workers started; "
        f"load {smaller['load']:.1f} / {run['load']:.1f}): parent "
        f"{smaller['parent_cpu_seconds']:.2f} / {run['parent_cpu_seconds']:.2f} s, workers "
        f"{smaller['workers_cpu_seconds']:.2f} / {run['workers_cpu_seconds']:.2f} s, of which "
        f"per employee (stages, listing every id) "
        f"{sum(smaller['stage_cpu'].values()) + smaller['listing_cpu_seconds']:.2f} / "
        f"{sum(run['stage_cpu'].values()) + run['listing_cpu_seconds']:.2f} s; fixed (start-up) "
        f"parent {_seconds(run['parent_fixed_cpu_seconds'])} s, workers "
        f"{_seconds(run['workers_fixed_cpu_seconds'])} s"
    )
    parent, workers_fixed = (
        max(run[k]) for k in ("parent_fixed_cpu_seconds", "workers_fixed_cpu_seconds")
    )
    print(
        f"  time at {NATIONAL:,}: parent {parent:.2f} + {run['listing_us_per_employee']:.2f} us "
        f"x {NATIONAL:,} = {run['national_parent_cpu_seconds']:,.1f} CPU-s; scoring: workers' "
        f"start-up {workers_fixed:.2f} + {_per_employee(run)} us x {NATIONAL:,} = "
        f"{run['national_scoring_cpu_seconds']:,.1f} CPU-s; together "
        f"{run['national_cpu_seconds']:,.1f} CPU-s, on {workers} unshared cores "
        f"{run['national_parent_cpu_seconds']:,.1f} + {run['national_scoring_cpu_seconds']:,.1f}"
        f" / {workers} = {run['national_seconds']:,.1f} s (target < {TARGET_SECONDS:.0f} s)"
    )


def _per_employee(run: dict[str, Any]) -> str:
    """The CPU per employee at national size: the stages', with the database server's when
    it runs apart (PostgreSQL)."""
    stages, database = run["stage_cpu_us_per_row"], run["database_cpu_us_per_row"]
    if not database:
        return f"{stages:.1f}"
    return f"({stages:.1f} + database {database:.1f})"


def _seconds(values: list[float]) -> str:
    return " / ".join(f"{v:.2f}" for v in values)


def _print_run(label: str, run: dict[str, Any], args: argparse.Namespace) -> None:
    print(
        f"{label}: {run['employees']:,} employees in {run['seconds']:.1f} s = "
        f"{run['rows_per_s']:,.0f} rows/s ({run['rows_per_cpu_s']:,.0f} per CPU-second; "
        f"{run['flagged']:,} flagged, drivers for {args.drivers}); peak RSS "
        f"{run['peak_rss_mib']:,.0f} MiB, chunks of {args.chunk_size:,}"
    )
    print(
        f"  rows: {run['recomputed']:,} recomputed from their history "
        f"({run.get('sliced', 0):,} of them from the previous period's slices and the new "
        f"period's rows), {run['reused']:,} from stored features, {run['untouched']:,} left "
        "as stored"
    )
    stages = ", ".join(
        f"{k} {v:.1f} s ({run['stage_cpu'][k]:.1f} CPU)" for k, v in run["stages"].items()
    )
    print(
        f"  stages (summed over workers): {stages}; {run['stage_cpu_us_per_row']:.0f} us of "
        f"CPU per employee; the database server's {run['database_cpu_us_per_row']:.0f} us more"
    )
    _print_time(run, args.workers)
    _print_memory(run)


def report(
    runs: dict[str, dict[str, Any]],
    reads: dict[str, Any],
    listing_bytes: int,
    args: argparse.Namespace,
) -> None:
    figures = {name: _figures(run, listing_bytes, args.workers) for name, run in runs.items()}
    changed = f"{args.changed:.0%} of the employees changed"
    labels = {
        "full": "score (full: every history read)",
        "after_promotion": "re-score after a promotion (incremental)",
        "after_changes": f"re-score after {changed} (incremental)",
        "next_period": "a new period's first scoring (incremental: the previous slices)",
    }
    for name, label in labels.items():
        if name in figures:
            _print_run(label, figures[name], args)
    for name, read in reads.items():
        print(
            f"risk read in process ({name}): p50 {read['p50_ms']:.2f} ms, "
            f"p99 {read['p99_ms']:.2f} ms, {read['cpu_ms']:.2f} ms CPU each"
        )
    print(
        json.dumps(
            {
                "benchmark": "score",
                **figures["full"],
                "chunk_size": args.chunk_size,
                "drivers": args.drivers,
                "threads": args.threads,
                "workers": args.workers,
                "changed_fraction": args.changed,
                "after_promotion": figures["after_promotion"],
                "after_changes": figures["after_changes"],
                "next_period": figures.get("next_period"),
                "reads": reads,
            }
        )
    )


def _measure(directory: Path, args: argparse.Namespace) -> dict[str, dict[str, Any]]:
    """The three cases, each at two sizes (`_two_sizes`)."""
    runs = {"full": _two_sizes(directory, args, lambda: None, full=True)}
    url = args.database_url
    runs["after_promotion"] = _two_sizes(directory, args, lambda: _promote(url))
    runs["after_changes"] = _two_sizes(directory, args, lambda: _change(url, args.changed))
    if not args.postgresql:  # PostgreSQL keeps no slices: the case is the full one there
        runs["next_period"] = _two_sizes(directory, args, lambda: _new_period(directory, args))
    return runs


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
    parser.add_argument(
        "--chunk-size", type=int, default=25_000,
        help="employees per chunk, lowered to give at least two chunks per worker",
    )  # fmt: skip
    parser.add_argument(
        "--threads", type=int, help="OpenMP threads of the trees per process (2 / workers)"
    )
    parser.add_argument("--drivers", choices=("flagged", "all"), default="flagged")
    parser.add_argument(
        "--workers", type=int, default=2, help="scoring processes (default: the target's 2 cores)"
    )
    parser.add_argument(
        "--changed", type=float, default=0.01,
        help="fraction of employees whose scores go outdated before the last runs",
    )  # fmt: skip
    parser.add_argument(
        "--postgresql", metavar="ADMIN_URL", nargs="?", const=ADMIN_URL,
        help="score a PostgreSQL copy of the seeded data, in a database of its own created "
        f"through ADMIN_URL (default {ADMIN_URL}) and dropped afterwards",
    )  # fmt: skip
    args = parser.parse_args()
    if args.postgresql and args.sample:
        parser.error("--postgresql seeds its own database; it does not take --sample")
    if args.threads is None:
        args.threads = max(1, 2 // args.workers)
    with tempfile.TemporaryDirectory() as tmp, ExitStack() as stack:
        directory = args.sample or Path(tmp)
        if args.cache is not None:
            directory = args.cache / str(args.employees)
        if args.sample is None:
            _seed_and_train(directory, args.employees)  # returns at once when already built
        args.database_url = f"sqlite:///{directory / 'kinerja.db'}"
        if args.postgresql:
            from training.sample import seed_into

            args.database_url = stack.enter_context(postgresql_database(args.postgresql))
            seed_into(args.database_url, args.employees, SEED)  # the sample's records
        _migrate(args.database_url)
        employees, listing_bytes = _listing(args.database_url, args.chunk_size)
        args.chunk_size = chunk_size_for(employees, args.chunk_size, args.workers)
        runs = _measure(directory, args)
        reads = _reads(directory, args.database_url, args.reads) if args.reads else {}
    report(runs, reads, listing_bytes, args)


if __name__ == "__main__":
    main()
