"""Benchmark: import a CSV of evaluations (default 100k rows) on SQLite and PostgreSQL.

Builds N employees with bulk inserts in a fresh SQLite file and in a fresh PostgreSQL
database (created through the admin URL and dropped afterwards), writes one CSV row per
employee, then measures, per backend:

* the figure: `import_evaluations` + commit, end to end, from the file's bytes to committed
  rows (parse, validate every row, look up NIPs, write, write one audit row per employee
  written as every import does, commit). Wall seconds, and this process's CPU seconds
  (PostgreSQL's backend CPU is printed apart, read from /proc, with the time the backend
  waited, runnable, for a CPU: on 2 shared cores that is most of wall minus CPU; on
  2026-12-07 its COPY of 100k rows waited 0.2-1.9 s beside 1.0-1.2 s of CPU, no I/O wait
  to speak of: one fdatasync, at the commit). pandas and pyarrow are
  imported, and an import of the first 100 rows is run and rolled back, before the clock
  starts, as in a running service. The target is at least 100,000 rows/s wall.
* again: the same import on the emptied table (the first one also grew the database file
  and, on SQLite, the WAL). Both print the system CPU and the page faults of this process:
  the first large import in a process touches memory it never used, and a page fault costs
  several microseconds on a virtual machine, which is most of what the first run pays more.
* the split: the same steps timed one by one on a third run (the table emptied before);
  "parse" includes reading every employee on a second thread meanwhile, "validate+audit"
  the audit rows the database writes meanwhile (from a second thread).
* the floor: a bare write of the same, already validated rows (COPY of the rendered CSV on
  PostgreSQL, one `executemany` on SQLite) + commit, with nothing parsed or checked: what
  the database alone costs for these rows. The import's ratio to it is printed.

With `--rater` every row is rated by one employee, as in an API import (the importer is the
rater): on PostgreSQL each row then pays a second key check. Without it the rows have no
rater, as in `kinerja import`.

The last line is one JSON object with the figures of every backend and the load average
(for `bench/run.py`).

    python bench/import.py [--employees 100000] [--backends sqlite,postgresql] [--rater]
        [--profile]
"""

from __future__ import annotations

import argparse
import cProfile
import csv
import io
import json
import os
import pstats
import random
import resource
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pandas  # noqa: F401  (loaded as in a running service; pyarrow imports it lazily)
import pyarrow  # noqa: F401
import pyarrow.compute as pc
from sqlalchemy import delete
from sqlalchemy import func
from sqlalchemy import insert
from sqlalchemy import select

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from scratch_database import ADMIN_URL  # noqa: E402
from scratch_database import postgresql_database  # noqa: E402

from service.db import Database  # noqa: E402
from service.db import make_database  # noqa: E402
from service.db.migrate import upgrade  # noqa: E402
from service.db.models import Employee  # noqa: E402
from service.db.models import Evaluation  # noqa: E402
from service.db.models import Position  # noqa: E402
from service.db.models import Unit  # noqa: E402
from service.db.repositories.imports_bulk import insert_evaluation_table  # noqa: E402
from service.domain.audit import Actor  # noqa: E402
from service.domain.audit import AuditAction  # noqa: E402
from service.domain.audit import entry  # noqa: E402
from service.domain.entities import BerakhlakValue  # noqa: E402
from service.domain.entities import Rating  # noqa: E402
from service.domain.entities import Role  # noqa: E402
from service.domain.evaluation_input import WRITE_COLUMNS  # noqa: E402
from service.domain.evaluation_input import ensure_periods  # noqa: E402
from service.domain.import_arrow import read_arrow  # noqa: E402
from service.domain.import_columns import candidates  # noqa: E402
from service.domain.import_columns import fast_table  # noqa: E402
from service.domain.import_columns import named  # noqa: E402
from service.domain.import_lookup import Known  # noqa: E402
from service.domain.import_lookup import everyone_ahead  # noqa: E402
from service.domain.imports import audit_meanwhile  # noqa: E402
from service.domain.imports import import_evaluations  # noqa: E402

TARGET_ROWS_PER_SECOND = 100_000
UNITS = 50
CHUNK = 10_000
WARM_UP = 100  # rows imported and rolled back before the clock starts
ACTOR = Actor(user_id=None, username="bench", role=Role.ADMIN)  # as `kinerja import` audits


