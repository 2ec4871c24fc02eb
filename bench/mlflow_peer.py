"""The peer: our champion risk model served by `mlflow models serve`, scoring one row per request.

This is what a data team could run instead of Kinerja's risk read: the same registered
`models:/kinerja-risk@champion` from the same MLflow store, served by MLflow's own scoring
server (uvicorn, `--env-manager local`, the same number of workers as `kinerja serve`), each
request a POST /invocations carrying one row of features (the model's own serving input
example, the typical row logged at training). It gets OMP_NUM_THREADS=1 as our workers do, so
neither side spends the two cores on OpenMP spin-waits. The peer's requests carry the
features; our risk read computes them from the database first, so it does more per request.

    python bench/mlflow_peer.py [--sample DIR | --employees 600] [--seconds 10]
                                [--connections 16] [--workers 2]

Prints the figures, then one JSON line (the last line of the output).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
import urllib.request
from functools import partial
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import loopback  # noqa: E402

MODEL_NAME = "kinerja-risk"
ALIAS = "champion"
MODEL_URI = f"models:/{MODEL_NAME}@{ALIAS}"
EXAMPLE_FILE = "serving_input_example.json"
WARM_UP_SECONDS = 2.0  # as bench/serving.py gives every server
SPREAD_RESTARTS = 40  # one start in six or seven was spread


def one_row_body(tracking_uri: str) -> bytes:
    """The champion's logged serving input example (one row, `dataframe_split`), compacted."""
    from mlflow.artifacts import download_artifacts

    from service.serving.loader import champion_version
    from service.serving.loader import registry_client

    client = registry_client(tracking_uri)
    version = champion_version(client, MODEL_NAME, ALIAS)
    if version is None:
        raise RuntimeError(f"{tracking_uri} has no {MODEL_NAME}@{ALIAS}")
    uri = client.get_model_version_download_uri(MODEL_NAME, version.version).rstrip("/")
    with tempfile.TemporaryDirectory() as tmp:
        path = download_artifacts(
            artifact_uri=f"{uri}/{EXAMPLE_FILE}", dst_path=tmp, tracking_uri=tracking_uri
        )
        body = json.loads(Path(path).read_text())
    rows = body["dataframe_split"]["data"]
    if len(rows) != 1:
        raise ValueError(f"the serving example holds {len(rows)} rows, not one")
    return json.dumps(body, separators=(",", ":")).encode()


def post_script(body: bytes) -> str:
    """A wrk Lua script that POSTs `body` as JSON (a long-bracket string: no escaping)."""
    text = body.decode()
    if "]==]" in text:
        raise ValueError("the body cannot be written as a [==[ ]==] Lua string")
    return (
        'wrk.method = "POST"\n'
        f"wrk.body = [==[{text}]==]\n"
        'wrk.headers["Content-Type"] = "application/json"\n'
    )


def serve_command(port: int, workers: int, model_uri: str = MODEL_URI) -> list[str]:
    """`mlflow models serve` on loopback with the current environment's packages."""
    mlflow = str(loopback.VENV_BIN / "mlflow")
    return [
        mlflow, "models", "serve", "-m", model_uri, "--env-manager", "local",
        "--workers", str(workers), "--host", "127.0.0.1", "--port", str(port),
    ]  # fmt: skip


def score_once(url: str, body: bytes) -> Any:
    """POST one row and return the parsed answer (proves the peer really scores)."""
    request = urllib.request.Request(
        url, data=body, headers={"Content-Type": "application/json"}, method="POST"
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


def measure_peer(
    tracking_uri: str, workdir: Path, connections: int, seconds: float, workers: int
) -> dict[str, Any]:
    """Serve the champion with MLflow, check one answer, load it with wrk; return the figures.

    After a warm-up, as every contender of bench/serving.py gets; with the server's CPU per
    request and its workers' balance (`loopback.run_wrk`). wrk is started again (half a
    second each time, `SPREAD_RESTARTS` times at most) until its connections are spread
    over the workers (`evenly_held`): uvicorn has no setting like gunicorn's
    `worker_connections`, and an asyncio worker accepts every connection waiting when it
    wakes, so in most starts one worker took all 16 and the other idled. The rejected
    spreads are kept (`rejected_spreads`).
    """
    body = one_row_body(tracking_uri)
    script = workdir / "mlflow_peer.lua"
    script.write_text(post_script(body))
    port = loopback.free_port()
    env = loopback.environment(MLFLOW_TRACKING_URI=tracking_uri, OMP_NUM_THREADS="1")
    command = serve_command(port, workers)
    began = time.perf_counter()
    log = workdir / "mlflow_peer.log"
    with loopback.running(command, env, log) as process:
        loopback.wait_until_answers(f"http://127.0.0.1:{port}/ping", process, timeout=300, log=log)
        url = f"http://127.0.0.1:{port}/invocations"
        answer = score_once(url, body)
        ready = time.perf_counter() - began
        loopback.run_wrk(url, connections, WARM_UP_SECONDS, script=script)
        accept = partial(evenly_held, connections=connections, workers=workers)
        figures = loopback.run_wrk(
            url,
            connections,
            seconds,
            script=script,
            server=(process.pid, workers),
            spread=loopback.Spread(accept, SPREAD_RESTARTS),
        )
    return {
        **figures,
        "first_answer_s": round(ready, 2),
        "answer": answer,
        "workers": workers,
        "body_bytes": len(body),
    }


def evenly_held(held: list[int], connections: int, workers: int) -> bool:
    """Whether every worker holds at least half its share of the connections."""
    return len(held) == workers and min(held) * 2 * workers >= connections


def main() -> None:
    """Measure the peer alone on a copy of an existing sample or on a new small one."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sample", type=Path, help="a training.sample directory to serve from")
    parser.add_argument("--employees", type=int, default=600, help="size of a new sample")
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2)
    loopback.measure_and_print("mlflow_peer", _measure, _show, parser.parse_args())


def _measure(args: argparse.Namespace, work: Path) -> dict[str, Any]:
    sample = loopback.sample_copy(args.sample, work / "sample", args.employees)
    tracking_uri = f"sqlite:///{sample / 'mlflow.db'}"
    figures = measure_peer(tracking_uri, work, args.connections, args.seconds, args.workers)
    return {**figures, "connections": args.connections}


def _show(figures: dict[str, Any]) -> None:
    print(
        f"mlflow models serve, one row per POST /invocations, {figures['connections']} "
        f"connections: {figures['rps']:.0f} req/s, p50 {figures['p50_ms']:.1f} ms, "
        f"p99 {figures['p99_ms']:.1f} ms (first answer after {figures['first_answer_s']} s)"
    )


if __name__ == "__main__":
    main()
