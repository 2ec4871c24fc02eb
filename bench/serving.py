"""Risk read and evaluation write through `kinerja serve`, next to their ceilings and the peer.

One installation (`training.sample`: seeded database, MLflow store, exported champion, every
employee batch-scored as `kinerja score --drivers all` does, or `--drivers flagged`) is served
in turn, each on loopback with the same number of workers, and loaded by wrk:

- `kinerja serve` (production settings): GET /api/v1/employees/{id}/risk by a supervisor over
  their direct reports (audited reads, answered from the stored scores), the same by an
  employee for themself (no audit row), the supervisor's reads again after their reports'
  stored scores are deleted (computed live from the history), and POST /employees/{id}/evaluations
  by a supervisor of `--writers` new employees, a new (employee, period) each time, counted
  in the database afterwards (SQLite in WAL mode);
- plain Flask (bench/plain_flask.py) and a bare WSGI app (bench/wsgi_ceiling.py) under
  gunicorn with kinerja's worker class and threads: GET and POST of a small JSON document;
- `mlflow models serve` with the same champion, one row per POST (bench/mlflow_peer.py).

Every server gets a short warm-up (each worker loads its model) before it is measured, and
a gunicorn worker holds at most its share of wrk's connections plus its threads (gunicorn's
`worker_connections`, `loopback.balanced_connections`), so that both workers serve in every
run: left to gunicorn's default, one worker took all 16 in some runs and the figures of the
same code varied twofold. Uvicorn, under the peer, has no such cap: its wrk is started again
until they are spread (bench/mlflow_peer.py). Each row says how many connections each
worker held half-way through.

    python bench/serving.py [--employees 2000] [--seconds 10] [--connections 16] [--workers 2]
                            [--worker-connections N] [--sample DIR] [--no-peer]
                            [--kinerja-only] [--drivers all|flagged]

Prints a table (with the server's CPU milliseconds per request, every process of its group:
the figure to compare on a shared machine), then one JSON line (the last line of the output).
"""

from __future__ import annotations

import argparse
import json
import secrets
import sqlite3
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import loopback  # noqa: E402
import mlflow_peer  # noqa: E402

BENCH = Path(__file__).resolve().parent
PASSWORD = "bench-serving-password-1"
WARM_UP_SECONDS = 2.0
RISK_SCRIPT = """
local ids = {}
local counter = 0
function init(args)
  token = args[1]
  for id in string.gmatch(args[2], "%d+") do ids[#ids + 1] = id end
end
request = function()
  counter = counter + 1
  local path = "/api/v1/employees/" .. ids[counter % #ids + 1] .. "/risk"
  return wrk.format("GET", path, {["Authorization"] = "Bearer " .. token})
end
"""
WRITE_SCRIPT = """
local threads = 0
function setup(thread)
  thread:set("tid", threads)
  threads = threads + 1
end
local counter = 0
function init(args)
  token = args[1]; first = tonumber(args[2]); count = tonumber(args[3]); tid = tid or 0
end
request = function()
  counter = counter + 1
  local n = counter * 2 + tid
  local month = math.floor(n / count)
  local period = string.format("%d-%02d", 1990 + math.floor(month / 12), month % 12 + 1)
  local body = '{"period":"' .. period .. '","work_result_rating":"sesuai_ekspektasi",'
    .. '"behavior_rating":"di_atas_ekspektasi"}'
  local headers = {["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. token}
  return wrk.format("POST", "/api/v1/employees/" .. (first + n % count) .. "/evaluations",
                    headers, body)
end
"""
JSON_POST_SCRIPT = """
wrk.method = "POST"
wrk.body = '{"period":"2025-01","work_result_rating":"sesuai_ekspektasi"}'
wrk.headers["Content-Type"] = "application/json"
"""


def add_logins(sample: Path) -> list[int]:
    """Logins for the supervisor with the most direct reports and for their first report.

    Returns the reports' ids (whose risk the supervisor reads).
    """
    from sqlalchemy import func
    from sqlalchemy import select

    from service.db.models import Employee
    from service.domain.entities import Role
    from service.domain.users import create_user

    with _session(sample) as session:
        boss, _ = session.execute(
            select(Employee.supervisor_id, func.count())
            .where(Employee.supervisor_id.is_not(None))
            .group_by(Employee.supervisor_id)
            .order_by(func.count().desc(), Employee.supervisor_id)
            .limit(1)
        ).one()
        query = select(Employee.id).where(Employee.supervisor_id == boss)
        reports = sorted(session.scalars(query))
        create_user(session, "bench-supervisor", PASSWORD, Role.SUPERVISOR, boss)
        create_user(session, "bench-employee", PASSWORD, Role.EMPLOYEE, reports[0])
    return reports


