"""Prometheus metrics at GET /metrics (outside /api/v1), summed over gunicorn's workers.

Metric names (Prometheus text format):

- `kinerja_http_request_duration_seconds{method,endpoint,status}`: histogram; `endpoint` is
  the route template (`/api/v1/employees/<int:employee_id>`), `<unmatched>` for unknown paths;
  `method` is `other` for a method name outside HTTP's
- `kinerja_http_requests_in_flight`: requests being answered now
- `kinerja_model_info{name,version}`: 1 for the version a worker last answered with, else 0
- `kinerja_model_answers_total{name,fallback}`: model answers, `fallback` "true" or "false"
  (counted by `ModelSource.current()`: once per employee answer, once per team ranking;
  in a request only when its response is a success, `record_model_answer_sent`)
- `kinerja_model_fallback_total{name}`: answers given by the rule-based fallback
- `kinerja_model_load_failures_total{name,reason}`: model files refused (`checksum`,
  `missing`, `untrusted_types`, `unusable`); the served model stays in place
- `kinerja_job_outcomes_total{kind,outcome}`: background jobs finished by this process's
  workers (a job runs in a process of its own, `kinerja train --job-id N`, whose count the
  web workers never see: use the next two)
- `kinerja_model_jobs{kind,status}`: rows of the `model_jobs` table by kind and status
  (`queued`, `running`, `succeeded`, `failed`; every status of each kind, 0 when none), read
  at each scrape: jobs run by `kinerja retrain-schedule`, `kinerja train --job-id N` or
  started through the API on any instance, counted once for the whole database
- `kinerja_model_jobs_last_finished_timestamp_seconds{kind,status}`: when the latest job of
  that kind finished with that outcome (Unix time; absent when none has): an alert can ask
  for a successful retrain in the last N days

Multiprocess mode: `kinerja serve` calls `prepare_multiprocess_dir()` before forking, so every
worker writes its values to files under `$KINERJA_HOME/prometheus` (or an explicit
`PROMETHEUS_MULTIPROC_DIR`), and the arbiter's child-exit hook `worker_exited` drops a dead
worker's gauges. prometheus_client decides between in-process and file-backed values when it
is first imported, so this module imports it only when the first metric is made.

Access: without `KINERJA_METRICS_TOKEN`, only loopback clients (no `X-Forwarded-For` or
`Forwarded` header, so a local reverse proxy does not count) may read /metrics; with it set,
every client must send `Authorization: Bearer <token>`.
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
import os
import threading
from dataclasses import dataclass
from datetime import UTC
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING
from typing import Any

from flask import Flask
from flask import Response
from flask import after_this_request
from flask import current_app
from flask import g
from flask import has_request_context
from flask import request
from flask import request_finished
from flask import request_started
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from service.ops.problem import problem
from service.ops.request_id import elapsed_ms

if TYPE_CHECKING:
    from prometheus_client import CollectorRegistry
    from prometheus_client import Counter
    from prometheus_client import Gauge
    from prometheus_client import Histogram
    from prometheus_client.core import GaugeMetricFamily

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
TOKEN_SETTING = "KINERJA_METRICS_TOKEN"
UNMATCHED = "<unmatched>"
#: The `method` label's values: a request with any other method name counts as OTHER_METHOD.
HTTP_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
OTHER_METHOD = "other"
#: The statuses of `model_jobs` rows (its check constraint), each exposed for every kind.
JOB_STATUSES = ("queued", "running", "succeeded", "failed")
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Metrics:
    """The process's metric objects, registered in their own registry."""

    registry: CollectorRegistry
    request_seconds: Histogram
    in_flight: Gauge
    model_info: Gauge
    model_answers: Counter
    model_fallbacks: Counter
    model_load_failures: Counter
    job_outcomes: Counter


_lock = threading.Lock()
_state: dict[str, Any] = {"metrics": None, "served": {}}
#: The request histogram's children by (method, endpoint, status) (`observe`).
_children: dict[tuple[str, str, int], Any] = {}
MAX_KEPT_CHILDREN = 4096
_answer_children: dict[tuple[str, bool], Any] = {}  # (model name, fallback) -> its child


def _create() -> Metrics:
    from prometheus_client import CollectorRegistry
    from prometheus_client import Counter
    from prometheus_client import Gauge
    from prometheus_client import Histogram

    registry = CollectorRegistry()
    return Metrics(
        registry=registry,
        request_seconds=Histogram(
            "kinerja_http_request_duration_seconds",
            "Time to answer an HTTP request, by route template and status",
            ["method", "endpoint", "status"],
            registry=registry,
        ),
        in_flight=Gauge(
            "kinerja_http_requests_in_flight",
            "HTTP requests being answered",
            registry=registry,
            multiprocess_mode="livesum",
        ),
        model_info=Gauge(
            "kinerja_model_info",
            "1 for the model version a worker last answered with, 0 for earlier ones",
            ["name", "version"],
            registry=registry,
            multiprocess_mode="livemax",
        ),
        model_answers=Counter(
            "kinerja_model_answers",
            "Model answers, by whether the rule-based fallback gave them",
            ["name", "fallback"],
            registry=registry,
        ),
        model_fallbacks=Counter(
            "kinerja_model_fallback",
            "Answers given by the rule-based fallback instead of a model",
            ["name"],
            registry=registry,
        ),
        model_load_failures=Counter(
            "kinerja_model_load_failures",
            "Model files refused (checksum, missing, types outside the allow-list)",
            ["name", "reason"],
            registry=registry,
        ),
        job_outcomes=Counter(
            "kinerja_job_outcomes",
            "Finished background jobs, by kind and outcome",
            ["kind", "outcome"],
            registry=registry,
        ),
    )


