"""One command for every benchmark of issue 7: measure, judge each target, write bench/RESULTS.md.

Each benchmark runs as its own process with its own command line (bench/*.py, each ending its
output with one JSON line); this file only plans the runs, reads their last JSON line and hands
everything to bench/report.py, which judges the targets and writes the report. A benchmark
that fails or prints no JSON is reported as "not measured" with the reason, and the others
still run. The machine's description and its load average are recorded before, after and at
the start of every benchmark, since the machine may be shared.

    python bench/run.py            # full sizes (about 40 minutes on 2 quiet cores)
    python bench/run.py --quick    # small sizes: a smoke run of a few minutes
    python bench/run.py --only serving,cold_start --output /tmp/RESULTS.md
    python bench/run.py --only train --merge   # re-measure training, keep the other figures

Needs wrk (`apt-get install -y wrk`); uses PostgreSQL at 127.0.0.1:5432 when it answers.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import loopback  # noqa: E402
import machine  # noqa: E402
import report  # noqa: E402

BENCH = Path(__file__).resolve().parent
OUTPUT = BENCH / "RESULTS.md"
OUTPUT_LINES_KEPT = 40


@dataclass(frozen=True)
class Sizes:
    """How big each benchmark runs: `full` for the report, `quick` for a smoke run."""

    sample_employees: int
    wrk_seconds: int
    cold_runs: int
    import_rows: int
    score_employees: tuple[int, ...]
    train_employees: tuple[int, ...]
    api_employees: int
    seed_employees: int
    recommend_employees: int
    pages_employees: int
    others: bool = True


FULL = Sizes(2000, 10, 3, 100_000, (25_000, 100_000), (10_000, 30_000), 2000,
             100_000, 10_000, 10_000)  # fmt: skip
QUICK = Sizes(600, 3, 1, 5000, (600,), (600, 1200), 300, 2000, 1000, 1000, others=False)


@dataclass
class Section:
    """One benchmark process: its command line and, once run, what came of it."""

    name: str
    args: list[str]
    timeout: float
    result: dict[str, Any] = field(default_factory=dict)

    @property
    def script(self) -> str:
        return self.args[0]


def last_json(output: str) -> dict[str, Any] | None:
    """The last line of `output` that parses as a JSON object (None when there is none)."""
    for line in reversed(output.strip().splitlines()):
        line = line.strip()
        if not line.startswith("{"):
            continue
        try:
            value = json.loads(line)
        except ValueError:
            continue
        if isinstance(value, dict):
            return value
    return None


def run_section(section: Section, env: dict[str, str] | None = None) -> dict[str, Any]:
    """Run one benchmark; return its JSON (or why there is none), time, load and output tail."""
    command = [sys.executable, str(BENCH / section.script), *section.args[1:]]
    load_before = machine.load()
    began = time.perf_counter()
    try:
        done = subprocess.run(
            command,
            capture_output=True,
            text=True,
            timeout=section.timeout,
            cwd=loopback.ROOT,
            env=env or loopback.environment(),
        )
        output, errors, code = done.stdout, done.stderr, done.returncode
    except subprocess.TimeoutExpired as exc:
        output, errors, code = _text(exc.stdout), _text(exc.stderr), None
    figures = last_json(output) if code == 0 else None
    result = {
        "command": " ".join(["python", f"bench/{section.script}", *section.args[1:]]),
        "seconds": round(time.perf_counter() - began, 1),
        "load_before": load_before,
        "load_after": machine.load(),
        "json": figures,
        "reason": _failure(code, figures, errors, section.timeout),
        "output": _tail(output, errors, code),
    }
    section.result = result
    return result


def _text(value: str | bytes | None) -> str:
    return value.decode(errors="replace") if isinstance(value, bytes) else value or ""


def _failure(code: int | None, figures: Any, errors: str, timeout: float) -> str | None:
    """Why a benchmark gave no figures (None when it did)."""
    if code is None:
        return f"timed out after {timeout:.0f} s"
    if code != 0:
        last = errors.strip().splitlines()[-1:] or ["no error output"]
        return f"exited with status {code}: {last[0][:300]}"
    if figures is None:
        return "finished but printed no JSON line (the script has no machine-readable output)"
    return None


def _tail(output: str, errors: str, code: int | None) -> list[str]:
    """The human-readable lines worth keeping: stdout without its JSON, stderr on failure."""
    lines = [line for line in output.splitlines() if not line.lstrip().startswith("{")]
    if code != 0:
        lines += errors.splitlines()[-15:]
    return lines[-OUTPUT_LINES_KEPT:]


def postgres_reachable(url: str = "postgresql://postgres@127.0.0.1:5432/test") -> bool:
    """Whether the PostgreSQL the import benchmark uses answers within two seconds."""
    try:
        import psycopg

        with psycopg.connect(url, connect_timeout=2):
            return True
    except Exception:  # noqa: BLE001 - any failure means "not there"
        return False


def plan(sizes: Sizes, sample: Path, with_postgres: bool) -> list[Section]:
    """Every benchmark's command line at `sizes`, in the order they run."""
    backends = "sqlite,postgresql" if with_postgres else "sqlite"
    hour = 3600.0
    sections = [
        Section("serving", ["serving.py", "--sample", str(sample),
                            "--seconds", str(sizes.wrk_seconds)], hour),
        Section("cold_start", ["cold_start.py", "--sample", str(sample),
                               "--runs", str(sizes.cold_runs)], hour),
        Section("import", ["import.py", "--employees", str(sizes.import_rows),
                           "--backends", backends], hour),
        *(Section(f"score_{n}", ["score.py", "--employees", str(n), "--reads", "200"], 2 * hour)
          for n in sizes.score_employees),
        *(Section(f"pgscore_{n}", ["score.py", "--employees", str(n), "--reads", "0",
                                   "--postgresql"], 2 * hour)
          for n in sizes.score_employees[:1] if with_postgres and sizes.others),
        *(Section(f"train_{n}", ["train.py", "--employees", str(n)], 2 * hour)
          for n in sizes.train_employees),
        Section("api", ["api.py", "--employees", str(sizes.api_employees),
                        "--seconds", str(sizes.wrk_seconds), "--port", str(loopback.free_port())],
                hour),
    ]  # fmt: skip
    if sizes.others:
        sections += [
            Section("seed", ["seed.py", "--employees", str(sizes.seed_employees),
                             "--backends", "sqlite"], hour),
            Section("recommend", ["recommend.py", "--employees",
                                  str(sizes.recommend_employees)], hour),
            Section("pages", ["pages.py", "--employees", str(sizes.pages_employees)], hour),
        ]  # fmt: skip
    return sections