def add_writers_team(sample: Path, writers: int) -> int:
    """A rater's login and `writers` new direct reports without history (only rated).

    Returns the first report's id; the others follow it consecutively.
    """
    from sqlalchemy import select

    from service.db.models import Employee
    from service.domain.entities import Role
    from service.domain.users import create_user

    with _session(sample) as session:
        template = session.scalars(select(Employee).limit(1)).one()
        place = {"unit_id": template.unit_id, "position_id": template.position_id}
        rater = Employee(nip=_bench_nip(0), name="Penilai Bench", **place)
        session.add(rater)
        session.flush()
        team = [
            Employee(nip=_bench_nip(n + 1), name=f"Bench {n}", supervisor_id=rater.id, **place)
            for n in range(writers)
        ]
        session.add_all(team)
        session.flush()
        ids = [employee.id for employee in team]
        if ids != list(range(ids[0], ids[0] + writers)):
            raise RuntimeError("the writers' ids are not consecutive")
        create_user(session, "bench-rater", PASSWORD, Role.SUPERVISOR, rater.id)
    return ids[0]


@contextmanager
def _session(sample: Path) -> Iterator[Any]:
    """A committing session on the sample's database (migrated to the code's schema first)."""
    from service.db import make_database
    from service.db import session_scope
    from service.db.migrate import upgrade

    database = make_database(f"sqlite:///{sample / 'kinerja.db'}")
    try:
        upgrade(database.engine)
        with session_scope(database) as session:
            yield session
    finally:
        database.engine.dispose()


def kinerja_environment(sample: Path, home: Path) -> dict[str, str]:
    """`kinerja serve` on the sample's stores, with production settings."""
    return loopback.environment(
        DATABASE_URL=f"sqlite:///{sample / 'kinerja.db'}",
        MLFLOW_TRACKING_URI=f"sqlite:///{sample / 'mlflow.db'}",
        KINERJA_MODELS_DIR=str(sample / "models"),
        KINERJA_HOME=str(home),
        KINERJA_ENV="production",
        KINERJA_SECRET_KEY=secrets.token_hex(32),
    )


def serve_command(port: int, workers: int, worker_connections: int | None = None) -> list[str]:
    """`kinerja serve` on loopback with `workers` gunicorn workers (and `worker_connections`)."""
    command = [
        str(loopback.VENV_BIN / "kinerja"), "serve", "--host", "127.0.0.1", "--port", str(port),
        "--workers", str(workers),
    ]  # fmt: skip
    if worker_connections:
        command += ["--worker-connections", str(worker_connections)]
    return command


def worker_connections(args: argparse.Namespace) -> int | None:
    """Every gunicorn contender's `worker_connections`: `--worker-connections`, or by default
    wrk's connections spread evenly over the workers (0: gunicorn's default, 1,000)."""
    if args.worker_connections is None:
        return loopback.balanced_connections(args.connections, args.workers)
    return args.worker_connections or None


def _bench_nip(number: int) -> str:
    """18 digits starting 99, which no generated NIP (a birth date) does."""
    return f"99{number:016d}"