def metrics() -> Metrics:
    """Return this process's metrics, made on first use (after the server set its mode)."""
    made: Metrics | None = _state["metrics"]
    if made is not None:
        return made  # every call but the first: no lock (three per risk read)
    with _lock:
        if _state["metrics"] is None:
            _state["metrics"] = _create()
        return _state["metrics"]


def record_model_answer(name: str, version: str | int | None, fallback: bool) -> None:
    """Count one answer of model `name` and mark `version` as the one this worker serves.

    The answers' child of each (name, fallback) is kept, as `observe` keeps its children."""
    found = metrics()
    version = "none" if version is None else str(version)
    if _state["served"].get(name) != version:
        with _lock:
            previous = _state["served"].get(name)
            if previous != version:
                if previous is not None:
                    found.model_info.labels(name, previous).set(0)
                found.model_info.labels(name, version).set(1)
                _state["served"][name] = version
    answers = _answer_children.get((name, fallback))
    if answers is None:
        answers = found.model_answers.labels(name, "true" if fallback else "false")
        if len(_answer_children) >= MAX_KEPT_CHILDREN:
            _answer_children.clear()  # model names are few; never grow past this
        _answer_children[(name, fallback)] = answers
    answers.inc()
    if fallback:
        found.model_fallbacks.labels(name).inc()


def record_model_answer_sent(name: str, version: str | int | None, fallback: bool) -> None:
    """`record_model_answer` for an answer that is sent: in a request, once its response is
    a success (status below 400, redirects of a page's form included), so a read that fails
    after its answer was made (its audit row refused, a lost database: 503) counts none.

    Outside a request (the risk read's fast path, which calls it once the answer is sure to
    leave; the CLI) it counts at once.
    """
    if not has_request_context():
        record_model_answer(name, version, fallback)
        return

    @after_this_request
    def count_if_sent(response: Response) -> Response:
        if response.status_code < 400:
            record_model_answer(name, version, fallback)
        return response


def record_model_load_failure(name: str, reason: str) -> None:
    """Count a refused model file of `name` (`reason` such as "checksum")."""
    metrics().model_load_failures.labels(name, reason).inc()


def record_job_outcome(kind: str, outcome: str) -> None:
    """Count a finished job (`kind` such as "retrain", `outcome` such as "succeeded")."""
    metrics().job_outcomes.labels(kind, outcome).inc()


def exposition() -> tuple[bytes, str]:
    """Render every metric (summed over workers in multiprocess mode) and its content type."""
    from prometheus_client import CONTENT_TYPE_LATEST
    from prometheus_client import CollectorRegistry
    from prometheus_client import generate_latest
    from prometheus_client.multiprocess import MultiProcessCollector

    registry = metrics().registry
    if os.environ.get(MULTIPROC_ENV):
        registry = CollectorRegistry()
        MultiProcessCollector(registry)
    jobs = CollectorRegistry()
    jobs.register(_TableCollector(model_job_families()))
    return generate_latest(registry) + generate_latest(jobs), CONTENT_TYPE_LATEST


@dataclass(frozen=True, eq=False)  # hashed by identity, as a registry keeps its collectors
class _TableCollector:
    """Families read from the database for one scrape (a collector of one registry)."""

    families: list[GaugeMetricFamily]

    def collect(self) -> list[GaugeMetricFamily]:
        return self.families


def model_job_families() -> list[GaugeMetricFamily]:
    """The `model_jobs` rows by kind and status, and when each kind last finished with each
    outcome: one GROUP BY over a table of one row per retrain. Without the database the
    scrape still answers, without these families (the request metrics matter most then)."""
    from prometheus_client.core import GaugeMetricFamily

    from service.db.models import ModelJob

    query = select(
        ModelJob.kind, ModelJob.status, func.count(), func.max(ModelJob.finished_at)
    ).group_by(ModelJob.kind, ModelJob.status)
    try:
        with current_app.extensions["db"].engine.connect() as connection:
            rows = connection.execute(query).all()
    except SQLAlchemyError as exc:
        log.warning("metrics: model_jobs not read: %s", type(exc).__name__)
        return []
    counts = GaugeMetricFamily(
        "kinerja_model_jobs",
        "Model jobs in the database by kind and status (all instances, read at scrape)",
        labels=["kind", "status"],
    )
    finished = GaugeMetricFamily(
        "kinerja_model_jobs_last_finished_timestamp_seconds",
        "When the latest job of a kind finished with a status (Unix time)",
        labels=["kind", "status"],
    )
    found = {(kind, status): (count, last) for kind, status, count, last in rows}
    for kind in sorted({kind for kind, _ in found} | {"retrain"}):
        for status in JOB_STATUSES:
            count, last = found.get((kind, status), (0, None))
            counts.add_metric([kind, status], count)
            if last is not None and status in {"succeeded", "failed"}:
                finished.add_metric([kind, status], _unix_seconds(last))
    return [counts, finished]


