"""Benchmark the risk retrain: time and peak memory, and the learning curve behind the cap.

A retrain reads at most RISK_TRAIN_MAX_EMPLOYEES employees (`training.sampling`), so its
cost has two parts: the sampled training (extract, fit, evaluate, register, export of at
most the cap), which stops growing at the cap, and the draw (one scan of every employee id
plus the hash), which grows with the database. Each run seeds N employees into a fresh
SQLite database (or reuses `--database`), times the draw alone (wall, and its Python peak
memory by tracemalloc), then times `training.pipeline.run` with the cap (wall, CPU of this
process, peak RSS). The national extrapolation adds the draw, scaled linearly in
employees, to the sampled training:

    python bench/train.py --employees 10000 30000
    python bench/train.py --employees 220000 --max-employees 100000

`--draw-at N --database F` times the draw alone over N employee rows copied from F (a
national-size employees table takes a minute to build; nothing else is read by the draw).
`--curve` instead extracts every employee once, holds out a hash sample of employees, fits
on nested samples of the others and prints ROC AUC on the same held-out rows per size:

    python bench/train.py --curve --database big.db --sizes 10000 30000 100000 200000
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path
from typing import Any

NATIONAL = 5_600_000


def seed(path: Path, employees: int) -> float:
    """Seed in a child process (so its memory is not counted); return seconds."""
    began = time.perf_counter()
    code = (
        "import sys; from pathlib import Path; from training.sample import seed_database; "
        "seed_database(Path(sys.argv[1]), int(sys.argv[2]), 2025)"
    )
    subprocess.run([sys.executable, "-c", code, str(path), str(employees)], check=True)
    return time.perf_counter() - began


def measure_draw(database_url: str, plan: Any, axis: bool = True) -> dict[str, float]:
    """Wall seconds and Python peak MiB of the part that grows with the database.

    The period axis (`axis`) is one index probe per period, read here to show it stays small.
    """
    from service.db import make_engine
    from training.extract import read_axis
    from training.sampling import draw_sample

    engine = make_engine(database_url)
    try:
        tracemalloc.start()
        began, cpu = time.perf_counter(), time.process_time()
        if axis:
            read_axis(engine)
        sample = draw_sample(engine, plan)
        seconds, cpu = time.perf_counter() - began, time.process_time() - cpu
        peak = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
    finally:
        engine.dispose()
    return {"population": sample.population, "sampled": sample.size, "seconds": seconds,
            "cpu_seconds": cpu, "peak_mib": peak}  # fmt: skip


def draw_at(source: Path, employees: int, plan: Any) -> None:
    """Time the draw over `employees` rows copied (new ids and NIPs) from `source`'s table.

    Only the employees table is built (its real schema and indexes): the draw reads nothing
    else, so this measures the part of a retrain that grows with the database at that size.
    """
    import sqlite3

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "employees.db"
        began = time.perf_counter()
        with sqlite3.connect(path) as connection:
            connection.execute("ATTACH DATABASE ? AS source", (str(source),))
            (size,) = connection.execute("SELECT max(id) FROM source.employees").fetchone()
            for (sql,) in connection.execute(
                "SELECT sql FROM source.sqlite_master WHERE tbl_name = 'employees' "
                "AND type IN ('table', 'index') AND sql IS NOT NULL ORDER BY type DESC"
            ).fetchall():
                connection.execute(sql)
            columns = [row[1] for row in connection.execute("PRAGMA main.table_info(employees)")]
            copied = ", ".join(
                {"id": "id + :offset", "nip": "printf('%018d', id + :offset)",
                 "supervisor_id": "supervisor_id + :offset"}.get(c, c) for c in columns
            )  # fmt: skip
            for offset in range(0, employees, size):
                connection.execute(
                    f"INSERT INTO employees SELECT {copied} FROM source.employees "
                    "WHERE id + :offset <= :last",
                    {"offset": offset, "last": employees},
                )
        built = time.perf_counter() - began
        draw = measure_draw(f"sqlite:///{path}", plan, axis=False)
    print(f"draw over {draw['population']:,} employees (table built in {built:.0f} s): "
          f"{draw['seconds']:.2f} s wall, {draw['cpu_seconds']:.2f} s CPU, Python peak "
          f"{draw['peak_mib']:.0f} MiB")  # fmt: skip
    print(json.dumps({"draw_at": {k: round(v, 3) for k, v in draw.items()}}))


def train(directory: Path, database_url: str, plan: Any, threads: int | None) -> dict[str, Any]:
    """Run the pipeline once; wall and CPU seconds, step marks and held-out metrics."""
    from training.pipeline import run

    steps: dict[str, float] = {}
    began, cpu = time.perf_counter(), time.process_time()
    summary = run(
        database_url,
        f"sqlite:///{directory / 'mlflow.db'}",
        directory / "models",
        on_step=lambda name: steps.setdefault(name, time.perf_counter() - began),
        threads=threads,
        sample=plan,
    )
    return {"seconds": time.perf_counter() - began, "cpu": time.process_time() - cpu,
            "steps": steps, "metrics": summary.metrics}  # fmt: skip


def national(result: dict[str, Any]) -> tuple[float, float]:
    """(minutes, GiB) at 5.6 million: sampled training at the cap plus the draw, linear.

    Above the cap the sampled training is constant (the same number of employees); below
    it, it is scaled linearly up to the cap (training was about linear in employees).
    """
    draw, cap = result["draw"], result["max_employees"] or NATIONAL
    to_cap = max(cap / result["train_employees"], 1.0)
    sampled = (result["train_seconds"] - draw["seconds"]) * to_cap
    seconds = sampled + draw["seconds"] * NATIONAL / result["employees"]
    mib = result["peak_rss_mib"] * to_cap + draw["peak_mib"] * NATIONAL / result["employees"]
    return seconds / 60, mib / 1024


def retrain(employees: int, plan: Any, threads: int | None, database: Path | None) -> None:
    """One measured retrain over `employees` (seeded here unless `database` is given)."""
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        path, seeding = database, 0.0
        if path is None:
            path = directory / "kinerja.db"
            seeding = seed(path, employees)
        url = f"sqlite:///{path}"
        draw = measure_draw(url, plan)
        done = train(directory, url, plan, threads)
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    metrics = done["metrics"]
    result = {"employees": draw["population"], "train_employees": draw["sampled"],
              "max_employees": plan.max_employees, "sample_seed": plan.seed,
              "train_seconds": round(done["seconds"], 2),
              "cpu_seconds": round(done["cpu"], 2), "peak_rss_mib": round(peak_mib),
              "draw": {k: round(v, 3) for k, v in draw.items()}}  # fmt: skip
    keys = ("roc_auc", "oracle_roc_auc", "baseline_rule_roc_auc", "ece", "fairness_max_tpr_gap")
    result.update({k: metrics.get(k) for k in keys})
    minutes, gib = national(result)
    result["national"] = {"minutes": round(minutes, 1), "gib": round(gib, 2)}
    marks = ", ".join(f"{k} at {v:.0f}s" for k, v in done["steps"].items())
    print(
        f"{result['employees']:>9,} employees (seed {seeding:.0f} s), trained on "
        f"{result['train_employees']:,}: {done['seconds']:.1f} s wall, {done['cpu']:.1f} s CPU "
        f"({marks}) | peak RSS {peak_mib:.0f} MiB | draw {draw['seconds']:.2f} s "
        f"({draw['cpu_seconds']:.2f} s CPU), "
        f"{draw['peak_mib']:.1f} MiB | roc_auc {metrics['roc_auc']:.4f} oracle "
        f"{metrics.get('oracle_roc_auc', float('nan')):.4f} rule "
        f"{metrics['baseline_rule_roc_auc']:.4f} ece {metrics['ece']:.4f} tpr gap "
        f"{metrics['fairness_max_tpr_gap']:.4f}",
        flush=True,
    )
    print(
        f"Extrapolation to {NATIONAL:,}: {minutes:.1f} min and {gib:.1f} GiB = the sampled "
        f"training at the cap ({plan.max_employees:,} employees; constant above it, scaled "
        "linearly up to it from a smaller database) + the draw (id scan and hash) scaled "
        "linearly in employees."
    )
    print(json.dumps(result))


def curve(database: Path, sizes: list[int], holdout: int, seed_: int, tracking: str) -> None:
    """Print (and log to MLflow) the learning curve on one extraction of `database`."""
    import pandas as pd

    from service.db import make_engine
    from training.extract import extract
    from training.extract import read_truth
    from training.learning_curve import held_out_employees
    from training.learning_curve import learning_curve
    from training.learning_curve import log_curve
    from training.train import split_periods

    engine = make_engine(f"sqlite:///{database}")
    try:
        data = extract(engine)
        split = split_periods(data.rows)
        held, _ = held_out_employees(data.rows, holdout, seed_)
        truth = read_truth(engine, split.test, held)
    finally:
        engine.dispose()
    known = None if truth is None else pd.Series(truth, index=held)
    table = learning_curve(data.rows, split, sizes, holdout, seed=seed_, truth=known)
    run_id = log_curve(table, tracking, {"population": data.sample.population,
                                         "holdout": holdout, "seed": seed_})  # fmt: skip
    rows = int(table["held_out_rows"].iloc[0])
    print(f"population {data.sample.population:,}; held out {holdout:,} employees "
          f"({rows:,} rows of {split.test}); MLflow run {run_id}")  # fmt: skip
    print(table.to_string(index=False, float_format=lambda v: f"{v:.4f}"))
    print(json.dumps({"learning_curve": table.round(4).to_dict(orient="records")}))


def main() -> None:
    from training.sampling import DEFAULT_MAX_EMPLOYEES
    from training.sampling import SamplePlan

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--employees", type=int, nargs="+", default=[10_000, 30_000])
    parser.add_argument("--max-employees", type=int, default=DEFAULT_MAX_EMPLOYEES)
    parser.add_argument("--sample-seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=None, help="OpenMP threads of the trees")
    parser.add_argument("--database", type=Path, help="an already seeded SQLite file to reuse")
    parser.add_argument("--curve", action="store_true", help="print the learning curve")
    parser.add_argument("--draw-at", type=int, help="time the draw alone over N employee rows")
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 30_000, 100_000])
    parser.add_argument("--holdout", type=int, default=20_000, help="held-out employees")
    parser.add_argument("--tracking", default="sqlite:///var/learning-curve-mlflow.db")
    args = parser.parse_args()
    if args.curve:
        if args.database is None:
            parser.error("--curve needs --database (seed one with kinerja seed)")
        curve(args.database, args.sizes, args.holdout, args.sample_seed, args.tracking)
        return
    plan = SamplePlan(args.max_employees, args.sample_seed)
    if args.draw_at:
        if args.database is None:
            parser.error("--draw-at needs --database (its employees are copied)")
        draw_at(args.database, args.draw_at, plan)
        return
    for employees in args.employees:
        retrain(employees, plan, args.threads, args.database)


if __name__ == "__main__":
    main()
