"""Benchmark the training recommender in-process on generated data (SQLite).

Wall-clock figures depend on what else the machine runs; CPU seconds are printed beside them.

Measures:
- one employee's recommendations (`recommend_trainings`, k=5, with the audit row committed,
  one session per call as a request has): p50/p99 latency with a trained model and with the
  rule fallback (target p99 <= 20 ms);
- the training plan of a unit of about `--employees` people (`unit_training_plan`): wall and
  CPU seconds (target < 2 s);
- with `--quality`, the held-out metrics of `training.recommender` against the generator's
  truth (ndcg_at_5 and gap_closure_at_3 beside the baselines and the oracle).

The data set is generated once into `--db` (default: a temporary file) with the synthetic
generator, one agency, so the root unit holds every employee. Run:

    python bench/recommend.py [--employees 10000] [--calls 500] [--db PATH] [--quality]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import Engine  # noqa: E402
from sqlalchemy import func  # noqa: E402
from sqlalchemy import select  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from service.db import make_engine  # noqa: E402
from service.db.migrate import upgrade  # noqa: E402
from service.db.models import Employee  # noqa: E402
from service.db.models import Unit  # noqa: E402
from service.domain.audit import Actor  # noqa: E402
from service.domain.entities import Role  # noqa: E402
from service.domain.ranking import GainModel  # noqa: E402
from service.domain.recommendations import RULE_MODEL  # noqa: E402
from service.domain.recommendations import ModelRef  # noqa: E402
from service.domain.recommendations import recommend_trainings  # noqa: E402
from service.domain.training_plan import unit_training_plan  # noqa: E402
from training.recommender.extract import History  # noqa: E402
from training.recommender.extract import choose_cutoff  # noqa: E402
from training.recommender.extract import heldout_profiles  # noqa: E402
from training.recommender.extract import read_history  # noqa: E402
from training.recommender.extract import read_truth  # noqa: E402
from training.recommender.extract import training_episodes  # noqa: E402
from training.recommender.model import fit_model  # noqa: E402
from training.recommender.report import evaluate_model  # noqa: E402
from training.synthetic.config import SyntheticConfig  # noqa: E402
from training.synthetic.seed import run_seed  # noqa: E402

P99_TARGET_MS = 20.0
PLAN_TARGET_S = 2.0
ADMIN = Actor(None, "bench", Role.ADMIN)
MODEL = ModelRef("kinerja-recommender", "bench", False)


def main() -> None:
    """Parse arguments, prepare the data and the model, print every figure."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--employees", type=int, default=10_000)
    parser.add_argument("--calls", type=int, default=500)
    parser.add_argument("--db", type=Path, default=None)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--quality", action="store_true")
    args = parser.parse_args()
    path = args.db or Path(tempfile.mkdtemp()) / "bench.db"
    engine = make_engine(f"sqlite:///{path}")
    prepare(engine, args.employees, args.seed)
    began = time.perf_counter()
    history = read_history(engine)
    model = fit_model(history.episodes, history.links)
    seconds = time.perf_counter() - began
    print(f"model fitted on {len(history.episodes):,} episodes in {seconds:.1f} s")
    for label, gains, ref in (("model", model, MODEL), ("fallback", None, RULE_MODEL)):
        single(engine, args.calls, gains, ref, label)
    for label, gains, ref in (("model", model, MODEL), ("fallback", None, RULE_MODEL)):
        plan(engine, gains, ref, label)
    if args.quality:
        quality(engine, history)
    engine.dispose()


def prepare(engine: Engine, employees: int, seed: int) -> None:
    """Migrate and seed the database unless it already holds employees."""
    upgrade(engine)
    with Session(engine) as session:
        present = session.scalar(select(func.count(Employee.id)))
    if present:
        print(f"using the existing data set: {present:,} employees")
        return
    began = time.perf_counter()
    config = SyntheticConfig(employees=employees, seed=seed, quarters=8, chunk_size=200_000)
    run_seed(engine, config)
    print(f"seeded {employees:,} employees in {time.perf_counter() - began:.1f} s")


def single(engine: Engine, calls: int, gains: GainModel | None, ref: ModelRef, label: str) -> None:
    """Time `calls` single-employee answers, each in its own session and committed."""
    with Session(engine) as session:
        ids = list(session.scalars(select(Employee.id).order_by(Employee.id)))
    step = max(len(ids) // calls, 1)
    timings = []
    cpu = time.process_time()
    for employee_id in (ids[::step] * 2)[:calls]:
        began = time.perf_counter()
        with Session(engine) as session:
            recommend_trainings(session, ADMIN, employee_id, k=5, gains=gains, model=ref)
            session.commit()
        timings.append((time.perf_counter() - began) * 1000)
    cpu_ms = (time.process_time() - cpu) * 1000 / len(timings)
    timings.sort()
    p50 = statistics.median(timings)
    p99 = timings[min(len(timings) - 1, int(0.99 * len(timings)))]
    verdict = "meets" if p99 <= P99_TARGET_MS else "misses"
    print(
        f"one employee ({label}): p50 {p50:.1f} ms, p99 {p99:.1f} ms over {len(timings)} calls, "
        f"{cpu_ms:.1f} ms CPU each ({verdict} the {P99_TARGET_MS:.0f} ms target)"
    )


def plan(
    engine: Engine, gains: GainModel | None, ref: ModelRef, label: str, repeats: int = 3
) -> None:
    """Time the root unit's training plan: best and median wall seconds, and CPU seconds."""
    with Session(engine) as session:
        root = session.scalar(select(Unit.id).where(Unit.parent_id.is_(None)).order_by(Unit.id))
    walls, cpus = [], []
    for _ in range(repeats):
        wall, cpu = time.perf_counter(), time.process_time()
        with Session(engine) as session:
            result = unit_training_plan(session, ADMIN, root, gains=gains, model=ref)
            session.rollback()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    verdict = "meets" if min(walls) < PLAN_TARGET_S else "misses"
    print(
        f"unit plan ({label}, {result.employees:,} employees, {len(result.programs)} programmes, "
        f"{result.jp_used:,.0f} JP): best {min(walls):.2f} s, median "
        f"{statistics.median(walls):.2f} s wall, {min(cpus):.2f} s CPU "
        f"({verdict} the {PLAN_TARGET_S:.0f} s target)"
    )


def quality(engine: Engine, history: History) -> None:
    """Print the held-out metrics against the truth (model, baselines, oracle)."""
    cutoff = choose_cutoff(history)
    profiles = heldout_profiles(engine, history, cutoff, 5_000, 0)
    episodes = training_episodes(history, cutoff)
    model = fit_model(episodes, history.links)
    prior = fit_model(episodes.iloc[:0], history.links)
    truth = read_truth(engine)
    report = evaluate_model(model, prior, history, cutoff, profiles, truth)
    for name, value in sorted(report.metrics.items()):
        print(f"  {name:40s} {value:10.4f}")


if __name__ == "__main__":
    main()