def measure_kinerja(
    sample: Path, team: dict[str, Any], args: argparse.Namespace, work: Path
) -> dict[str, Any]:
    """Serve the sample with `kinerja serve`; measure risk reads and evaluation writes."""
    port = loopback.free_port()
    env = kinerja_environment(sample, work)
    command = serve_command(port, args.workers, worker_connections(args))
    base = f"http://127.0.0.1:{port}"
    log = work / "kinerja-serve.log"
    with loopback.running(command, env, log) as process:
        loopback.wait_until_answers(f"{base}/readyz", process, log=log)
        loopback.wait_until_loaded(f"{base}/readyz")
        supervisor, employee, rater = (
            token(base, name) for name in ("bench-supervisor", "bench-employee", "bench-rater")
        )
        ids = ",".join(map(str, team["reports"]))
        risk = (work / "risk.lua", RISK_SCRIPT, [supervisor, ids])
        sample_answer = get_json(f"{base}/api/v1/employees/{team['reports'][0]}/risk", supervisor)
        _wrk(args, f"{base}/", risk, seconds=WARM_UP_SECONDS)
        server = process.pid
        results = {
            "risk_read": _wrk(args, f"{base}/", risk, server=server),
            "risk_read_self": _wrk(
                args,
                f"{base}/api/v1/employees/{team['reports'][0]}/risk",
                headers={"Authorization": f"Bearer {employee}"},
                server=server,
            ),
        }
        forget_scores(sample, team["reports"])
        results["risk_read_live"] = _wrk(args, f"{base}/", risk, server=server)
        first, count = str(team["first_writer"]), str(team["writers"])
        write = (work / "write.lua", WRITE_SCRIPT, [rater, first, count])
        before = count_evaluations(sample)
        results["evaluation_write"] = _wrk(args, f"{base}/", write, server=server)
        stored = count_evaluations(sample) - before
    results["evaluation_write"]["stored"] = stored
    duration = results["evaluation_write"]["duration_s"] or args.seconds
    results["evaluation_write"]["stored_per_s"] = round(stored / duration, 1)
    results["risk_answer"] = {
        key: sample_answer.get(key) for key in ("status", "flagged", "fallback", "model")
    }
    return results


def measure_ceiling(app: str, args: argparse.Namespace, work: Path) -> dict[str, Any]:
    """Serve bench/<app> under gunicorn like kinerja; measure a JSON GET and a JSON POST."""
    port = loopback.free_port()
    command = loopback.gunicorn_command(app, port, args.workers, BENCH, worker_connections(args))
    path = "/json" if app.startswith("plain_flask") else "/"
    url = f"http://127.0.0.1:{port}{path}"
    name = app.split(":")[0]
    log = work / f"{name}.log"
    with loopback.running(command, loopback.environment(), log) as process:
        loopback.wait_until_answers(url, process, log=log)
        _wrk(args, url, seconds=WARM_UP_SECONDS)
        post = (work / "post.lua", JSON_POST_SCRIPT, [])
        server = process.pid
        return {
            "read": _wrk(args, url, server=server),
            "write": _wrk(args, url, post, server=server),
        }


def _wrk(
    args: argparse.Namespace,
    url: str,
    script: tuple[Path, str, list[str]] | None = None,
    headers: dict[str, str] | None = None,
    seconds: float | None = None,
    server: int | None = None,
) -> dict[str, Any]:
    """wrk's figures; with `server` (a process group), also its CPU (`loopback.cpu_figures`).

    The machine may be shared, so wall-clock rates are noisy; the server's CPU time per
    request (every process of its group: arbiter, workers and their threads) is not, and
    the workers' CPU shows whether wrk's connections kept both of them busy.
    """
    path = None
    if script is not None:
        path = script[0]
        path.write_text(script[1])
    return loopback.run_wrk(
        url,
        args.connections,
        seconds or args.seconds,
        script=path,
        script_args=script[2] if script else None,
        headers=headers,
        server=(server, args.workers) if server is not None else None,
    )