def main() -> None:
    """Parse arguments, run each backend, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--employees", type=int, default=100_000)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--admin-url", default=ADMIN_URL)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--profile", action="store_true", help="cProfile the import")
    parser.add_argument("--rater", action="store_true", help="one rater for every row (API)")
    args = parser.parse_args()
    nips = [make_nip(n) for n in range(args.employees)]
    content = evaluation_csv(nips, random.Random(args.seed))
    print(f"CSV: {args.employees} rows, {len(content) / 1e6:.1f} MB")
    print(
        "figure: import_evaluations + commit from the CSV bytes (parse, check every row, look up "
        "NIPs, write them and an audit row per employee, commit), after a 100-row warm-up; "
        "wall, and CPU of this process (+ the PostgreSQL backend's)"
    )
    summary: dict[str, object] = {
        "benchmark": "import",
        "rows": args.employees,
        "megabytes": round(len(content) / 1e6, 1),
        "target_rows_per_second": TARGET_ROWS_PER_SECOND,
        "rater": args.rater,
        "load_average_before": list(os.getloadavg()),
    }
    backends: dict[str, dict[str, object]] = {}
    for backend in args.backends.split(","):
        with database_for(backend, args.admin_url) as database:
            build_employees(database, nips)
            rater = first_employee(database) if args.rater else None
            seconds, cpu, served, system, queued = timed_import(
                database, content, rater, args.profile
            )
            stored = count_evaluations(database)
            empty_evaluations(database)
            again = timed_import(database, content, rater, False)
            split = timed_steps(database, content, rater)
            floor = timed_floor(database)
        rate = stored / seconds
        verdict = "meets" if rate >= TARGET_ROWS_PER_SECOND else "MISSES"
        server = ""
        if served is not None:
            server = f", {served:.2f} s CPU in PostgreSQL, which waited {queued:.2f} s for a CPU"
        print(
            f"{backend:<10} {stored} rows in {seconds:.2f} s wall "
            f"({cpu:.2f} s CPU here{server}) = "
            f"{rate:,.0f} rows/s ({verdict} the {TARGET_ROWS_PER_SECOND:,} rows/s target)"
        )
        print(
            f"  again, on the emptied table (file and WAL grown already): {again[0]:.2f} s wall "
            f"({again[1]:.2f} s CPU here) = {stored / again[0]:,.0f} rows/s"
        )
        print(
            f"  system CPU here / page faults: first {system[0]:.2f} s / {system[1]:,}, "
            f"again {again[3][0]:.2f} s / {again[3][1]:,}"
        )
        print("  split (wall / CPU here): " + ", ".join(
            f"{step} {wall:.3f}/{used:.3f}" for step, (wall, used) in split.items()
        ))  # fmt: skip
        floor_server = "" if floor[2] is None else f", {floor[2]:.2f} s CPU in PostgreSQL"
        print(
            f"  floor: bare write + commit {floor[0]:.2f} s wall ({floor[1]:.2f} s CPU here"
            f"{floor_server}) = "
            f"{stored / floor[0]:,.0f} rows/s; the import takes {seconds / floor[0]:.1f}x that"
        )
        backends[backend] = {
            "stored": stored,
            "seconds": round(seconds, 3),
            "cpu_seconds": round(cpu, 3),
            "rows_per_second": round(rate),
            "rows_per_cpu_second": round(stored / cpu) if cpu else None,
            "met": rate >= TARGET_ROWS_PER_SECOND,
            "split": {
                step: [round(wall, 3), round(used, 3)] for step, (wall, used) in split.items()
            },
            "again_seconds": round(again[0], 3),
            "again_cpu_seconds": round(again[1], 3),
            "system_seconds": round(system[0], 3),
            "page_faults": system[1],
            "again_system_seconds": round(again[3][0], 3),
            "again_page_faults": again[3][1],
            "floor_seconds": round(floor[0], 3),
            "floor_cpu_seconds": round(floor[1], 3),
            "server_cpu_seconds": None if served is None else round(served, 3),
            "server_queued_seconds": None if served is None else round(queued, 3),
            "floor_server_cpu_seconds": None if floor[2] is None else round(floor[2], 3),
        }
    summary["backends"] = backends
    summary["load_average_after"] = list(os.getloadavg())
    print(json.dumps(summary))


def make_nip(number: int) -> str:
    """Return 18 digits shaped like a NIP (date, hire month, gender, serial), unique per number."""
    born = 19600101 + number % 400_000
    return f"{born:08d}{200501 + number % 12:06d}1{number // 400_000:03d}"


def evaluation_csv(nips: list[str], rng: random.Random) -> bytes:
    """Write one evaluation per NIP with random ratings, values and some feedback."""
    ratings = [rating.value for rating in Rating]
    values = [value.value for value in BerakhlakValue]
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(
        ["nip", "period", "work_result_rating", "behavior_rating", *values, "feedback"]
    )
    for nip in nips:
        feedback = rng.choice(["", "Pertahankan kinerja, tingkatkan kolaborasi tim.", ""])
        row = [nip, "2025-Q1", rng.choice(ratings), rng.choice(ratings)]
        writer.writerow([*row, *(rng.choice(ratings) for _ in values), feedback])
    return buffer.getvalue().encode()


@contextmanager
def database_for(backend: str, admin_url: str) -> Iterator[Database]:
    """Yield a freshly migrated database of the backend; remove it afterwards."""
    if backend == "sqlite":
        with tempfile.TemporaryDirectory() as directory:
            database = make_database(f"sqlite:///{directory}/bench.db")
            upgrade(database.engine)
            yield database
            database.engine.dispose()
        return
    with postgresql_database(admin_url) as url:
        database = make_database(url)
        upgrade(database.engine)
        yield database
        database.engine.dispose()


def build_employees(database: Database, nips: list[str]) -> None:
    """Insert a unit tree, a position and one employee per NIP, in bulk."""
    with database.engine.begin() as connection:
        root = connection.execute(insert(Unit).values(name="Root").returning(Unit.id)).scalar_one()
        units = [{"name": f"Unit {n}", "parent_id": root} for n in range(UNITS)]
        connection.execute(insert(Unit), units)
        unit_ids = list(connection.scalars(select(Unit.id).where(Unit.parent_id == root)))
        position = connection.execute(
            insert(Position).values(title="Analis", kind="fungsional").returning(Position.id)
        ).scalar_one()
        for start in range(0, len(nips), CHUNK):
            rows = [
                {
                    "nip": nip,
                    "name": f"Pegawai {start + i}",
                    "unit_id": unit_ids[(start + i) % UNITS],
                    "position_id": position,
                }
                for i, nip in enumerate(nips[start : start + CHUNK])
            ]
            connection.execute(insert(Employee), rows)


def first_employee(database: Database) -> int:
    """The id of the first employee (the rater of every row with `--rater`)."""
    with database.sessions() as session:
        return int(session.scalar(select(func.min(Employee.id))) or 0)


def timed_import(
    database: Database, content: bytes, rater: int | None, profile: bool
) -> tuple[float, float, float | None, tuple[float, int], float]:
    """Run import_evaluations and commit; return wall, this process's CPU seconds, the
    PostgreSQL backend's CPU seconds (None on SQLite, which runs in this process), this
    process's system CPU seconds and minor page faults, and the seconds the backend waited
    for a CPU (0.0 on SQLite)."""
    profiler = cProfile.Profile() if profile else None
    with database.sessions() as session:  # warm up, as a serving process is: 100 rows, undone
        warm_up = b"\n".join(content.split(b"\n", WARM_UP + 1)[:-1])
        import_evaluations(session, warm_up, "w.csv", rater_id=rater, actor=ACTOR)
        session.rollback()
    with database.sessions() as session:
        backend = server_pid(session.connection())
        started, cpu, served = time.perf_counter(), time.process_time(), server_cpu(backend)
        queued = server_queued(backend)
        usage = resource.getrusage(resource.RUSAGE_SELF)
        if profiler:
            profiler.enable()
        import_evaluations(session, content, "bench.csv", rater_id=rater, actor=ACTOR)
        session.commit()
        if profiler:
            profiler.disable()
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
        served = None if backend is None else server_cpu(backend) - served
        queued = server_queued(backend) - queued
        after = resource.getrusage(resource.RUSAGE_SELF)
        system = (after.ru_stime - usage.ru_stime, after.ru_minflt - usage.ru_minflt)
    if profiler:
        pstats.Stats(profiler).sort_stats(os.environ.get("BENCH_SORT", "cumulative")).print_stats(
            25
        )
    return seconds, cpu, served, system, queued


def server_pid(connection: Any) -> int | None:
    """The PostgreSQL backend's process id (it runs on this machine), None on SQLite."""
    if connection.dialect.name != "postgresql":
        return None
    return int(connection.exec_driver_sql("SELECT pg_backend_pid()").scalar_one())