def _unix_seconds(moment: datetime) -> float:
    """A stored time as Unix seconds (SQLite gives it back naive, in UTC)."""
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    return aware.timestamp()


def prepare_multiprocess_dir(home: str | Path | None = None) -> Path:
    """Point PROMETHEUS_MULTIPROC_DIR at an emptied directory; call before forking workers."""
    given = os.environ.get(MULTIPROC_ENV)
    path = Path(given) if given else Path(home or _configured_home()) / "prometheus"
    path.mkdir(parents=True, exist_ok=True)
    for stale in path.glob("*.db"):
        stale.unlink()
    os.environ[MULTIPROC_ENV] = str(path)
    return path


def worker_exited(_server: Any, worker: Any) -> None:
    """Gunicorn `child_exit` hook: drop the gauges of a worker that has gone."""
    if os.environ.get(MULTIPROC_ENV):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)


def _configured_home() -> Path:
    from service.config import defaults
    from service.config import from_environment

    settings = {**defaults(), **from_environment()}
    return Path(settings["KINERJA_HOME"]).expanduser().resolve()


def count_in_flight(_sender: Flask, **_extra: object) -> None:
    """Count the request as in flight (connected to `request_started`)."""
    enter_flight()
    g.counted_in_flight = True


def observe_request(_sender: Flask, response: Response, **_extra: object) -> None:
    """Record the request's duration once its response is final (`request_finished`)."""
    endpoint = request.url_rule.rule if request.url_rule is not None else UNMATCHED
    observe(request.method, endpoint, response.status_code, elapsed_ms())


def uncount_in_flight(_exc: BaseException | None = None) -> None:
    """Take the request out of the in-flight gauge, however it ended."""
    if g.pop("counted_in_flight", False):
        leave_flight()


def enter_flight() -> None:
    """One more request in flight (Flask's hooks and the risk read's fast path)."""
    metrics().in_flight.inc()


def leave_flight() -> None:
    """One request fewer in flight."""
    metrics().in_flight.dec()


def observe(method: str, endpoint: str, status: int, duration_ms: float) -> None:
    """Record one answered request under its route template (Flask's hooks, fast path).

    The histogram's child of each (method, endpoint, status) is kept in a dict: `labels()`
    (argument checks, the labels made strings, a lock) returns the same child every time.
    A method outside HTTP's is labelled `other`: the client chooses it, and each new label
    value is a series in every worker's file, forever.
    """
    key = (method, endpoint, status)
    child = _children.get(key)
    if child is None:
        label = method if method in HTTP_METHODS else OTHER_METHOD
        child = metrics().request_seconds.labels(label, endpoint, str(status))
        if len(_children) >= MAX_KEPT_CHILDREN:
            _children.clear()  # routes x methods x statuses are few; never grow past this
        _children[key] = child
    child.observe(duration_ms / 1000)


def metrics_view() -> Response:
    """Serve the metrics to a loopback client, or to one holding the metrics token."""
    refusal = access_refusal()
    if refusal is not None:
        return refusal
    body, content_type = exposition()
    return Response(body, content_type=content_type, headers={"Cache-Control": "no-store"})


def access_refusal() -> Response | None:
    """Return why this client may not read /metrics, or None when it may."""
    token = current_app.config.get(TOKEN_SETTING) or os.environ.get(TOKEN_SETTING)
    if token:
        scheme, _, given = request.headers.get("Authorization", "").partition(" ")
        matches = hmac.compare_digest(given.strip().encode(), token.encode())
        if scheme.lower() == "bearer" and matches:
            return None
        detail = "send Authorization: Bearer <KINERJA_METRICS_TOKEN> to read the metrics"
        return problem(401, detail, {"WWW-Authenticate": 'Bearer realm="metrics"'})
    if _is_loopback_client():
        return None
    return problem(403, "metrics are served to loopback clients only; set KINERJA_METRICS_TOKEN")


def _is_loopback_client() -> bool:
    if request.headers.get("X-Forwarded-For") or request.headers.get("Forwarded"):
        return False
    try:
        return ipaddress.ip_address(request.remote_addr or "").is_loopback
    except ValueError:
        return False


def init_app(app: Flask) -> None:
    """Measure every request of `app` and serve GET /metrics."""
    request_started.connect(count_in_flight, app)
    request_finished.connect(observe_request, app)
    app.teardown_request(uncount_in_flight)
    app.add_url_rule("/metrics", "ops.metrics", metrics_view, methods=["GET"])
