"""Model faults through the API: tracking server down or hung, model files that fail checks.

Whatever goes wrong with the models, a risk request gets an answer (the exported champion or
the rule, marked `fallback: true`) in bounded time, a model file that fails its checksum is
never swapped in, and the refusal is logged and counted in /metrics.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from mlflow import MlflowClient
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy.orm import Session

from service.domain.entities import Rating
from service.serving.jobs import job_environment
from service.serving.loader import MODEL_FILE
from service.serving.loader import SERVING_HTTP_LIMITS
from service.serving.loader import ModelSource
from service.serving.loader import registry_client
from tests.factories import make_evaluation
from tests.resilience.processes import free_port
from tests.service.api.world import World
from tests.service.api.world import build_world
from training.sample import Sample

NAME = "kinerja-risk"
QUICK_SECONDS = 5
QUARTERS = ("2024-Q3", "2024-Q4", "2025-Q1", "2025-Q2")


@pytest.fixture
def database_url(tmp_path: Path, sqlite_template: Path) -> str:
    """One backend is enough here: the faults are in the model stores, not the database."""
    path = tmp_path / "kinerja.db"
    path.write_bytes(sqlite_template.read_bytes())
    return f"sqlite:///{path}"


@pytest.fixture(autouse=True)
def clean_mlflow_waits(monkeypatch: pytest.MonkeyPatch) -> None:
    """Start without MLflow wait settings; whatever the serving code sets is undone after."""
    for key in SERVING_HTTP_LIMITS:
        monkeypatch.delenv(key, raising=False)


@pytest.fixture
def hung_server() -> Iterator[int]:
    """A port that accepts connections and never answers, like a hung tracking server."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    yield listener.getsockname()[1]
    listener.close()


@pytest.fixture
def world(app: Flask, session: Session) -> World:
    """The standard world, with four evaluated quarters of E1 (enough for a probability)."""
    world = build_world(session)
    for i, period in enumerate(QUARTERS):
        rating = Rating.DI_BAWAH_EKSPEKTASI if i >= 2 else Rating.SESUAI_EKSPEKTASI
        make_evaluation(
            session, employee_id=world.employees["E1"], period=period, work_result_rating=rating
        )
    session.commit()
    return world


def _serve_from(app: Flask, tracking_uri: str, models_dir: str | Path) -> None:
    """Point the app's model provider at these stores, re-checking the alias on every answer."""
    from service import serving

    app.config.update(
        MLFLOW_TRACKING_URI=tracking_uri,
        KINERJA_MODELS_DIR=str(models_dir),
        RISK_MODEL_REFRESH_SECONDS=0,
    )
    serving.init_app(app)


def _risk(client: FlaskClient, world: World) -> tuple[dict, float]:
    started = time.monotonic()
    response = client.get(
        f"/api/v1/employees/{world.employees['E1']}/risk", headers=world.headers("hr")
    )
    assert response.status_code == 200, response.get_json()
    return response.get_json(), time.monotonic() - started


def _ready_model(client: FlaskClient) -> dict:
    return client.get("/readyz").get_json()["models"]["models"][NAME]


def _metric(client: FlaskClient, metric: str, **labels: str) -> float:
    text = client.get("/metrics").get_data(as_text=True)
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == metric and labels.items() <= sample.labels.items():
                return sample.value
    return 0.0


@pytest.mark.parametrize("down", ["refused", "hung"])
def test_unreachable_tracking_server_answers_from_the_exported_champion(
    app: Flask,
    client: FlaskClient,
    world: World,
    sample_copy: Sample,
    hung_server: int,
    monkeypatch: pytest.MonkeyPatch,
    down: str,
) -> None:
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_TIMEOUT", "1")  # an operator's settings win
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    port = free_port() if down == "refused" else hung_server
    _serve_from(app, f"http://127.0.0.1:{port}", sample_copy.models_dir)

    body, seconds = _risk(client, world)

    assert body["model"] == {"name": NAME, "version": sample_copy.version, "fallback": False}
    assert body["status"] == "ok" and 0 <= body["probability"] <= 1
    assert seconds < QUICK_SECONDS
    ready = _ready_model(client)
    assert (ready["source"], ready["fallback"]) == ("export", False)
    assert "registry unreachable" in ready["error"]
    models = client.get("/api/v1/models", headers=world.headers("data"))
    assert models.status_code == 200
    assert models.get_json()["registry_error"] and models.get_json()["items"] == []


def test_no_tracking_server_and_no_export_answers_with_the_rule(
    app: Flask, client: FlaskClient, world: World, tmp_path: Path
) -> None:
    _serve_from(app, f"http://127.0.0.1:{free_port()}", tmp_path / "no-models")
    before = _metric(client, "kinerja_model_fallback_total", name=NAME)

    body, seconds = _risk(client, world)

    assert body["model"] == {"name": NAME, "version": None, "fallback": True}
    assert body["status"] == "ok" and body["flagged"] is True  # the last predikat was poor
    assert seconds < QUICK_SECONDS
    assert _metric(client, "kinerja_model_fallback_total", name=NAME) == before + 1
    assert _ready_model(client)["fallback"] is True