def server_cpu(pid: int | None) -> float:
    """User + system CPU seconds of a local process so far (0.0 without one)."""
    if pid is None:
        return 0.0
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def server_queued(pid: int | None) -> float:
    """Seconds a local process has waited, runnable, for a CPU so far (0.0 without one, or
    without schedstats): on a loaded machine the backend's wall time is its CPU plus this."""
    try:
        return (
            0.0
            if pid is None
            else int(Path(f"/proc/{pid}/schedstat").read_text().split()[1]) / 1e9
        )
    except (OSError, IndexError, ValueError):
        return 0.0


def timed_steps(
    database: Database, content: bytes, rater: int | None
) -> dict[str, tuple[float, float]]:
    """Empty the table, then import again timing each step of the fast path by itself."""
    empty_evaluations(database)
    steps: dict[str, tuple[float, float]] = {}

    def step(name: str, run: Any, *args: Any) -> Any:
        started, cpu = time.perf_counter(), time.process_time()
        result = run(*args)
        steps[name] = (time.perf_counter() - started, time.process_time() - cpu)
        return result

    def parse(session: Any) -> tuple[Any, Any]:
        with everyone_ahead(session, content, "bench.csv") as everyone:
            return read_arrow(content, "bench.csv"), everyone

    def lookup(session: Any, file: Any, everyone: Any) -> Any:
        people = everyone.result()
        return Known.load(session, *candidates(file, people is not None), people)

    def validate(session: Any, file: Any, found: Any) -> Any:
        at = named(file, found, None)
        employees = pc.unique(found.arrays()[1].take(at))
        with audit_meanwhile(session, audit, employees.take(pc.sort_indices(employees))):
            return fast_table(file, found, rater, None, at)

    audit = entry(ACTOR, AuditAction.IMPORT, "evaluation", resource_id="import bench")
    with database.sessions() as session:
        file, everyone = step("parse", parse, session)  # while the employees are read
        found = step("lookup", lookup, session, file, everyone)
        # the audit rows are written meanwhile, by the database
        table, periods = step("validate+audit", validate, session, file, found)
        step(
            "write",
            lambda: (
                ensure_periods(session, periods.values())
                or insert_evaluation_table(session, table)
            ),
        )
        step("commit", session.commit)
    return steps


