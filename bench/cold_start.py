"""Cold start: from `kinerja serve` to its first answers, and what the time is spent on.

Three measurements, each in fresh processes (the files are in the page cache after the first
run, so this is a process cold start, not a disk cold start):

- `import service` and `create_app()` in a new interpreter, timed apart (median of `--runs`);
- `kinerja serve` (production settings, `--workers` workers) on a trained and batch-scored
  sample (as `kinerja demo` and every promoting retrain leave it): seconds from the spawn to
  the first 200 of /readyz, then to the first real API answer (GET
  /api/v1/employees/{id}/risk with a token issued before the restart, as clients hold theirs
  across one, answered from its stored score), then to an answer after a fresh login (the
  argon2id check of the password is deliberately slow: a login's cost, not a start's), then
  to a first risk answer
  computed live (a supervisor reads a report whose stored score was removed: it needs the
  model's trees); and the CPU seconds the server's processes (arbiter and workers) had used
  by then, the figure to compare on a shared machine;
- `python -X importtime`: the heavy packages imported by `import service; create_app()`,
  each with the module of ours that imported it, so a slow start points at a line to change.

    python bench/cold_start.py [--sample DIR | --employees 600] [--runs 3] [--workers 2]

Our modules are compiled to bytecode before the runs (`compile_bytecode`), as an install
from a wheel leaves them and as `scripts/dev.py` does after installing: an editable install
writes `__pycache__` on first import, but not where `PYTHONDONTWRITEBYTECODE` is set (as on
the machines these benchmarks ran on), and then every start compiled our 171 modules again
(0.3-0.4 s of CPU in the arbiter, about a fifth of the start).

Prints the figures, then one JSON line (the last line of the output). Target: < 2 s.
"""

from __future__ import annotations

import argparse
import compileall
import json
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import loopback  # noqa: E402
import psutil  # noqa: E402
import serving  # noqa: E402

TARGET_S = 2.0
HEAVY = (
    "mlflow", "pandas", "sklearn", "scipy", "matplotlib", "skops", "fairlearn", "numpy",
    "alembic", "sqlalchemy", "pydantic", "spectree", "openpyxl", "flask", "flask_babel",
    "argon2", "psycopg", "prometheus_client", "jinja2", "werkzeug", "gunicorn",
)  # fmt: skip
IMPORT_CODE = """
import json, resource, time
began = time.perf_counter()
import service
imported = time.perf_counter()
service.create_app()
built = time.perf_counter()
usage = resource.getrusage(resource.RUSAGE_SELF)
print(json.dumps({"import_s": imported - began, "create_app_s": built - imported,
                  "cpu_s": usage.ru_utime + usage.ru_stime}))
"""
_IMPORTTIME = re.compile(r"^import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)\s*$")


def app_environment(home: Path) -> dict[str, str]:
    """Enough configuration for create_app without touching a real installation (not even
    the checkout's ./models, the default model store, where a demo exports its champions)."""
    return loopback.environment(
        KINERJA_ENV="test", KINERJA_HOME=str(home), KINERJA_MODELS_DIR=str(home / "models")
    )


def measure_import(runs: int, home: Path) -> dict[str, Any]:
    """`import service` and `create_app()` in `runs` new interpreters; medians in seconds."""
    samples = []
    for _ in range(runs):
        done = subprocess.run(
            [sys.executable, "-c", IMPORT_CODE],
            env=app_environment(home),
            cwd=loopback.ROOT,
            capture_output=True,
            text=True,
            check=True,
        )
        samples.append(json.loads(done.stdout.strip().splitlines()[-1]))
    return {
        key: round(statistics.median(sample[key] for sample in samples), 3)
        for key in ("import_s", "create_app_s", "cpu_s")
    } | {"runs": runs}


