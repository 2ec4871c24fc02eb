"""Request ids, JSON request logs and Prometheus metrics (service.ops)."""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from flask import Flask
from flask import g
from flask.testing import FlaskClient
from prometheus_client.parser import text_string_to_metric_families

from service.ops.logging import JsonFormatter
from service.ops.logging import StderrHandler
from service.ops.logging import configure_logging
from service.ops.metrics import metrics
from service.ops.metrics import record_job_outcome
from service.ops.metrics import record_model_answer

HEX_ID = re.compile(r"^[0-9a-f]{32}$")
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def database_url(tmp_path: Path, sqlite_template: Path) -> str:
    """These tests need one backend only: a migrated SQLite copy."""
    path = tmp_path / "kinerja.db"
    shutil.copyfile(sqlite_template, path)
    return f"sqlite:///{path}"


@pytest.fixture
def probed(app: Flask) -> FlaskClient:
    """A client of an app with two probe routes that look inside the request."""

    def request_id() -> dict[str, str]:
        return {"request_id": g.request_id}

    def in_flight() -> dict[str, float]:
        return {"in_flight": _in_flight()}

    app.add_url_rule("/_probe/request-id", "probe_request_id", request_id)
    app.add_url_rule("/_probe/in-flight", "probe_in_flight", in_flight)
    return app.test_client()


def _sample(client: FlaskClient, metric: str, **labels: str) -> float:
    """Read one sample from /metrics (0 when the series does not exist yet)."""
    response = client.get("/metrics")
    assert response.status_code == 200, response.data
    return _scraped(response.get_data(as_text=True), metric, **labels)


def _scraped(text: str, metric: str, **labels: str) -> float:
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == metric and labels.items() <= sample.labels.items():
                return sample.value
    return 0.0


def _in_flight() -> float:
    """Read the gauge outside of any /metrics request (which would count itself)."""
    value = metrics().registry.get_sample_value("kinerja_http_requests_in_flight")
    assert value is not None
    return value


def _json_lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def _request_lines(text: str) -> list[dict]:
    return [entry for entry in _json_lines(text) if entry["logger"] == "kinerja.request"]


@pytest.mark.parametrize("path", ["/healthz", "/api/v1/competencies", "/no-such-page"])
def test_request_gets_a_new_id_when_none_is_sent(client: FlaskClient, path: str) -> None:
    first = client.get(path).headers["X-Request-ID"]
    second = client.get(path).headers["X-Request-ID"]

    assert HEX_ID.match(first) and HEX_ID.match(second)
    assert first != second


@pytest.mark.parametrize("given", ["abc-123", "a" * 64, "req.1_X", "0"])
@pytest.mark.parametrize("path", ["/healthz", "/api/v1/competencies"])
def test_sane_incoming_id_is_echoed(client: FlaskClient, path: str, given: str) -> None:
    assert client.get(path, headers={"X-Request-ID": given}).headers["X-Request-ID"] == given


@pytest.mark.parametrize("given", ["a" * 65, "has space", "semi;colon", 'quote"d', "ünï"])
def test_insane_incoming_id_is_replaced(client: FlaskClient, given: str) -> None:
    echoed = client.get("/healthz", headers={"X-Request-ID": given}).headers["X-Request-ID"]

    assert HEX_ID.match(echoed)


@pytest.mark.parametrize("given", [None, "trace-7"])
def test_request_id_is_available_to_the_view(probed: FlaskClient, given: str | None) -> None:
    headers = {"X-Request-ID": given} if given else {}
    response = probed.get("/_probe/request-id", headers=headers)

    assert response.get_json()["request_id"] == response.headers["X-Request-ID"]
    assert given is None or response.headers["X-Request-ID"] == given