def timed_floor(database: Database) -> tuple[float, float, float | None]:
    """A bare write of the stored rows again (emptied first), prepared before the clock."""
    columns = ", ".join(WRITE_COLUMNS)
    with database.engine.connect() as connection:
        rows = connection.exec_driver_sql(f"SELECT {columns} FROM evaluations").all()
    empty_evaluations(database)
    with database.engine.connect() as connection:
        driver = connection.connection.driver_connection
        if connection.dialect.name == "postgresql":
            text = "".join(
                "\t".join("\\N" if value is None else str(value) for value in row) + "\n"
                for row in rows
            ).encode()
            backend = server_pid(connection)
            started, cpu, served = time.perf_counter(), time.process_time(), server_cpu(backend)
            with driver.cursor() as cursor:
                with cursor.copy(f"COPY evaluations ({columns}) FROM STDIN") as copy:
                    copy.write(text)
            driver.commit()
            served = server_cpu(backend) - served
        else:
            marks = ", ".join("?" * len(WRITE_COLUMNS))
            values = [tuple(row) for row in rows]
            started, cpu, served = time.perf_counter(), time.process_time(), None
            driver.execute("BEGIN")
            driver.executemany(f"INSERT INTO evaluations ({columns}) VALUES ({marks})", values)
            driver.commit()
        return time.perf_counter() - started, time.process_time() - cpu, served


def empty_evaluations(database: Database) -> None:
    with database.engine.begin() as connection:
        connection.execute(delete(Evaluation))


def count_evaluations(database: Database) -> int:
    with database.sessions() as session:
        return session.scalar(select(func.count()).select_from(Evaluation)) or 0


if __name__ == "__main__":
    main()
