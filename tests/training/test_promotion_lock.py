"""The promotion lock across hosts: on PostgreSQL, a PostgreSQL advisory lock as well.

Two instances on one PostgreSQL database export to models directories of their own, so the
file lock beside the export does not order their promotions; the advisory lock, taken on the
application database, does. Each "host" here is a thread with its own models directory and
its own database connection.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from mlflow import MlflowClient
from sqlalchemy import text

from service.db import make_engine
from tests.training.at_once import two_at_once
from training.pipeline import promotion_lock
from training.pipeline import run
from training.sample import SAMPLE_GATES
from training.synthetic.config import SyntheticConfig
from training.synthetic.seed import run_seed

#: The conftest's per-test database, on PostgreSQL only (skipped when it is unreachable).
ON_POSTGRESQL = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
NAME = "kinerja-risk"


@pytest.fixture
def pg_url(database_url: str) -> str:
    """A migrated PostgreSQL database of this test's own (see the module's parametrize)."""
    return database_url


def _advisory_holders(url: str) -> int:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return int(
                connection.scalar(
                    text(
                        "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' "
                        "AND granted AND database = "
                        "(SELECT oid FROM pg_database WHERE datname = current_database())"
                    )
                )
            )
    finally:
        engine.dispose()


@pytest.mark.postgres
@ON_POSTGRESQL
def test_two_hosts_take_the_promotion_lock_one_after_the_other(
    pg_url: str, tmp_path: Path
) -> None:
    inside = threading.Event()
    spans: dict[str, tuple[float, float]] = {}
    held: list[int] = []

    def host(label: str, hold: float) -> None:
        with promotion_lock(tmp_path / label, NAME, pg_url):
            start = time.monotonic()
            inside.set()
            time.sleep(hold)
            if label == "a":
                held.append(_advisory_holders(pg_url))
            spans[label] = (start, time.monotonic())

    first = threading.Thread(target=host, args=("a", 1.0))
    first.start()
    assert inside.wait(30)
    second = threading.Thread(target=host, args=("b", 0.0))
    second.start()
    first.join(60)
    second.join(60)
    assert spans["b"][0] >= spans["a"][1]  # b entered only after a left
    assert held == [1]
    assert _advisory_holders(pg_url) == 0  # released, connection closed


def test_on_sqlite_the_file_lock_alone_is_taken(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'kinerja.db'}"
    with promotion_lock(tmp_path / "models", NAME, url):
        assert (tmp_path / "models" / f".{NAME}.promote.lock").is_file()


@pytest.mark.slow
@pytest.mark.postgres
@ON_POSTGRESQL
def test_two_retrains_on_two_hosts_promote_one_after_the_other(
    pg_url: str, tmp_path: Path
) -> None:
    """Both candidates finish training together on two hosts (models directories of their
    own) against one PostgreSQL database: the second to promote is compared with the
    champion the first set, and keeps it as `previous`."""
    engine = make_engine(pg_url)
    try:
        run_seed(engine, SyntheticConfig(employees=600, seed=7))
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("ANALYZE"))  # without statistics the extract takes minutes
    finally:
        engine.dispose()
    tracking_uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    options = {"threads": 1, "gates": SAMPLE_GATES, "compare": False, "chunk_size": 1000}
    hosts = iter(("host-a", "host-b"))
    lock = threading.Lock()

    def train(on_step: object) -> object:
        with lock:
            models_dir = tmp_path / next(hosts) / "models"
        return run(pg_url, tracking_uri, models_dir, **options, on_step=on_step)  # type: ignore[arg-type]

    summaries = two_at_once(train, "evaluate")
    assert len(summaries) == 2 and all(s.promoted for s in summaries)  # type: ignore[attr-defined]
    client = MlflowClient(tracking_uri, tracking_uri)
    champion = str(client.get_model_version_by_alias(NAME, "champion").version)
    previous = str(client.get_model_version_by_alias(NAME, "previous").version)
    assert {champion, previous} == {s.version for s in summaries}  # type: ignore[attr-defined]
    second = next(s for s in summaries if s.version == champion)  # type: ignore[attr-defined]
    assert any(f"champion v{previous}" in reason for reason in second.reasons), second.reasons