def token(base: str, username: str) -> str:
    """A bearer token for one of the benchmark's logins."""
    body = json.dumps({"username": username, "password": PASSWORD}).encode()
    request = urllib.request.Request(
        f"{base}/api/v1/auth/token", body, {"Content-Type": "application/json"}, method="POST"
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return str(json.loads(response.read())["access_token"])


def get_json(url: str, bearer: str) -> dict[str, Any]:
    """GET an API document with a bearer token."""
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {bearer}"})
    with urllib.request.urlopen(request, timeout=60) as response:
        return dict(json.loads(response.read()))


def rescore(sample: Path, drivers: str) -> None:
    """`kinerja score --drivers <drivers>` on the sample, in a child process."""
    code = (
        "import sys; from training.score import score_all; d = sys.argv[1]; "
        "score_all(f'sqlite:///{d}/kinerja.db', f'sqlite:///{d}/mlflow.db', f'{d}/models', "
        "explain=sys.argv[2])"
    )
    subprocess.run(
        [sys.executable, "-c", code, str(sample), drivers],
        check=True,
        cwd=loopback.ROOT,
        env=loopback.environment(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def forget_scores(sample: Path, employee_ids: list[int]) -> None:
    """Delete the stored scores of `employee_ids`: their reads are then computed live."""
    marks = ",".join("?" * len(employee_ids))
    with sqlite3.connect(sample / "kinerja.db") as connection:
        connection.execute(f"DELETE FROM risk_scores WHERE employee_id IN ({marks})", employee_ids)


def count_evaluations(sample: Path) -> int:
    with sqlite3.connect(sample / "kinerja.db") as connection:
        return int(connection.execute("SELECT count(*) FROM evaluations").fetchone()[0])


def measure_all(args: argparse.Namespace, work: Path) -> dict[str, Any]:
    """Every server of the comparison, one after the other, on one sample."""
    sample = loopback.sample_copy(args.sample, work / "sample", args.employees)
    team = {
        "reports": add_logins(sample),
        "first_writer": add_writers_team(sample, args.writers),
        "writers": args.writers,
    }
    rescore(sample, args.drivers)
    results: dict[str, Any] = {"kinerja": measure_kinerja(sample, team, args, work)}
    if args.ceilings:
        results["plain_flask"] = measure_ceiling("plain_flask:app", args, work)
        results["wsgi"] = measure_ceiling("wsgi_ceiling:app", args, work)
    if args.peer and args.ceilings:
        tracking_uri = f"sqlite:///{sample / 'mlflow.db'}"
        results["mlflow_peer"] = mlflow_peer.measure_peer(
            tracking_uri, work, args.connections, args.seconds, args.workers
        )
    results["settings"] = {
        "connections": args.connections,
        "seconds": args.seconds,
        "workers": args.workers,
        "worker_connections": worker_connections(args),
        "employees": args.employees if args.sample is None else None,
        "risk_reports": len(team["reports"]),
        "drivers": args.drivers,
    }
    return results


def print_table(results: dict[str, Any]) -> None:
    """One line per measured endpoint: requests/s, p50, p99, server CPU ms, non-2xx, the
    connections each worker held half-way, and the workers' balance (the least busy
    worker's CPU over the busiest one's)."""
    rows = [
        ("kinerja risk read (supervisor, audited)", results["kinerja"]["risk_read"]),
        ("kinerja risk read (own)", results["kinerja"]["risk_read_self"]),
        ("kinerja risk read, live (no stored score)", results["kinerja"]["risk_read_live"]),
        ("kinerja evaluation write", results["kinerja"]["evaluation_write"]),
    ]
    if "plain_flask" in results:
        rows += [
            ("plain Flask JSON GET", results["plain_flask"]["read"]),
            ("plain Flask JSON POST", results["plain_flask"]["write"]),
            ("bare WSGI JSON GET", results["wsgi"]["read"]),
            ("bare WSGI JSON POST", results["wsgi"]["write"]),
        ]
    if "mlflow_peer" in results:
        rows.append(("mlflow models serve, one row", results["mlflow_peer"]))
    print(
        f"{'endpoint':42} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'CPU ms':>7} {'non-2xx':>8} "
        f"{'conns':>6} {'balance':>7}"
    )
    for name, figures in rows:
        held = "/".join(map(str, figures.get("worker_connections_held", [])))
        print(
            f"{name:42} {figures['rps'] or 0:9.0f} {figures['p50_ms'] or 0:8.2f} "
            f"{figures['p99_ms'] or 0:8.2f} {figures.get('server_cpu_ms') or 0:7.3f} "
            f"{figures['non_2xx']:8d} {held:>6} {figures.get('worker_balance') or 0:7.2f}"
        )
    write = results["kinerja"]["evaluation_write"]
    print(f"evaluations stored: {write['stored']} ({write['stored_per_s']}/s)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--employees", type=int, default=2000, help="size of the new sample")
    parser.add_argument("--sample", type=Path, help="serve this training.sample directory")
    parser.add_argument("--writers", type=int, default=2000, help="employees the writes rate")
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--worker-connections",
        type=int,
        help="gunicorn's worker_connections for every gunicorn contender (default: "
        "connections / workers, rounded up, which spreads wrk's connections evenly; "
        "0: gunicorn's default of 1,000, where one worker may take most of them)",
    )
    parser.add_argument("--no-peer", dest="peer", action="store_false")
    parser.add_argument(
        "--kinerja-only",
        dest="ceilings",
        action="store_false",
        help="measure `kinerja serve` alone (no plain Flask, bare WSGI or peer)",
    )
    parser.add_argument(
        "--drivers",
        choices=("all", "flagged"),
        default="all",
        help="batch-score the sample with `kinerja score --drivers` this before serving",
    )
    args = parser.parse_args()
    loopback.measure_and_print("serving", measure_all, print_table, args)


if __name__ == "__main__":
    main()