def test_each_request_writes_one_json_line(
    client: FlaskClient, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    client.get("/healthz?name=Siti+Rahayu", headers={"X-Request-ID": "trace-1"})
    client.get("/no-such-page")

    first, second = _request_lines(capsys.readouterr().err)
    assert first["request_id"] == "trace-1"
    assert (first["level"], first["method"], first["path"], first["status"]) == (
        "INFO", "GET", "/healthz", 200
    )  # fmt: skip
    assert (second["path"], second["status"]) == ("/no-such-page", 404)
    assert HEX_ID.match(second["request_id"])
    assert isinstance(first["duration_ms"], float) and first["duration_ms"] >= 0
    assert datetime.fromisoformat(first["time"]).tzinfo is not None
    assert "Siti" not in json.dumps(first)


def test_logs_hold_no_bodies_or_credentials(
    client: FlaskClient, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    response = client.post(
        "/api/v1/auth/token", json={"username": "siti.rahayu", "password": "Rahasia-Sekali-99"}
    )

    err = capsys.readouterr().err
    assert response.status_code == 401
    [line] = _request_lines(err)
    assert (line["path"], line["status"]) == ("/api/v1/auth/token", 401)
    assert "siti" not in err.lower() and "Rahasia" not in err


def test_records_logged_during_a_request_carry_its_id(
    app: Flask, capsys: pytest.CaptureFixture[str]
) -> None:
    def failing() -> dict[str, str]:
        try:
            raise ValueError("boom")
        except ValueError:
            logging.getLogger("kinerja.test").exception("could not do it")
        return {"status": "handled"}

    app.add_url_rule("/_probe/fail", "probe_fail", failing)
    capsys.readouterr()
    app.test_client().get("/_probe/fail", headers={"X-Request-ID": "trace-err"})

    [entry] = [e for e in _json_lines(capsys.readouterr().err) if e["logger"] == "kinerja.test"]
    assert (entry["level"], entry["message"], entry["request_id"]) == (
        "ERROR", "could not do it", "trace-err"
    )  # fmt: skip
    assert "ValueError: boom" in entry["exception"]


def test_a_readiness_probe_writes_one_line(
    client: FlaskClient, capsys: pytest.CaptureFixture[str]
) -> None:
    """Load balancers probe /readyz every few seconds, on every worker of every instance:
    Alembic's INFO lines about its migration context ("Context impl SQLiteImpl.", "Will
    assume non-transactional DDL.") tripled the probe's share of the log."""
    client.get("/readyz")  # the first probe of a process may load the migration scripts
    capsys.readouterr()

    client.get("/readyz")
    client.get("/readyz")

    loggers = [entry["logger"] for entry in _json_lines(capsys.readouterr().err)]
    assert loggers == ["kinerja.request", "kinerja.request"]


def test_formatter_writes_only_known_fields() -> None:
    record = logging.LogRecord("kinerja.x", logging.INFO, __file__, 1, "hello %s", ("you",), None)
    record.employee_name = "Budi Santoso"
    record.status = 204

    entry = json.loads(JsonFormatter().format(record))

    assert entry["message"] == "hello you"
    assert entry["status"] == 204
    assert set(entry) == {"time", "level", "logger", "message", "status"}


def test_configuring_twice_keeps_one_handler() -> None:
    configure_logging("INFO")
    configure_logging("WARNING")

    root = logging.getLogger()
    assert len([h for h in root.handlers if isinstance(h, StderrHandler)]) == 1
    assert root.level == logging.WARNING
    configure_logging("INFO")


@pytest.mark.slow  # a fresh interpreter importing the whole service takes ~5 s
def test_importing_the_service_configures_no_logging() -> None:
    code = "import logging, service, service.ops; print(len(logging.getLogger().handlers))"
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )

    assert done.stdout.strip() == "0"


def test_request_histogram_is_labelled_by_route_and_status(
    app: Flask, client: FlaskClient
) -> None:
    rule = app.url_map.bind("localhost").match("/api/v1/employees/5", return_rule=True)[0].rule
    name = "kinerja_http_request_duration_seconds_count"
    series = {
        "health": {"endpoint": "/healthz", "method": "GET", "status": "200"},
        "unknown": {"endpoint": "<unmatched>", "method": "GET", "status": "404"},
        "employee": {"endpoint": rule, "method": "GET", "status": "401"},
    }
    before = {key: _sample(client, name, **labels) for key, labels in series.items()}

    client.get("/healthz")
    client.get("/healthz")
    client.get("/no-such-page")
    client.get("/api/v1/employees/5")

    after = {key: _sample(client, name, **labels) for key, labels in series.items()}
    assert {key: after[key] - before[key] for key in series} == {
        "health": 2, "unknown": 1, "employee": 1
    }  # fmt: skip


def test_request_methods_outside_http_are_one_label(client: FlaskClient) -> None:
    """A client choosing the method name must not choose new series: each made a histogram
    of its own (unbounded label values, in every worker's file) before."""
    for number in range(20):
        assert client.open("/healthz", method=f"PROBE{number}").status_code == 405

    scraped = client.get("/metrics").get_data(as_text=True)
    methods = {
        sample.labels["method"]
        for family in text_string_to_metric_families(scraped)
        for sample in family.samples
        if sample.name == "kinerja_http_request_duration_seconds_count"
    }
    assert not any(method.startswith("PROBE") for method in methods)
    assert (
        _scraped(
            scraped, "kinerja_http_request_duration_seconds_count", method="other", status="405"
        )
        >= 20
    )


def test_in_flight_gauge_counts_the_running_request(probed: FlaskClient) -> None:
    before = _in_flight()

    during = probed.get("/_probe/in-flight").get_json()["in_flight"]

    assert during == before + 1
    assert _in_flight() == before


def test_model_answers_and_version(client: FlaskClient) -> None:
    name = f"test-model-{uuid.uuid4().hex[:8]}"

    record_model_answer(name, "3", fallback=False)
    record_model_answer(name, "3", fallback=False)
    record_model_answer(name, 4, fallback=True)

    assert _sample(client, "kinerja_model_info", name=name, version="3") == 0
    assert _sample(client, "kinerja_model_info", name=name, version="4") == 1
    assert _sample(client, "kinerja_model_answers_total", name=name, fallback="false") == 2
    assert _sample(client, "kinerja_model_answers_total", name=name, fallback="true") == 1
    assert _sample(client, "kinerja_model_fallback_total", name=name) == 1


def test_job_outcomes_are_counted(client: FlaskClient) -> None:
    kind = f"test-job-{uuid.uuid4().hex[:8]}"

    record_job_outcome(kind, "succeeded")
    record_job_outcome(kind, "failed")
    record_job_outcome(kind, "failed")

    assert _sample(client, "kinerja_job_outcomes_total", kind=kind, outcome="succeeded") == 1
    assert _sample(client, "kinerja_job_outcomes_total", kind=kind, outcome="failed") == 2


def test_a_retrain_job_reports_its_outcome(app: Flask, client: FlaskClient) -> None:
    """The job runner counts what it records: here a training run on an empty database."""
    from service.db.repositories import risk as repo
    from training.jobs import run_job
    from training.pipeline import run

    config, failed = app.config, {"kind": "retrain", "outcome": "failed"}
    with app.extensions["db"].sessions() as session:
        job_id = repo.add_job(session, None, {}).id
        session.commit()
    before = _sample(client, "kinerja_job_outcomes_total", **failed)
    stores = (config["DATABASE_URL"], config["MLFLOW_TRACKING_URI"], config["KINERJA_MODELS_DIR"])

    with pytest.raises(ValueError, match="no evaluations"):
        run_job(app.extensions["db"], job_id, lambda: run(*stores))

    assert _sample(client, "kinerja_job_outcomes_total", **failed) == before + 1


TOKEN = "s3cret-metrics-token"


@pytest.mark.parametrize(
    ("address", "headers", "token", "status"),
    [
        ("127.0.0.1", {}, None, 200),
        ("::1", {}, None, 200),
        ("10.0.0.7", {}, None, 403),
        ("127.0.0.1", {"X-Forwarded-For": "203.0.113.9"}, None, 403),
        ("127.0.0.1", {"Forwarded": "for=203.0.113.9"}, None, 403),
        ("10.0.0.7", {"Authorization": f"Bearer {TOKEN}"}, TOKEN, 200),
        ("10.0.0.7", {"Authorization": "Bearer wrong"}, TOKEN, 401),
        ("10.0.0.7", {"Authorization": f"Basic {TOKEN}"}, TOKEN, 401),
        ("127.0.0.1", {}, TOKEN, 401),
    ],
)
def test_metrics_access(
    app: Flask,
    monkeypatch: pytest.MonkeyPatch,
    address: str,
    headers: dict[str, str],
    token: str | None,
    status: int,
) -> None:
    monkeypatch.delenv("KINERJA_METRICS_TOKEN", raising=False)
    app.config["KINERJA_METRICS_TOKEN"] = token
    response = app.test_client().get(
        "/metrics", headers=headers, environ_base={"REMOTE_ADDR": address}
    )

    assert response.status_code == status
    if status == 200:
        assert response.mimetype == "text/plain"
        assert "kinerja_http_request_duration_seconds" in response.get_data(as_text=True)
    else:
        assert response.mimetype == "application/problem+json"
        assert response.get_json()["status"] == status


# The pre-fork server: values summed across workers, a dead worker's gauges dropped.


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _get(url: str) -> str:
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.read().decode()


def _wait_for(url: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            _get(url)
            return
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"{url} did not answer within {seconds} s")


@pytest.fixture
def server(tmp_path: Path, sqlite_template: Path) -> Iterator[tuple[str, Path]]:
    """`kinerja serve` with two workers on a free port; yields its URL and KINERJA_HOME."""
    shutil.copyfile(sqlite_template, tmp_path / "kinerja.db")
    home = tmp_path / "home"
    env = {
        **os.environ,
        "KINERJA_ENV": "demo",
        "KINERJA_HOME": str(home),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'kinerja.db'}",
        "MLFLOW_TRACKING_URI": f"sqlite:///{tmp_path / 'mlflow.db'}",
    }
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    env.pop("XDG_RUNTIME_DIR", None)
    env["HOME"] = str(tmp_path / "user-home")  # where gunicorn's control socket would go
    port = _free_port()
    kinerja = Path(sys.executable).with_name("kinerja")
    process = subprocess.Popen(
        [str(kinerja), "serve", "--port", str(port), "--workers", "2"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_for(f"http://127.0.0.1:{port}/healthz")
        yield f"http://127.0.0.1:{port}", home
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)


def _worker_gauge_files(directory: Path) -> dict[int, Path]:
    return {int(p.stem.rsplit("_", 1)[1]): p for p in directory.glob("gauge_livesum_*.db")}


@pytest.mark.slow
def test_prefork_workers_share_metrics(server: tuple[str, Path]) -> None:
    url, home = server
    requests = 12
    for _ in range(requests):
        _get(f"{url}/healthz")
    directory = home / "prometheus"
    count = "kinerja_http_request_duration_seconds_count"

    scrapes = [_get(f"{url}/metrics") for _ in range(4)]

    for text in scrapes:  # whichever worker answers, it reports every worker's requests
        assert _scraped(text, count, endpoint="/healthz", status="200") == requests + 1
    workers = _worker_gauge_files(directory)
    assert len(list(directory.glob("histogram_*.db"))) >= 1 and workers

    # No gunicorn control socket at the user's one path, which a second instance took over.
    assert not (home.parent / "user-home" / ".gunicorn").exists()

    victim = next(iter(workers))
    os.kill(victim, signal.SIGKILL)
    deadline = time.monotonic() + 20
    while victim in _worker_gauge_files(directory) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert victim not in _worker_gauge_files(directory)
    _wait_for(f"{url}/healthz")