def selected(sections: list[Section], only: str | None, skip: str | None) -> list[Section]:
    """Filter by name prefix: `--only serving,train` keeps serving and every train_<size>."""

    def matches(name: str, prefixes: str | None) -> bool:
        return bool(prefixes) and any(name.startswith(p) for p in prefixes.split(","))

    kept = [s for s in sections if only is None or matches(s.name, only)]
    return [s for s in kept if not matches(s.name, skip)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, a few minutes")
    parser.add_argument("--output", type=Path, default=OUTPUT)
    parser.add_argument("--only", help="comma-separated section names (prefixes) to run")
    parser.add_argument("--skip", help="comma-separated section names (prefixes) to leave out")
    parser.add_argument(
        "--merge",
        action="store_true",
        help="keep the sections of the existing --output that this run does not measure",
    )
    args = parser.parse_args()
    previous = report.embedded_run(args.output.read_text()) if args.merge else None
    sizes = QUICK if args.quick else FULL
    began = time.time()
    before = machine.describe()
    with tempfile.TemporaryDirectory(prefix="kinerja-bench-run-") as tmp:
        sample = Path(tmp) / "sample"
        sections = selected(plan(sizes, sample, postgres_reachable()), args.only, args.skip)
        if any(s.name in {"serving", "cold_start"} for s in sections):
            _log(f"building the shared sample ({sizes.sample_employees} employees)")
            loopback.build_sample(sample, sizes.sample_employees)
        for section in sections:
            _log(f"{section.name}: {' '.join(section.args)}")
            result = run_section(section)
            _log(f"{section.name}: {result['seconds']} s, {result['reason'] or 'ok'}")
    run = {
        "mode": "quick" if args.quick else "full",
        "started": time.strftime("%Y-%m-%d %H:%M:%S %Z", time.localtime(began)),
        "minutes": round((time.time() - began) / 60, 1),
        "machine": before,
        "load_after": machine.load(),
        "uptime": _uptime(),
        "sections": {section.name: section.result for section in sections},
    }
    if previous:
        carry_over(run, previous)
    args.output.write_text(_render(run))
    _log(f"wrote {args.output}")


def carry_over(run: dict[str, Any], previous: dict[str, Any]) -> None:
    """Add the previous run's sections that this run did not measure, marked as carried."""
    for name, section in previous.get("sections", {}).items():
        if name not in run["sections"]:
            run["sections"][name] = {**section, "carried": True}


def _render(run: dict[str, Any]) -> str:
    """The report; if laying it out fails, the raw figures, so an hour of measuring is kept."""
    try:
        return report.render(run)
    except Exception as exc:  # noqa: BLE001 - any layout bug must not lose the figures
        raw = json.dumps(run, indent=1, sort_keys=True)
        heading = f"# Benchmark results\n\nThe report failed ({exc!r}); the raw figures:\n\n"
        return f"{heading}```json\n{raw}\n```\n"


def _uptime() -> str:
    done = subprocess.run(["uptime"], capture_output=True, text=True)
    return done.stdout.strip()


def _log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    main()