def _register_copy(sample: Sample, **tags: str) -> str:
    """Register the champion's artefact again with `tags` changed; move the alias to it."""
    client = MlflowClient(sample.tracking_uri, sample.tracking_uri)
    current = client.get_model_version_by_alias(NAME, "champion")
    copy = client.create_model_version(
        NAME, current.source, current.run_id, tags={**current.tags, **tags}
    )
    client.set_registered_model_alias(NAME, "champion", copy.version)
    return str(copy.version)


def test_a_version_failing_its_checksum_is_refused_and_not_swapped_in(
    app: Flask,
    client: FlaskClient,
    world: World,
    sample_copy: Sample,
    caplog: pytest.LogCaptureFixture,
) -> None:
    _serve_from(app, sample_copy.tracking_uri, sample_copy.models_dir)
    assert _risk(client, world)[0]["model"]["version"] == sample_copy.version
    failures = {"name": NAME, "reason": "checksum"}
    before = _metric(client, "kinerja_model_load_failures_total", **failures)

    tampered = _register_copy(sample_copy, sha256="0" * 64)
    with caplog.at_level(logging.ERROR, logger="service.serving.loader"):
        answers = [_risk(client, world)[0] for _ in range(3)]

    assert {a["model"]["version"] for a in answers} == {sample_copy.version}
    assert {a["model"]["fallback"] for a in answers} == {False}
    ready = _ready_model(client)
    assert ready["version"] == sample_copy.version and "checksum mismatch" in ready["error"]
    assert _metric(client, "kinerja_model_load_failures_total", **failures) == before + 1
    [refusal] = [r for r in caplog.records if "refused" in r.getMessage()]
    assert tampered in refusal.getMessage() and "checksum mismatch" in refusal.getMessage()
    served = "kinerja_model_info"
    assert _metric(client, served, name=NAME, version=sample_copy.version) == 1
    assert _metric(client, served, name=NAME, version=tampered) == 0


def test_an_altered_export_is_refused_and_the_rule_answers(
    app: Flask, client: FlaskClient, world: World, sample_copy: Sample
) -> None:
    model_file = Path(sample_copy.models_dir) / NAME / MODEL_FILE
    model_file.write_bytes(model_file.read_bytes() + b"\0")
    _serve_from(app, f"http://127.0.0.1:{free_port()}", sample_copy.models_dir)
    failures = {"name": NAME, "reason": "checksum"}
    before = _metric(client, "kinerja_model_load_failures_total", **failures)

    body, _seconds = _risk(client, world)

    assert body["model"] == {"name": NAME, "version": None, "fallback": True}
    assert "checksum mismatch" in _ready_model(client)["error"]
    assert _metric(client, "kinerja_model_load_failures_total", **failures) == before + 1


def test_serving_bounds_mlflow_waits_and_jobs_keep_the_defaults(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_TIMEOUT", "9")  # set by the operator: kept

    registry_client("http://127.0.0.1:9")

    assert os.environ["MLFLOW_HTTP_REQUEST_TIMEOUT"] == "9"
    assert os.environ["MLFLOW_HTTP_REQUEST_MAX_RETRIES"] == "1"
    job = job_environment({"DATABASE_URL": "sqlite:///x.db", "KINERJA_HOME": "/srv"})
    assert "MLFLOW_HTTP_REQUEST_MAX_RETRIES" not in job
    assert job["MLFLOW_HTTP_REQUEST_TIMEOUT"] == "9"
    assert (job["DATABASE_URL"], job["KINERJA_HOME"]) == ("sqlite:///x.db", "/srv")


def test_retrain_jobs_get_the_apps_training_settings() -> None:
    settings = {"RISK_TRAIN_MAX_EMPLOYEES": "5000", "RISK_TRAIN_COMPARE_SIGNALS": "false"}
    job = job_environment({"DATABASE_URL": "sqlite:///x.db", "KINERJA_HOME": "/srv", **settings})
    assert {key: job[key] for key in settings} == settings


def test_a_slow_alias_check_holds_up_one_request_not_all(
    sample_copy: Sample, hung_server: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_TIMEOUT", "2")
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    source = ModelSource(
        NAME, f"http://127.0.0.1:{hung_server}", sample_copy.models_dir, refresh_seconds=0
    )
    first = source.current()  # the first load waits: there is nothing to answer with yet
    assert first is not None and first.source == "export"
    checking = threading.Thread(target=source.current)
    checking.start()
    while not source._lock.locked() and checking.is_alive():  # the check is under way
        time.sleep(0.01)

    started = time.monotonic()
    during = source.current()
    waited = time.monotonic() - started
    checking.join()

    assert during is first and waited < 1.0
