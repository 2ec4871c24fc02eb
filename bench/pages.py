"""Benchmark: server-side render time of the pages on a seeded database.

Seeds N employees (default 10,000, one agency) with the synthetic generator into a fresh
SQLite file, gives the busiest supervisor exactly `--team` direct reports (default 50),
optionally trains and serves a risk model (`--train`), batch-scores everyone as
`kinerja score` does (unless `--no-score`), signs in through the login form of a Flask test
client and times, end to end (routing, use cases, queries, template or JSON):

- `/team` of that supervisor, first page (target < 300 ms for 50 reports, < 2 s beyond),
- `GET /api/v1/teams/me` of the same supervisor, first page (same targets),
- `/units/<root>/training-needs` of an HR user at the agency's root unit (target < 1 s),
- `/employees/<id>` of one team member, for reference,
- `/team` again with the batch scores removed (`team_live`: the team ranked live, as
  before the first `kinerja score` or after a new model version), `--live-repeat` times.

    python bench/pages.py [--employees 10000] [--team 50] [--repeat 15] [--seed 7]
                          [--train] [--no-score] [--live-repeat 1]

The last line printed is one JSON object for scripts (`bench/run.py`):
`{"bench": "pages", "employees", "team", "model", "scored", "load_average": [1, 5, 15 min],
"pages": {name: {"path", "median_ms", "max_ms", "cpu_median_ms", "runs", "target_ms",
"ok"}}}`
(`target_ms` and `ok` are null where a page has no target).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy import delete
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy import update

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from service import create_app  # noqa: E402
from service.db import Database  # noqa: E402
from service.db import make_database  # noqa: E402
from service.db import session_scope  # noqa: E402
from service.db.migrate import upgrade  # noqa: E402
from service.db.models import Employee  # noqa: E402
from service.db.models import RiskScore  # noqa: E402
from service.db.models import Unit  # noqa: E402
from service.db.reference_data import load_reference_data  # noqa: E402
from service.domain.users import create_user  # noqa: E402

PASSWORD = "bench-pages-password-1"
#: A team page of 50 people; larger teams show their first page (issue 6).
SMALL_TEAM = 50
TEAM_TARGETS_MS = {"small": 300.0, "large": 2000.0}
TARGETS_MS = {"unit": 1000.0}
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
#: CPU milliseconds of each timed request, by path (the test client runs in this process, so
#: CPU time is the page's own cost, whatever else the shared machine runs).
CPU_MS: dict[str, list[float]] = {}
PLAN_LABEL = "unit_training_plan (use case)"


def main() -> None:
    """Parse arguments, build the database, time each page, print the figures."""
    args = _arguments()
    results: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        database = build(home / "kinerja.db", args.employees, args.seed)
        supervisor_id, root_id, member_id = arrange(database, args.team)
        database.engine.dispose()
        config = _config(home)
        if args.train:
            train(config)
        if not args.no_score:
            score(config)
        app = create_app(config, use_env=False)
        print(f"{args.employees} employees seeded; team of {args.team}; root unit {root_id}")
        team_target = TEAM_TARGETS_MS["small" if args.team <= SMALL_TEAM else "large"]
        pages = {
            "team": ("web-supervisor", "/team", team_target),
            "team_api": ("web-supervisor", "/api/v1/teams/me", team_target),
            "unit": ("web-hr", f"/units/{root_id}/training-needs", TARGETS_MS["unit"]),
            "employee": ("web-supervisor", f"/employees/{member_id}", None),
        }
        for name, (username, path, target) in pages.items():
            results[name] = report(name, path, time_page(app, username, path, args.repeat), target)
        plan_ms = time_training_plan(app, root_id, max(1, args.repeat // 3))
        report("  of which", PLAN_LABEL, plan_ms, None)
        if args.live_repeat > 0:
            forget_scores(app)
            timings = time_page(app, "web-supervisor", "/team", args.live_repeat, warm=False)
            results["team_live"] = report("team_live", "/team", timings, None)
        app.extensions["db"].engine.dispose()
    summary = {
        "bench": "pages",
        "employees": args.employees,
        "team": args.team,
        "model": bool(args.train),
        "scored": not args.no_score,
        "load_average": [round(value, 2) for value in os.getloadavg()],
        "pages": results,
    }
    print(json.dumps(summary))


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--employees", type=int, default=10_000)
    parser.add_argument("--team", type=int, default=SMALL_TEAM)
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--train", action="store_true", help="train and serve a risk model")
    parser.add_argument(
        "--no-score", action="store_true", help="skip batch scoring: the team is ranked live"
    )
    parser.add_argument(
        "--live-repeat",
        type=int,
        default=1,
        help="renders of /team ranked live, after the batch scores are removed (0: none)",
    )
    return parser.parse_args()


def build(path: Path, employees: int, seed: int) -> Database:
    """Migrate a fresh SQLite file and seed `employees` synthetic employees into it."""
    from training.synthetic.config import SyntheticConfig
    from training.synthetic.seed import run_seed

    database = make_database(f"sqlite:///{path}")
    upgrade(database.engine)
    with session_scope(database) as session:
        load_reference_data(session)
    began = time.perf_counter()
    run_seed(database.engine, SyntheticConfig(employees=employees, seed=seed))
    print(f"seeded in {time.perf_counter() - began:.1f} s")
    return database


def arrange(database: Database, team: int) -> tuple[int, int, int]:
    """Give the busiest supervisor `team` direct reports; add the two logins.

    Returns the supervisor's id, the agency's root unit and one team member.
    """
    with session_scope(database) as session:
        reports = func.count(Employee.id)
        supervisor_id = session.execute(
            select(Employee.supervisor_id, reports)
            .where(Employee.supervisor_id.is_not(None))
            .group_by(Employee.supervisor_id)
            .order_by(reports.desc())
            .limit(1)
        ).one()[0]
        others = select(Employee.id).where(
            Employee.id != supervisor_id, Employee.supervisor_id != supervisor_id
        )
        current = session.scalar(select(reports).where(Employee.supervisor_id == supervisor_id))
        if current < team:
            chosen = others.order_by(Employee.id.desc()).limit(team - current)
            moved = list(session.scalars(chosen))
            session.execute(
                update(Employee).where(Employee.id.in_(moved)).values(supervisor_id=supervisor_id)
            )
        else:  # too many: the surplus reports to the supervisor's own supervisor instead
            mine = select(Employee.id).where(Employee.supervisor_id == supervisor_id)
            surplus = list(
                session.scalars(mine.order_by(Employee.id.desc()).limit(current - team))
            )
            boss = session.get(Employee, supervisor_id).supervisor_id
            session.execute(
                update(Employee).where(Employee.id.in_(surplus)).values(supervisor_id=boss)
            )
        count = session.scalar(select(reports).where(Employee.supervisor_id == supervisor_id))
        print(f"supervisor {supervisor_id} has {count} direct reports")
        root_id = session.scalar(select(Unit.id).where(Unit.parent_id.is_(None)).limit(1))
        team_of = select(Employee.id).where(Employee.supervisor_id == supervisor_id)
        member_id = session.scalar(team_of.limit(1))
        create_user(session, "web-supervisor", PASSWORD, "supervisor", supervisor_id)
        create_user(session, "web-hr", PASSWORD, "hr", None, root_id)
    return supervisor_id, root_id, member_id


def train(config: dict[str, str]) -> None:
    """Train, register and export the risk champion as `kinerja train` does."""
    from training.pipeline import run
    from training.register import Gates

    began = time.perf_counter()
    wide = Gates(max_ece=0.15, max_tpr_gap=0.5)  # a bench needs a champion, not a good one
    summary = run(
        config["DATABASE_URL"],
        config["MLFLOW_TRACKING_URI"],
        config["KINERJA_MODELS_DIR"],
        threads=1,
        gates=wide,
    )
    print(f"trained version {summary.version} in {time.perf_counter() - began:.1f} s")


def score(config: dict[str, str]) -> None:
    """Batch-score everyone for the latest period as `kinerja score` does."""
    from training.score import score_all

    summary = score_all(
        config["DATABASE_URL"],
        config["MLFLOW_TRACKING_URI"],
        config["KINERJA_MODELS_DIR"],
        threads=1,
    )
    print(f"scored {summary.employees} employees in {summary.seconds:.1f} s")


def forget_scores(app: Any) -> None:
    """Remove the batch scores, so the team is ranked live."""
    with app.extensions["db"].sessions() as session:
        session.execute(delete(RiskScore))
        session.commit()


def time_page(app: Any, username: str, path: str, repeat: int, warm: bool = True) -> list[float]:
    """Sign in as `username`, render `path` once to warm up, then `repeat` times (ms).

    API paths (`/api/...`) are called with a bearer token instead of the session.
    """
    client = app.test_client()
    headers = _sign_in(client, username, api=path.startswith("/api/"))
    if warm:
        first = client.get(path, headers=headers)
        if first.status_code != 200:
            raise SystemExit(f"{path} answered {first.status_code}")
    timings = []
    for _ in range(repeat):
        began, cpu = time.perf_counter(), time.process_time()
        answer = client.get(path, headers=headers)
        timings.append((time.perf_counter() - began) * 1000)
        CPU_MS.setdefault(path, []).append((time.process_time() - cpu) * 1000)
        if answer.status_code != 200:
            raise SystemExit(f"{path} answered {answer.status_code}")
    return timings


def _sign_in(client: Any, username: str, api: bool) -> dict[str, str]:
    if api:
        answer = client.post(
            "/api/v1/auth/token", json={"username": username, "password": PASSWORD}
        )
        return {"Authorization": f"Bearer {answer.get_json()['access_token']}"}
    token = _CSRF.search(client.get("/login").get_data(as_text=True)).group(1)
    client.post("/login", data={"username": username, "password": PASSWORD, "csrf_token": token})
    return {}


def time_training_plan(app: Any, unit_id: int, repeat: int) -> list[float]:
    """Time the unit page's use case alone, to tell its share from the page's own (ms)."""
    from service.domain.audit import Actor
    from service.domain.entities import Role
    from service.domain.training_plan import unit_training_plan

    hr = Actor(None, "web-hr", Role.HR, None, unit_id)
    timings = []
    for _ in range(repeat):
        with app.extensions["db"].sessions() as session:
            began, cpu = time.perf_counter(), time.process_time()
            unit_training_plan(session, hr, unit_id)
            timings.append((time.perf_counter() - began) * 1000)
            CPU_MS.setdefault(PLAN_LABEL, []).append((time.process_time() - cpu) * 1000)
            session.rollback()
    return timings


def report(name: str, path: str, timings: list[float], target: float | None) -> dict[str, Any]:
    """Print the median and the slowest render against the page's target; return them."""
    median = statistics.median(timings)
    ok = None if target is None else median < target
    verdict = "" if ok is None else ("  OK" if ok else "  OVER TARGET")
    limit = "" if target is None else f" (target < {target:.0f} ms)"
    slowest = max(timings)
    cpu = statistics.median(CPU_MS.pop(path)) if path in CPU_MS else None
    spent = "" if cpu is None else f"  CPU {cpu:7.1f} ms"
    print(
        f"{name:9s} {path:32s} median {median:7.1f} ms  max {slowest:7.1f} ms{spent}"
        f"{limit}{verdict}"
    )
    return {
        "path": path,
        "median_ms": round(median, 1),
        "max_ms": round(slowest, 1),
        "cpu_median_ms": None if cpu is None else round(cpu, 1),
        "runs": len(timings),
        "target_ms": target,
        "ok": ok,
    }


def _config(home: Path) -> dict[str, str]:
    return {
        "KINERJA_ENV": "demo",
        "KINERJA_LOG_LEVEL": "WARNING",  # one JSON line per request would bury the figures
        "KINERJA_HOME": str(home),
        "KINERJA_MODELS_DIR": str(home / "models"),
        "DATABASE_URL": f"sqlite:///{home / 'kinerja.db'}",
        "MLFLOW_TRACKING_URI": f"sqlite:///{home / 'mlflow.db'}",
    }


if __name__ == "__main__":
    main()
