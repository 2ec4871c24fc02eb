"""Benchmark: server-side render time of the pages on a seeded database.

Seeds N employees (default 10,000, one agency) with the synthetic generator into a fresh
SQLite file, gives the busiest supervisor exactly `--team` direct reports (default 50), signs
in through the login form of a Flask test client and times, end to end (routing, use cases,
queries, template):

- `/team` of that supervisor (target < 300 ms),
- `/units/<root>/training-needs` of an HR user at the agency's root unit (target < 1 s),
- `/employees/<id>` of one team member, for reference.

    python bench/pages.py [--employees 10000] [--team 50] [--repeat 15] [--seed 7]
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

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
from service.db.models import Unit  # noqa: E402
from service.db.reference_data import load_reference_data  # noqa: E402
from service.domain.users import create_user  # noqa: E402

PASSWORD = "bench-pages-password-1"
TARGETS_MS = {"team": 300.0, "unit": 1000.0}
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def main() -> None:
    """Parse arguments, build the database, time each page, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--employees", type=int, default=10_000)
    parser.add_argument("--team", type=int, default=50)
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        database = build(home / "kinerja.db", args.employees, args.seed)
        supervisor_id, root_id, member_id = arrange(database, args.team)
        database.engine.dispose()
        app = create_app(_config(home), use_env=False)
        print(f"{args.employees} employees seeded; team of {args.team}; root unit {root_id}")
        pages = {
            "team": ("web-supervisor", "/team"),
            "unit": ("web-hr", f"/units/{root_id}/training-needs"),
            "employee": ("web-supervisor", f"/employees/{member_id}"),
        }
        for name, (username, path) in pages.items():
            report(name, path, time_page(app, username, path, args.repeat))
        plan_ms = time_training_plan(app, root_id, max(1, args.repeat // 3))
        report("  of which", "unit_training_plan (use case)", plan_ms)
        app.extensions["db"].engine.dispose()


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
        moved = list(session.scalars(others.order_by(Employee.id.desc()).limit(team - current)))
        session.execute(
            update(Employee).where(Employee.id.in_(moved)).values(supervisor_id=supervisor_id)
        )
        root_id = session.scalar(select(Unit.id).where(Unit.parent_id.is_(None)).limit(1))
        team_of = select(Employee.id).where(Employee.supervisor_id == supervisor_id)
        member_id = session.scalar(team_of.limit(1))
        create_user(session, "web-supervisor", PASSWORD, "supervisor", supervisor_id)
        create_user(session, "web-hr", PASSWORD, "hr", None, root_id)
    return supervisor_id, root_id, member_id


def time_page(app: Any, username: str, path: str, repeat: int) -> list[float]:
    """Sign in as `username`, render `path` once to warm up, then `repeat` times (ms)."""
    client = app.test_client()
    token = _CSRF.search(client.get("/login").get_data(as_text=True)).group(1)
    client.post("/login", data={"username": username, "password": PASSWORD, "csrf_token": token})
    first = client.get(path)
    if first.status_code != 200:
        raise SystemExit(f"{path} answered {first.status_code}")
    timings = []
    for _ in range(repeat):
        began = time.perf_counter()
        client.get(path)
        timings.append((time.perf_counter() - began) * 1000)
    return timings


def time_training_plan(app: Any, unit_id: int, repeat: int) -> list[float]:
    """Time the unit page's use case alone, to tell its share from the page's own (ms)."""
    from service.domain.audit import Actor
    from service.domain.entities import Role
    from service.domain.training_plan import unit_training_plan

    hr = Actor(None, "web-hr", Role.HR, None, unit_id)
    timings = []
    for _ in range(repeat):
        with app.extensions["db"].sessions() as session:
            began = time.perf_counter()
            unit_training_plan(session, hr, unit_id)
            timings.append((time.perf_counter() - began) * 1000)
            session.rollback()
    return timings


def report(name: str, path: str, timings: list[float]) -> None:
    """Print the median and the slowest render, against the page's target."""
    median = statistics.median(timings)
    target = TARGETS_MS.get(name)
    verdict = "" if target is None else ("  OK" if median < target else "  OVER TARGET")
    limit = "" if target is None else f" (target < {target:.0f} ms)"
    slowest = max(timings)
    print(f"{name:9s} {path:32s} median {median:7.1f} ms  max {slowest:7.1f} ms{limit}{verdict}")


def _config(home: Path) -> dict[str, str]:
    return {
        "KINERJA_ENV": "demo",
        "KINERJA_HOME": str(home),
        "KINERJA_MODELS_DIR": str(home / "models"),
        "DATABASE_URL": f"sqlite:///{home / 'kinerja.db'}",
        "MLFLOW_TRACKING_URI": f"sqlite:///{home / 'mlflow.db'}",
    }


if __name__ == "__main__":
    main()
