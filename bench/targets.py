"""Issue 7's targets: read each figure out of the benchmarks' JSON, extrapolate, judge.

The JSON of other benchmarks is read by key names (`find`, `scoped`), so a renamed key turns
one figure into "not measured" instead of breaking the report. Extrapolations are stated
with their assumption: time grows at least linearly in employees (the fitted exponent when
it is larger), memory along the least-squares line through the measured sizes; a retrain
is its sampled training at the cap plus the draw of the sample, scaled to national size;
a scoring is judged on `score.py`'s own figures (start-up once + CPU per employee).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

NATIONAL = 5_600_000
RATE_KEYS = ("rows_per_s", "rows_per_second", "rows_per_sec", "rate")
PEAK_KEYS = ("peak_rss_mib", "peak_mib", "peak_rss_mb", "peak_mb", "peak_memory_mib")
SECONDS_KEYS = ("train_seconds", "train_s", "seconds", "wall_seconds", "wall_s")
NOT_MEASURED = "not measured"


@dataclass(frozen=True)
class Verdict:
    """One target: what was measured against it and whether it was met (None: unmeasured)."""

    target: str
    figure: str
    met: bool | None

    @property
    def word(self) -> str:
        return {True: "met", False: "**missed**", None: NOT_MEASURED}[self.met]


# --- reading figures out of JSON whose exact shape belongs to each benchmark ----------------


def find(doc: Any, *names: str) -> float | None:
    """The first number under any of `names`, breadth first (shallow keys win)."""
    level = [doc]
    while level:
        deeper = []
        for node in level:
            items = node.items() if isinstance(node, dict) else enumerate(node)
            for key, value in items:
                if key in names and _number(value):
                    return float(value)
                if isinstance(value, dict | list):
                    deeper.append(value)
        level = deeper
    return None


def scoped(doc: Any, name: str) -> Any:
    """The part of `doc` about `name`: `doc[name]`, or an item of a list naming it."""
    if isinstance(doc, dict) and isinstance(doc.get(name), dict):
        return doc[name]
    level = [doc]
    while level:
        deeper = []
        for node in level:
            values = node.values() if isinstance(node, dict) else node
            for value in values:
                if isinstance(value, dict) and name in value.values():
                    return value
                if isinstance(value, dict) and isinstance(value.get(name), dict):
                    return value[name]
                if isinstance(value, dict | list):
                    deeper.append(value)
        level = deeper
    return None


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def rate_of(doc: Any) -> float | None:
    """Rows per second: stated, or rows (or employees) over seconds."""
    stated = find(doc, *RATE_KEYS)
    if stated is not None:
        return stated
    rows = find(doc, "rows", "stored", "employees", "count")
    seconds = find(doc, "seconds", "wall_seconds", "wall_s")
    return rows / seconds if rows and seconds else None


# --- extrapolation ----------------------------------------------------------------------------


def power_fit(points: list[tuple[float, float]]) -> float | None:
    """The exponent b of y = a * x**b fitted through the points (log-log least squares)."""
    usable = [(math.log(x), math.log(y)) for x, y in points if x > 0 and y > 0]
    if len({x for x, _ in usable}) < 2:
        return None
    mean_x = sum(x for x, _ in usable) / len(usable)
    mean_y = sum(y for _, y in usable) / len(usable)
    spread = sum((x - mean_x) ** 2 for x, _ in usable)
    return sum((x - mean_x) * (y - mean_y) for x, y in usable) / spread


def extrapolate_time(points: list[tuple[float, float]], target: float) -> tuple[float, float]:
    """Seconds at `target` from the largest point, growing at least linearly; and the exponent."""
    exponent = power_fit(points)
    size, seconds = max(points)
    used = max(exponent if exponent is not None else 1.0, 1.0)
    return seconds * (target / size) ** used, exponent if exponent is not None else 1.0


def extrapolate_linear(points: list[tuple[float, float]], target: float) -> float:
    """y at `target` on the least-squares line through the points (through 0 if only one)."""
    if len({x for x, _ in points}) < 2:
        size, value = max(points)
        return value * target / size
    mean_x = sum(x for x, _ in points) / len(points)
    mean_y = sum(y for _, y in points) / len(points)
    slope = sum((x - mean_x) * (y - mean_y) for x, y in points) / sum(
        (x - mean_x) ** 2 for x, _ in points
    )
    return max(mean_y + max(slope, 0.0) * (target - mean_x), max(y for _, y in points))


# --- the targets --------------------------------------------------------------------------------

FLASK_RATIO = 0.5
PEER_RATIO = 20.0
P99_MS = 25.0
WRITES_PER_S = 1000.0
IMPORT_ROWS_PER_S = 100_000.0
SCORE_SECONDS = 60.0
SCORE_GIB = 4.0
TRAIN_MINUTES = 15.0
TRAIN_GIB = 12.0
COLD_START_S = 2.0


def section_json(run: dict[str, Any], name: str) -> dict[str, Any] | None:
    """The JSON a benchmark printed (None when it did not run or printed none)."""
    section = run["sections"].get(name)
    return section.get("json") if section else None


def why_missing(run: dict[str, Any], name: str) -> str:
    """Why a benchmark has no figure: not run, failed (and how), or the key is absent."""
    section = run["sections"].get(name)
    if section is None:
        return "left out of this run"
    return section.get("reason") or "its JSON lacks the figure"


def sized(run: dict[str, Any], prefix: str) -> list[tuple[int, dict[str, Any]]]:
    """(size, JSON) of the benchmarks run once per size (`score_25000`, `train_10000`)."""
    found = []
    for name, section in run["sections"].items():
        if name.startswith(prefix) and section.get("json"):
            found.append((int(name.rsplit("_", 1)[1]), section["json"]))
    return sorted(found, key=lambda item: item[0])


def unmeasured(target: str, run: dict[str, Any], name: str) -> Verdict:
    return Verdict(target, f"{NOT_MEASURED}: {why_missing(run, name)}", None)


def serving_verdicts(run: dict[str, Any]) -> list[Verdict]:
    """Risk read against plain Flask, the MLflow peer and its p99; evaluation writes."""
    targets = (
        f"risk read >= {FLASK_RATIO}x plain Flask JSON requests/s",
        f"risk read >= {PEER_RATIO:.0f}x `mlflow models serve` requests/s",
        f"risk read p99 <= {P99_MS:.0f} ms at 16 connections",
        f"evaluation writes >= {WRITES_PER_S:,.0f}/s on SQLite WAL",
    )
    doc = section_json(run, "serving")
    if doc is None:
        return [unmeasured(target, run, "serving") for target in targets]
    risk, own = doc["kinerja"]["risk_read"], doc["kinerja"]["risk_read_self"]
    flask = doc["plain_flask"]["read"]
    peer = doc.get("mlflow_peer", {})
    write = doc["kinerja"]["evaluation_write"]
    verdicts = [
        _ratio(targets[0], risk, own, flask, FLASK_RATIO, "plain Flask"),
        _ratio(targets[1], risk, own, peer, PEER_RATIO, "mlflow models serve"),
        Verdict(
            targets[2],
            f"p99 {risk['p99_ms']:,.1f} ms (own risk: {own['p99_ms']:,.1f} ms)",
            risk["p99_ms"] <= P99_MS,
        ),
        Verdict(
            targets[3],
            f"{write['stored_per_s']:,.0f} stored/s ({write['non_2xx']} non-2xx answers)",
            write["stored_per_s"] >= WRITES_PER_S,
        ),
    ]
    return verdicts


def _ratio(
    target: str,
    risk: dict[str, Any],
    own: dict[str, Any],
    other: dict[str, Any],
    needed: float,
    name: str,
) -> Verdict:
    """Judged on requests/s; with the servers' CPU per request beside it, the ratio that
    holds on a shared machine (requests/s move with whatever else runs there)."""
    rps, other_rps = risk["rps"], other.get("rps")
    if not other_rps:
        return Verdict(target, f"{NOT_MEASURED}: no {name} figure", None)
    figure = (
        f"{rps:,.0f} vs {other_rps:,.0f} req/s = {rps / other_rps:.2f}x "
        f"(own risk: {own['rps']:,.0f} req/s = {own['rps'] / other_rps:.2f}x)"
    )
    cpu, other_cpu = risk.get("server_cpu_ms"), other.get("server_cpu_ms")
    if cpu and other_cpu:
        figure += (
            f"; server CPU per request {cpu:.2f} vs {other_cpu:.2f} ms = {other_cpu / cpu:.2f}x"
        )
    return Verdict(target, figure, rps / other_rps >= needed)


def import_verdicts(run: dict[str, Any]) -> list[Verdict]:
    """Bulk import rows/s on each backend that ran."""
    doc = section_json(run, "import")
    target = f"bulk import >= {IMPORT_ROWS_PER_S:,.0f} rows/s"
    if doc is None:
        return [unmeasured(target, run, "import")]
    verdicts = []
    for backend in ("sqlite", "postgresql"):
        part = scoped(doc, backend)
        rate = rate_of(part) if part is not None else None
        if rate is not None:
            figure = f"{rate:,.0f} rows/s"
            verdicts.append(Verdict(f"{target} ({backend})", figure, rate >= IMPORT_ROWS_PER_S))
    if not verdicts:
        rate = rate_of(doc)
        if rate is None:
            return [Verdict(target, f"{NOT_MEASURED}: no rows/s in its JSON", None)]
        verdicts.append(Verdict(target, f"{rate:,.0f} rows/s", rate >= IMPORT_ROWS_PER_S))
    return verdicts


def curve(
    run: dict[str, Any], prefix: str, figure: Callable[[dict[str, Any]], float | None]
) -> list[tuple[int, float, float | None]]:
    """(employees, figure, peak MiB) for each size a benchmark ran at (`train_10000`, ...)."""
    points = []
    for size, doc in sized(run, prefix):
        value = figure(doc)
        if value:
            points.append((size, value, find(doc, *PEAK_KEYS)))
    return points


def score_curve(run: dict[str, Any]) -> list[tuple[int, float, float | None]]:
    """(employees, rows/s, peak MiB) per measured scoring size."""
    return curve(run, "score_", rate_of)


def train_curve(run: dict[str, Any]) -> list[tuple[int, float, float | None]]:
    """(employees, training seconds, peak MiB) per measured training size."""
    return curve(run, "train_", lambda doc: find(doc, *SECONDS_KEYS))


def national_verdicts(
    run: dict[str, Any],
    prefix: str,
    points: list[tuple[int, float, float | None]],
    timing: tuple[str, Callable[[list[tuple[int, float, float | None]]], tuple[str, bool]]],
    memory: tuple[str, float],
) -> list[Verdict]:
    """The time and the memory target of a job extrapolated to national size."""
    if not points:
        name = next((n for n in run["sections"] if n.startswith(prefix)), prefix.rstrip("_"))
        return [unmeasured(timing[0], run, name), unmeasured(memory[0], run, name)]
    figure, met = timing[1](points)
    peaks = [(float(n), peak) for n, _, peak in points if peak is not None]
    if not peaks:
        return [Verdict(timing[0], figure, met), Verdict(memory[0], "no peak memory", None)]
    gib = extrapolate_linear(peaks, NATIONAL) / 1024
    measured = ", ".join(f"{peak:,.0f} MiB at {int(n):,}" for n, peak in peaks)
    return [
        Verdict(timing[0], figure, met),
        Verdict(memory[0], f"{measured} -> {gib:,.1f} GiB", gib < memory[1]),
    ]


#: The scorings `score.py` runs at each size (JSON key: None for the full one, label).
SCORE_CASES = (
    (None, "full (every history read: a first run or --full)"),
    ("after_promotion", "re-score after a promotion (features reused)"),
    ("after_changes", "re-score after {changed} of the employees changed"),
    ("next_period", "the next period (the previous period's panel slices and its rows)"),
)


#: The scoring benchmarks' sections: name prefix and how their verdicts name the database.
SCORE_SECTIONS = (("score_", ""), ("pgscore_", " on PostgreSQL"))


def score_verdicts(run: dict[str, Any], prefix: str = "score_", on: str = "") -> list[Verdict]:
    """5.6 million employees scored in < 60 s and < 4 GB, for each case `score.py` runs.

    Its own extrapolation at the largest size: start-up once plus CPU per employee (on
    PostgreSQL its backends' CPU too), measured on two shares of the employees with every
    worker started; memory the peaks by process plus the id listing grown to national size
    (`bench/score.py`). `prefix` names the sections (`SCORE_SECTIONS`), `on` the database
    in the verdicts (SQLite: none).
    """
    national = f"batch scoring of {NATIONAL / 1e6:.1f}M employees{on}"
    time_target, memory_target = f"{national} < {SCORE_SECONDS:.0f} s", f"< {SCORE_GIB:.0f} GB"
    measured = sized(run, prefix)
    if not measured:
        name = next((n for n in run["sections"] if n.startswith(prefix)), prefix.rstrip("_"))
        return [
            unmeasured(time_target, run, name),
            unmeasured(f"{national} {memory_target}", run, name),
        ]
    size, doc = measured[-1]
    changed = f"{doc.get('changed_fraction', 0.01):.0%}"
    verdicts = []
    for key, label in SCORE_CASES:
        case = doc if key is None else doc.get(key) or {}
        if "national_seconds" not in case:
            continue
        seconds, gib = case["national_seconds"], case["national_peak_mib"] / 1024
        how = f"from {size:,} employees: start-up once + CPU per employee, on 2 cores"
        target = f"{time_target}, {label.format(changed=changed)}"
        verdicts.append(Verdict(target, f"{seconds:,.0f} s ({how})", seconds < SCORE_SECONDS))
        verdicts.append(Verdict(f"{target} {memory_target}", f"{gib:,.2f} GiB", gib < SCORE_GIB))
    return verdicts or [Verdict(time_target, f"{NOT_MEASURED}: no national figures", None)]


def train_verdicts(run: dict[str, Any]) -> list[Verdict]:
    """A national retrain < 15 min and < 12 GB, extrapolated along the measured curve.

    A retrain reads at most its cap of employees (`training.sampling`): runs that say so
    (`train_employees`, `max_employees`, `draw`) are extrapolated as the sampled training at
    the cap plus the draw scaled to national size; older runs along the whole curve.
    """
    sampled = [(n, doc) for n, doc in sized(run, "train_") if _sampled(doc)]
    if sampled:
        return sampled_train_verdicts([doc for _, doc in sampled])

    def timing(points: list[tuple[int, float, float | None]]) -> tuple[str, bool]:
        seconds, exponent = extrapolate_time([(float(n), s) for n, s, _ in points], NATIONAL)
        measured = ", ".join(f"{s:,.0f} s at {n:,}" for n, s, _ in points)
        figure = f"{measured}; fitted exponent {exponent:.2f} -> {seconds / 60:,.0f} min"
        return figure, seconds / 60 < TRAIN_MINUTES

    return national_verdicts(
        run,
        "train_",
        train_curve(run),
        (f"national retrain ({NATIONAL / 1e6:.1f}M) < {TRAIN_MINUTES:.0f} min", timing),
        (f"national retrain < {TRAIN_GIB:.0f} GB", TRAIN_GIB),
    )


def _sampled(doc: dict[str, Any]) -> bool:
    return all(key in doc for key in ("train_employees", "max_employees", "draw"))


def at_cap(points: list[tuple[float, float]], cap: float) -> tuple[float, str]:
    """A figure at the cap: measured there (largest such run), else grown to it from below.

    Time grows at least linearly (`extrapolate_time`), memory along the least-squares line.
    """
    reached = [value for n, value in points if n >= cap]
    if reached:
        return reached[-1], "measured"
    return extrapolate_time(points, cap)[0], f"grown from {max(points)[0]:,.0f}"


def sampled_train_verdicts(docs: list[dict[str, Any]]) -> list[Verdict]:
    """National time and memory = sampled training at the cap + the draw at 5.6 million."""
    cap = float(docs[-1]["max_employees"] or NATIONAL)
    training = [(float(d["train_employees"]), d["train_seconds"] - d["draw"]["seconds"])
                for d in docs]  # fmt: skip
    peaks = [(float(d["train_employees"]), float(d["peak_rss_mib"])) for d in docs]
    draws = [(float(d["employees"]), float(d["draw"]["seconds"])) for d in docs]
    draw_mib = [(float(d["employees"]), float(d["draw"]["peak_mib"])) for d in docs]
    seconds, how = at_cap(sorted(training), cap)
    reached = [peak for n, peak in sorted(peaks) if n >= cap]
    peak = reached[-1] if reached else extrapolate_linear(peaks, cap)
    draw_s, draw_peak = extrapolate_linear(draws, NATIONAL), extrapolate_linear(draw_mib, NATIONAL)
    largest = max(draws)
    minutes, gib = (seconds + draw_s) / 60, (peak + draw_peak) / 1024
    time_figure = (
        f"sampled training at the cap {cap:,.0f}: {seconds:,.0f} s ({how}) + drawing the "
        f"sample from {NATIONAL / 1e6:.1f}M ids: {draw_s:,.0f} s ({largest[1]:.1f} s at "
        f"{largest[0]:,.0f}, linear) -> {minutes:,.1f} min"
    )
    memory_figure = (
        f"peak {peak:,.0f} MiB at the cap + draw {draw_peak:,.0f} MiB at "
        f"{NATIONAL / 1e6:.1f}M -> {gib:,.1f} GiB"
    )
    return [
        Verdict(f"national retrain ({NATIONAL / 1e6:.1f}M) < {TRAIN_MINUTES:.0f} min",
                time_figure, minutes < TRAIN_MINUTES),
        Verdict(f"national retrain < {TRAIN_GIB:.0f} GB", memory_figure, gib < TRAIN_GIB),
    ]  # fmt: skip


def cold_start_verdicts(run: dict[str, Any]) -> list[Verdict]:
    """From spawning `kinerja serve` to its first real API answer, < 2 s."""
    target = f"cold start to first answer < {COLD_START_S:.0f} s"
    doc = section_json(run, "cold_start")
    if doc is None:
        return [unmeasured(target, run, "cold_start")]
    serve = doc["serve"]
    figure = (
        f"first risk answer after {serve['first_answer_s']:.2f} s with a token held across the"
        f" restart (/readyz {serve['readyz_s']:.2f} s; with a fresh login first, whose argon2id"
        f" check is slow on purpose: {serve.get('first_answer_with_login_s', float('nan')):.2f} s)"
    )
    return [Verdict(target, figure, serve["first_answer_s"] < COLD_START_S)]


def all_verdicts(run: dict[str, Any]) -> list[Verdict]:
    """Every target of issue 7 part 2, in the issue's order."""
    return [
        *serving_verdicts(run),
        *import_verdicts(run),
        *(v for prefix, on in SCORE_SECTIONS for v in score_verdicts(run, prefix, on)),
        *train_verdicts(run),
        *cold_start_verdicts(run),
    ]