def import_profile(home: Path, top: int = 12) -> dict[str, Any]:
    """Run `-X importtime` once; the heavy packages by cumulative seconds and who imported them."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", "import service; service.create_app()"],
        env=app_environment(home),
        cwd=loopback.ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return summarise_importtime(done.stderr, top)


def summarise_importtime(stderr: str, top: int = 12) -> dict[str, Any]:
    """Where import time goes, from `-X importtime` output.

    `heavy`: each heavy package's imports from outside it (cumulative seconds), grouped by the
    nearest module of ours on the way up, so each row points at an import line to change.
    `self_by_package`: self time summed per top-level package, our own module bodies included.
    """
    entries = []  # (depth, self_us, cumulative_us, module), children printed before parents
    for line in stderr.splitlines():
        match = _IMPORTTIME.match(line)
        if match:
            depth = len(match.group(3)) // 2
            entries.append((depth, int(match.group(1)), int(match.group(2)), match.group(4)))
    parents = _parents(entries)
    heavy: dict[tuple[str, str], int] = {}
    by_package: dict[str, int] = {}
    for index, (_, own, cumulative, module) in enumerate(entries):
        package = module.split(".")[0]
        by_package[package] = by_package.get(package, 0) + own
        parent = parents[index]
        outer = parent is None or entries[parent][3].split(".")[0] != package
        if package in HEAVY and outer:
            key = (package, _ours(entries, parents, index))
            heavy[key] = heavy.get(key, 0) + cumulative
    return {
        "total_s": round(sum(own for _, own, _, _ in entries) / 1e6, 3),
        "heavy": [
            {"package": package, "seconds": round(us / 1e6, 3), "via": via}
            for (package, via), us in sorted(heavy.items(), key=lambda item: -item[1])[:top]
        ],
        "self_by_package": [
            {"package": package, "seconds": round(us / 1e6, 3)}
            for package, us in sorted(by_package.items(), key=lambda item: -item[1])[:top]
        ],
    }


def _parents(entries: list[tuple[int, int, int, str]]) -> list[int | None]:
    """Index of each entry's importer (read backwards, a parent comes before its children)."""
    parents: list[int | None] = [None] * len(entries)
    open_at: dict[int, int] = {}
    for index in range(len(entries) - 1, -1, -1):
        depth = entries[index][0]
        open_at[depth] = index
        parents[index] = open_at.get(depth - 1) if depth else None
    return parents


def _ours(entries: list[tuple[int, int, int, str]], parents: list[int | None], index: int) -> str:
    """The nearest module of ours above an entry (none: a function imported it at start-up)."""
    parent = parents[index]
    while parent is not None:
        module = entries[parent][3]
        if module.startswith(("service", "training")):
            return module
        parent = parents[parent]
    return "(a call at start-up)"


SERVE_FIGURES = (
    "readyz_s", "first_answer_s", "first_risk_read_s", "first_answer_with_login_s",
    "first_live_answer_s",
    "readyz_cpu_s", "first_answer_cpu_s", "first_live_answer_cpu_s",
)  # fmt: skip


def measure_serve(sample: Path, workers: int, runs: int, work: Path) -> dict[str, Any]:
    """Spawn `kinerja serve` `runs` times; seconds (and server CPU seconds) to /readyz, to the
    first risk answer (a stored score) and to a first live one."""
    reports = serving.add_logins(sample)
    serving.rescore(sample, "all")
    serving.forget_scores(sample, [reports[1]])
    tokens = _tokens_before_the_restarts(sample, workers, work)
    samples = [_serve_once(sample, workers, reports, tokens, work, run) for run in range(runs)]
    return {
        key: round(statistics.median(sample[key] for sample in samples), 3)
        for key in SERVE_FIGURES
    } | {"runs": samples}


def server_cpu_seconds(process: subprocess.Popen) -> list[float]:
    """User + system CPU seconds of the server (first) and of each live child (its workers)."""
    root = psutil.Process(process.pid)
    seconds = []
    for member in [root, *root.children(recursive=True)]:
        try:
            times = member.cpu_times()
        except psutil.NoSuchProcess:
            continue
        seconds.append(round(times.user + times.system, 3))
    return seconds


def _tokens_before_the_restarts(sample: Path, workers: int, work: Path) -> dict[str, str]:
    """Tokens of the two benchmark logins, issued by a start before the measured ones."""
    port = loopback.free_port()
    base = f"http://127.0.0.1:{port}"
    env = serving.kinerja_environment(sample, work)
    command = serving.serve_command(port, workers)
    log = work / "cold-tokens.log"
    with loopback.running(command, env, log) as process:
        loopback.wait_until_answers(f"{base}/readyz", process, log=log)
        return {name: serving.token(base, f"bench-{name}") for name in ("employee", "supervisor")}


