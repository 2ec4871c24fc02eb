"""Scale-out, really run: two `kinerja serve` instances, one PostgreSQL, one MLflow server.

The deployment shape of the README: stateless instances (here two, each with two gunicorn
workers and a data directory of its own) on one PostgreSQL database and one MLflow tracking
server whose artefact store they reach through the server. A retrain requested through
instance A (POST /api/v1/models/retrain as the data team) runs as its own process on the
shared stores; instance B, which never saw the job, must then serve the new champion too,
without a restart: every worker re-checks the alias every RISK_MODEL_REFRESH_SECONDS.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.db import make_engine
from service.db.migrate import upgrade
from service.db.models import Evaluation
from service.domain.entities import Role
from service.domain.users import create_user
from tests.resilience.processes import Served
from tests.resilience.processes import call
from tests.resilience.processes import serve_env
from tests.resilience.processes import start_mlflow_server
from tests.resilience.processes import start_serve
from tests.resilience.processes import wait_until
from training.synthetic.config import SyntheticConfig
from training.synthetic.seed import run_seed

#: Large enough for the calibration gate (ECE <= 0.05). The held-out quarter's smallest age
#: band still holds only a few dozen positives, whose TPR gap swings past the national 0.10
#: by chance (0.14 seen), so the instances run with the gate at 0.25: this test is about two
#: instances seeing one promotion, not about the fairness gate (tests/training covers it).
EMPLOYEES = 5000
TPR_GAP_GATE = "0.25"
PASSWORD = "skala-keluar-dua-instansi-9"
TRAINING_SECONDS = 900
MODEL = "kinerja-risk"


def _seed(database_url: str) -> int:
    """Migrate and seed the shared database, add the two logins; return a well-known employee."""
    engine = make_engine(database_url)
    try:
        upgrade(engine)
        run_seed(engine, SyntheticConfig(employees=EMPLOYEES, seed=7))
        with Session(engine) as session:
            create_user(session, "scale.data", PASSWORD, Role.DATA, None)
            create_user(session, "scale.admin", PASSWORD, Role.ADMIN, None)
            session.commit()
            most_evaluated = (
                select(Evaluation.employee_id)
                .group_by(Evaluation.employee_id)
                .order_by(func.count().desc(), Evaluation.employee_id)
                .limit(1)
            )
            return int(session.scalar(most_evaluated))
    finally:
        engine.dispose()


@pytest.fixture
def tracking_server(tmp_path: Path) -> Iterator[Served]:
    server = start_mlflow_server(tmp_path / "mlflow")
    yield server
    server.stop()


@pytest.fixture
def instances(
    tmp_path: Path, fresh_pg_url: str, tracking_server: Served
) -> Iterator[tuple[Served, Served, int]]:
    """Instances A and B on the seeded database and the tracking server, and an employee."""
    employee_id = _seed(fresh_pg_url)
    started: list[Served] = []
    try:
        for name in ("a", "b"):
            env = serve_env(
                tmp_path / name,
                fresh_pg_url,
                tracking_server.url,
                RISK_MODEL_REFRESH_SECONDS="1",
                RISK_GATE_MAX_TPR_GAP=TPR_GAP_GATE,
            )
            started.append(start_serve(env, workers=2))
        yield started[0], started[1], employee_id
    finally:
        for served in started:
            served.stop()


def _token(instance: Served, username: str) -> dict[str, str]:
    answer = call(
        "POST", f"{instance.url}/api/v1/auth/token", {"username": username, "password": PASSWORD}
    )
    assert answer.status == 200, answer.body
    return {"Authorization": f"Bearer {answer.body['access_token']}"}


def _served(instance: Served, employee_id: int, headers: dict[str, str]) -> set[tuple]:
    """(version, fallback) of the registry view and of a risk answer, over a few requests.

    Several requests, so that both gunicorn workers of the instance are asked. A worker still
    making its first load says `loading` (its answers wait for the load): such samples are
    asked again, up to a limit.
    """
    seen = set()
    asked = 0
    for _ in range(60):
        if asked == 6:
            break
        models = call("GET", f"{instance.url}/api/v1/models", headers=headers)
        assert models.status == 200, models.body
        served = models.body["served"]
        if served["loading"]:
            time.sleep(0.5)
            continue
        asked += 1
        risk = call("GET", f"{instance.url}/api/v1/employees/{employee_id}/risk", headers=headers)
        assert risk.status == 200, risk.body
        seen.add(("models", served["version"], served["fallback"]))
        seen.add(("risk", risk.body["model"]["version"], risk.body["model"]["fallback"]))
    return seen


def _sample(instance: Served, metric: str, **labels: str) -> float:
    text = call("GET", f"{instance.url}/metrics").body
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == metric and labels.items() <= sample.labels.items():
                return sample.value
    return 0.0


def _wait_for_job(instance: Served, job_id: int, headers: dict[str, str]) -> dict:
    found: dict = {}

    def finished() -> bool:
        answer = call("GET", f"{instance.url}/api/v1/models/jobs/{job_id}", headers=headers)
        found.update(answer.body)
        return answer.body["status"] in ("succeeded", "failed")

    wait_until(finished, TRAINING_SECONDS, f"retrain job {job_id} finishing", pause=2)
    return found


def _job_logs(home: Path) -> str:
    return "\n".join(p.read_text()[-3000:] for p in sorted((home / "jobs").glob("*.log")))


@pytest.mark.slow
@pytest.mark.postgres
def test_a_retrain_promoted_through_one_instance_is_served_by_both(
    instances: tuple[Served, Served, int], tmp_path: Path
) -> None:
    a, b, employee_id = instances
    admin = _token(a, "scale.admin")
    data_team = _token(b, "scale.data")  # one login works on every instance: shared tokens
    nothing_yet = {("models", None, True), ("risk", None, True)}
    assert _served(a, employee_id, admin) == nothing_yet
    assert _served(b, employee_id, admin) == nothing_yet

    queued = call("POST", f"{a.url}/api/v1/models/retrain", {}, data_team)
    assert queued.status == 201, queued.body
    job = _wait_for_job(b, queued.body["id"], data_team)
    assert job["status"] == "succeeded", (job, _job_logs(tmp_path / "a"))
    assert job["result"]["promoted"] is True, job["result"]["reasons"]
    version = str(job["result"]["version"])

    champion = {("models", version, False), ("risk", version, False)}
    for instance in (a, b):
        wait_until(
            lambda i=instance: _served(i, employee_id, admin) == champion,
            60,
            f"{instance.url} serving version {version}",
        )
        ready = call("GET", f"{instance.url}/readyz").body["models"]["models"][MODEL]
        assert (ready["source"], ready["refresh_seconds"]) == ("registry", 1.0)
        assert _sample(instance, "kinerja_model_info", name=MODEL, version=version) == 1
    assert not (tmp_path / "b" / "models" / MODEL).exists(), "B must load from the registry"
    succeeded = {"kind": "retrain", "outcome": "succeeded"}
    assert _sample(a, "kinerja_job_outcomes_total", **succeeded) == 1
