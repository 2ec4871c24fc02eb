"""Write bench/RESULTS.md from what bench/run.py gathered.

`render(run)` returns the Markdown: how and where it was measured (with the load average, since
the machine may be shared), one line per target of issue 7 with its figure and verdict, a
section per benchmark, a table of every benchmark process, and their raw JSON. Judging the
targets is bench/targets.py's job; this module only lays the figures out.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

import targets


def render(run: dict[str, Any]) -> str:
    """The whole report."""
    parts = [
        _heading(run),
        _machine(run),
        _targets(run),
        _serving(run),
        _import(run),
        _scoring(run),
        _training(run),
        _cold_start(run),
        _others(run),
        _processes(run),
        _raw(run),
        _embedded(run),
    ]
    return "\n".join(line for part in parts for line in part).rstrip() + "\n"


_EMBEDDED = "<!-- bench/run.py data, read back when merging"


def _embedded(run: dict[str, Any]) -> list[str]:
    """The whole run as JSON in an HTML comment ("--" escaped, which a comment cannot hold)."""
    return [_EMBEDDED, json.dumps(run, sort_keys=True).replace("--", "-\\u002d"), "-->"]


def embedded_run(text: str) -> dict[str, Any] | None:
    """The run a report was written from (None when the report holds none)."""
    start = text.find(_EMBEDDED)
    if start < 0:
        return None
    body = text[start + len(_EMBEDDED) :].split("\n-->", 1)[0]
    return dict(json.loads(body))


def fmt(value: float | None, digits: int = 0) -> str:
    """A number with thousands separators, or "n/a"."""
    return "n/a" if value is None else f"{value:,.{digits}f}"


def table(header: Iterable[str], rows: Iterable[Iterable[Any]]) -> list[str]:
    """A Markdown table followed by a blank line."""
    header = list(header)
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return [*lines, ""]


def load_text(load: dict[str, Any]) -> str:
    return f"{load['load_1m']} / {load['load_5m']} / {load['load_15m']}"


def busiest(run: dict[str, Any]) -> float:
    """The highest 1-minute load average seen at any point of the run."""
    loads = [run["machine"]["load"], run["load_after"]]
    for section in run["sections"].values():
        loads += [section["load_before"], section["load_after"]]
    return max(load["load_1m"] for load in loads)


def _heading(run: dict[str, Any]) -> list[str]:
    cores = run["machine"]["cores"] or 1
    peak = busiest(run)
    if peak > cores:
        sharing = (
            f"**The machine was shared during this run**: the 1-minute load average reached "
            f"{peak:.1f} on {cores} cores, so every figure is pessimistic (other jobs took "
            "CPU time); a quiet re-run gives the machine's real figures."
        )
    else:
        sharing = f"The machine was quiet: the 1-minute load average stayed <= {peak:.1f}."
    carried = [name for name, section in run["sections"].items() if section.get("carried")]
    merged = (
        f"Carried over from an earlier run (`--merge`): {', '.join(carried)}; see when each "
        "was measured in the table of processes at the end."
        if carried
        else "Every figure below comes from this one run."
    )
    return [
        "# Benchmark results",
        "",
        f"Written by `python bench/run.py{' --quick' if run['mode'] == 'quick' else ''}` "
        f"({run['mode']} sizes), started {run['started']}, {run['minutes']} minutes. {merged} "
        "How each is measured, and why the missed targets miss: [README.md](README.md).",
        "",
        sharing,
        "",
        f"`uptime` at the end: `{run['uptime']}`",
        "",
    ]


def _machine(run: dict[str, Any]) -> list[str]:
    described = run["machine"]
    packages = ", ".join(f"{name} {version}" for name, version in described["packages"].items())
    rows = [
        ("CPU", described["cpu"]),
        ("cores", described["cores"]),
        ("memory", f"{described['memory_gib']} GiB"),
        ("OS", described["os"]),
        ("Python", described["python"]),
        ("SQLite", described["sqlite"]),
        ("packages", packages),
        ("wrk", described["wrk"]),
        ("load average (1/5/15 min) before", load_text(described["load"])),
        ("load average after", load_text(run["load_after"])),
    ]
    return ["## Machine", "", *table(("", ""), rows)]


def _targets(run: dict[str, Any]) -> list[str]:
    verdicts = targets.all_verdicts(run)
    met = sum(1 for verdict in verdicts if verdict.met)
    measured = sum(1 for verdict in verdicts if verdict.met is not None)
    rows = [(verdict.target, verdict.figure, verdict.word) for verdict in verdicts]
    return [
        "## Targets",
        "",
        f"{met} of {measured} measured targets met ({len(verdicts)} targets in all).",
        "",
        *table(("target", "figure", "verdict"), rows),
    ]


def _serving(run: dict[str, Any]) -> list[str]:
    doc = targets.section_json(run, "serving")
    lines = ["## HTTP: risk read and evaluation write, their ceilings and the peer", ""]
    if doc is None:
        return [*lines, f"Not measured: {targets.why_missing(run, 'serving')}.", ""]
    settings = doc["settings"]
    kinerja = doc["kinerja"]
    rows = [
        ("`kinerja serve` risk read, supervisor over their reports (audited)",
         kinerja["risk_read"]),
        ("`kinerja serve` risk read, an employee's own (no audit row)", kinerja["risk_read_self"]),
        ("`kinerja serve` evaluation write (new evaluation each)", kinerja["evaluation_write"]),
        ("plain Flask JSON GET", doc["plain_flask"]["read"]),
        ("plain Flask JSON POST", doc["plain_flask"]["write"]),
        ("bare WSGI JSON GET (ceiling)", doc["wsgi"]["read"]),
        ("bare WSGI JSON POST (ceiling)", doc["wsgi"]["write"]),
    ]  # fmt: skip
    if "mlflow_peer" in doc:
        rows.append(("`mlflow models serve`, one row per POST /invocations", doc["mlflow_peer"]))
    body = [
        (name, fmt(f["rps"]), fmt(f["p50_ms"], 2), fmt(f["p99_ms"], 2),
         fmt(f.get("server_cpu_ms"), 3), "/".join(map(str, f.get("worker_connections_held", []))),
         f["requests"], f["non_2xx"] + f["socket_errors"])
        for name, f in rows
    ]  # fmt: skip
    write = kinerja["evaluation_write"]
    answer = kinerja.get("risk_answer", {})
    return [
        *lines,
        f"wrk, 2 threads, {settings['connections']} connections, {settings['seconds']:g} s "
        f"each after a warm-up; every server with {settings['workers']} workers on loopback "
        f"(gunicorn gthread with 2 threads, as `kinerja serve`, and worker_connections "
        f"{settings.get('worker_connections') or 'gunicorn default'}; uvicorn for MLflow, "
        f"measured again until its connections are spread). The "
        f"supervisor's reads rotate over {settings['risk_reports']} reports; the risk answers "
        f"came from model {answer.get('model')} (status {answer.get('status')}).",
        "",
        *table(
            (
                "endpoint",
                "req/s",
                "p50 ms",
                "p99 ms",
                "server CPU ms",
                "conns/worker",
                "requests",
                "errors",
            ),
            body,
        ),  # fmt: skip
        f"Evaluations stored during the write run: {write['stored']:,} "
        f"({write['stored_per_s']:,.0f}/s), counted in the database afterwards.",
        "",
    ]


def _import(run: dict[str, Any]) -> list[str]:
    return ["## Bulk import", "", *_output_block(run, "import")]


def _rescoring(run: dict[str, Any]) -> list[str]:
    """The full and the incremental scorings at the largest size, side by side."""
    measured = targets.sized(run, "score_")
    if not measured:
        return []
    size, doc = measured[-1]
    changed = f"{doc.get('changed_fraction', 0.01):.0%}"
    runs = [
        (label.format(changed=changed), doc if key is None else doc[key])
        for key, label in targets.SCORE_CASES
        if key is None or doc.get(key)  # None: a case not run (PostgreSQL's next period)
    ]
    if len(runs) == 1:
        return []
    rows = [
        (
            label,
            fmt(figures.get("rows_per_s")),
            fmt(figures.get("stage_cpu_us_per_row")),
            fmt(figures.get("national_seconds")),
            f"{figures.get('recomputed', 0):,} / {figures.get('reused', 0):,} / "
            f"{figures.get('untouched', 0):,}",
        )
        for label, figures in runs
    ]
    header = (
        f"run at {size:,}", "rows/s", "stage CPU us/row", "national s",
        "recomputed / reused / untouched",
    )  # fmt: skip
    return table(header, rows)


def _scoring(run: dict[str, Any]) -> list[str]:
    curve = targets.score_curve(run)
    lines = ["## Batch scoring", ""]
    if curve:
        rows = [(f"{n:,}", fmt(rate), fmt(peak)) for n, rate, peak in curve]
        lines += table(("employees", "rows/s", "peak RSS MiB"), rows)
    lines += _rescoring(run)
    for name in run["sections"]:
        if name.startswith(tuple(prefix for prefix, _ in targets.SCORE_SECTIONS)):
            lines += _output_block(run, name)
    return lines


def _training(run: dict[str, Any]) -> list[str]:
    curve = targets.train_curve(run)
    lines = ["## Training time and peak memory by size", ""]
    if curve:
        rows = [(f"{n:,}", fmt(seconds, 1), fmt(peak)) for n, seconds, peak in curve]
        lines += table(("employees", "seconds", "peak RSS MiB"), rows)
        lines += [
            "Extrapolation to national size: time grows at least linearly from the largest "
            "size (faster when the fitted exponent says so); memory follows the least-squares "
            "line through the measured sizes.",
            "",
        ]
    for name in (n for n in run["sections"] if n.startswith("train_")):
        lines += _output_block(run, name)
    return lines


def _cold_start(run: dict[str, Any]) -> list[str]:
    doc = targets.section_json(run, "cold_start")
    lines = ["## Cold start", ""]
    if doc is None:
        return [*lines, f"Not measured: {targets.why_missing(run, 'cold_start')}.", ""]
    imported, serve, profile = doc["import"], doc["serve"], doc["importtime"]
    runs = [
        (
            n + 1,
            r["readyz_s"],
            r["first_answer_s"],
            r["first_risk_read_s"],
            r.get("first_answer_with_login_s", "-"),
            r["first_live_answer_s"],
            ", ".join(r["loading_at_readyz"]) or "-",
        )
        for n, r in enumerate(serve["runs"])
    ]
    heavy = [(i["package"], fmt(i["seconds"], 2), f"`{i['via']}`") for i in profile["heavy"]]
    own = ", ".join(f"{i['package']} {i['seconds']:.2f} s" for i in profile["self_by_package"])
    return [
        *lines,
        f"`import service; create_app()` in a new interpreter: "
        f"{imported['import_s'] + imported['create_app_s']:.2f} s, {imported['cpu_s']:.2f} s "
        f"of CPU (median of {imported['runs']}; `create_app` imports the layers). "
        f"`kinerja serve` with {doc['workers']} workers, seconds from spawn:",
        "",
        *table(
            (
                "run",
                "/readyz 200",
                "first risk answer (token held across the restart)",
                "that risk read",
                "first answer after a fresh login",
                "first live answer",
                "loading at /readyz",
            ),
            runs,
        ),
        *_peer_start(run),
        f"`python -X importtime -c 'import service; service.create_app()'`: "
        f"{profile['total_s']:.2f} s of imports. Self time by top-level package: {own}.",
        "",
        "The heavy packages, each with the module of ours that imports it:",
        "",
        *table(("package", "seconds (cumulative)", "imported by"), heavy),
    ]


def _peer_start(run: dict[str, Any]) -> list[str]:
    """For comparison: how long `mlflow models serve` took to its first answer."""
    doc = targets.section_json(run, "serving")
    if not doc or "mlflow_peer" not in doc:
        return []
    seconds = doc["mlflow_peer"]["first_answer_s"]
    return [f"For comparison, `mlflow models serve` answered its first row after {seconds} s.", ""]


def _others(run: dict[str, Any]) -> list[str]:
    lines = ["## Other benchmarks of the tree", ""]
    for name in ("api", "seed", "recommend", "pages"):
        lines += [f"### {name}", "", *_output_block(run, name)]
    return lines


def _output_block(run: dict[str, Any], name: str) -> list[str]:
    """A benchmark's own summary lines (or why it has none)."""
    section = run["sections"].get(name)
    if section is None:
        return [f"`{name}`: left out of this run.", ""]
    status = f"Not measured: {section['reason']}." if section["reason"] else ""
    lines = [f"`{section['command']}` ({section['seconds']} s). {status}".rstrip(), ""]
    if section["output"]:
        lines += ["```", *section["output"], "```", ""]
    return lines


def _processes(run: dict[str, Any]) -> list[str]:
    rows = [
        (f"`{s['command']}`", s["load_before"]["at"] + (" (earlier run)" if s.get("carried")
         else ""), s["seconds"], load_text(s["load_before"]),
         "ok" if s["reason"] is None else s["reason"])
        for s in run["sections"].values()
    ]  # fmt: skip
    return [
        "## Every benchmark process",
        "",
        *table(("command", "started", "seconds", "load 1/5/15 at its start", "outcome"), rows),
    ]


def _raw(run: dict[str, Any]) -> list[str]:
    lines = ["## Raw JSON", ""]
    for name, section in run["sections"].items():
        if section.get("json") is not None:
            lines += [
                f"<details><summary>{name}</summary>",
                "",
                "```json",
                json.dumps(section["json"], indent=1, sort_keys=True),
                "```",
                "",
                "</details>",
                "",
            ]
    return lines