def _serve_once(
    sample: Path, workers: int, reports: list[int], tokens: dict[str, str], work: Path, run: int
) -> dict[str, Any]:
    employee, live = reports[0], reports[1]
    port = loopback.free_port()
    base = f"http://127.0.0.1:{port}"
    env = serving.kinerja_environment(sample, work)
    command = serving.serve_command(port, workers)
    risk = f"{base}/api/v1/employees/{employee}/risk"
    began = time.perf_counter()
    log = work / f"cold-{run}.log"
    with loopback.running(command, env, log) as process:
        ready = loopback.wait_until_answers(f"{base}/readyz", process, log=log)
        ready_cpu = server_cpu_seconds(process)
        loading = serving.get_json(f"{base}/readyz", "")["models"]["models"]
        asked = time.perf_counter()
        answer = serving.get_json(risk, tokens["employee"])
        answered = time.perf_counter()
        answered_cpu = server_cpu_seconds(process)
        again = serving.get_json(risk, serving.token(base, "bench-employee"))
        logged_in = time.perf_counter()
        computed = serving.get_json(f"{base}/api/v1/employees/{live}/risk", tokens["supervisor"])
        computed_at = time.perf_counter()
        computed_cpu = server_cpu_seconds(process)
    for body, wanted in ((answer, employee), (again, employee), (computed, live)):
        if body.get("employee_id") != wanted or body.get("model", {}).get("fallback"):
            raise RuntimeError(f"unexpected risk answer: {body}")
    return {
        "readyz_s": round(ready, 3),
        "first_answer_s": round(answered - began, 3),
        "first_risk_read_s": round(answered - asked, 3),
        "first_answer_with_login_s": round(logged_in - began, 3),
        "first_live_answer_s": round(computed_at - began, 3),
        "readyz_cpu_s": round(sum(ready_cpu), 3),
        "first_answer_cpu_s": round(sum(answered_cpu), 3),
        "first_live_answer_cpu_s": round(sum(computed_cpu), 3),
        "cpu_by_process": {"readyz": ready_cpu, "first_answer": answered_cpu},
        "loading_at_readyz": sorted(
            name for name, model in loading.items() if model.get("loading")
        ),
    }


def compile_bytecode() -> bool:
    """Compile our packages' bytecode into `__pycache__` (what a wheel install ships)."""
    return all(
        compileall.compile_dir(loopback.ROOT / package, quiet=1)
        for package in ("service", "training")
    )


def measure_all(args: argparse.Namespace, work: Path) -> dict[str, Any]:
    """All three measurements on one sample (a copy when `--sample` is given)."""
    sample = loopback.sample_copy(args.sample, work / "sample", args.employees)
    if not compile_bytecode():
        raise RuntimeError("compiling service/ and training/ to bytecode failed")
    return {
        "bytecode": "compiled before the runs",
        "import": measure_import(args.runs, work),
        "serve": measure_serve(sample, args.workers, args.runs, work),
        "importtime": import_profile(work),
        "target_s": TARGET_S,
        "workers": args.workers,
    }


def print_figures(results: dict[str, Any]) -> None:
    imported, served = results["import"], results["serve"]
    print(
        f"import service {imported['import_s']:.2f} s + create_app {imported['create_app_s']:.2f}"
        f" s ({imported['cpu_s']:.2f} CPU s); kinerja serve: /readyz after "
        f"{served['readyz_s']:.2f} s, first risk answer after {served['first_answer_s']:.2f} s "
        f"(that read {served['first_risk_read_s']:.2f} s; with a fresh login first "
        f"{served['first_answer_with_login_s']:.2f} s), first live risk answer after "
        f"{served['first_live_answer_s']:.2f} s; target < {TARGET_S:.0f} s"
    )
    print(
        f"  server CPU seconds (arbiter + {results['workers']} workers) by /readyz "
        f"{served['readyz_cpu_s']:.2f}, by the first answer {served['first_answer_cpu_s']:.2f},"
        f" by the first live answer {served['first_live_answer_cpu_s']:.2f}"
    )
    for item in results["importtime"]["heavy"]:
        print(f"  {item['package']:18} {item['seconds']:6.2f} s  via {item['via']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sample", type=Path, help="a training.sample directory to serve")
    parser.add_argument("--employees", type=int, default=600, help="size of a new sample")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    loopback.measure_and_print("cold_start", measure_all, print_figures, args)


if __name__ == "__main__":
    main()
