"""What `kinerja serve` sets up in the arbiter before forking and in each worker after."""

from __future__ import annotations

import gc
import json
import os
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
from flask import Flask
from sqlalchemy import text

from service.db import get_database
from service.db.migrate import head_revision
from service.ops.logging import configure_logging
from service.server import SWITCH_INTERVAL_S
from service.server import KinerjaServer
from service.server import available_cpus
from service.server import default_workers
from service.server import server_options
from service.server import worker_ready


def test_a_worker_freezes_startup_objects_and_checkpoints_in_the_background(app: Flask) -> None:
    switch = sys.getswitchinterval()
    try:
        worker_ready(SimpleNamespace(wsgi=app))  # gunicorn's worker: only `.wsgi` is read
        assert sys.getswitchinterval() == SWITCH_INTERVAL_S
        assert gc.get_freeze_count() > 0
        with app.app_context(), get_database().engine.connect() as connection:
            if connection.dialect.name == "sqlite":
                assert connection.scalar(text("PRAGMA wal_autocheckpoint")) == 0
            assert connection.scalar(text("SELECT count(*) FROM employees")) >= 0
    finally:
        sys.setswitchinterval(switch)
        gc.unfreeze()


def test_a_worker_starts_loading_its_models_and_readyz_does_not_wait(app: Flask) -> None:
    switch = sys.getswitchinterval()
    try:
        worker_ready(SimpleNamespace(wsgi=app))
        models = app.extensions["models"]
        for source in (models.risk, models.recommender):
            assert source._checked_wall is not None or source.loading  # started, not waited for
        body = app.test_client().get("/readyz").get_json()
        for status in body["models"]["models"].values():
            assert status["loading"] or status["checked_at"] is not None
    finally:
        sys.setswitchinterval(switch)
        gc.unfreeze()


def test_the_arbiter_builds_the_app_once_and_freezes_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("KINERJA_ENV", "test")
    monkeypatch.setenv("KINERJA_HOME", str(tmp_path))
    head_revision.cache_clear()
    try:
        app = KinerjaServer({"bind": "127.0.0.1:0"}).load()
        assert isinstance(app, Flask) and "models" in app.extensions
        assert gc.get_freeze_count() > 0
        assert head_revision.cache_info().currsize == 1  # read once, before the fork
    finally:
        gc.unfreeze()


def test_gunicorns_own_lines_are_json_lines(capsys: pytest.CaptureFixture[str]) -> None:
    """Worker boots, timeouts, kills and a port that cannot be bound reach the operator as the
    service's JSON lines; gunicorn's text format wanted the process id that the service's
    logging leaves out, and each of its lines was a '--- Logging error ---' traceback."""
    configure_logging("INFO")
    server = KinerjaServer(server_options("127.0.0.1", 8000, workers=2))
    logger = server.cfg.logger_class(server.cfg)
    capsys.readouterr()

    logger.error("Can't connect to %s", "('127.0.0.1', 8000)")
    logger.info("Booting worker with pid: %s", 4242)

    err = capsys.readouterr().err
    assert "Logging error" not in err
    lines = [json.loads(line) for line in err.splitlines()]
    assert [(line["logger"], line["level"], line["message"]) for line in lines] == [
        ("gunicorn.error", "ERROR", "Can't connect to ('127.0.0.1', 8000)"),
        ("gunicorn.error", "INFO", "Booting worker with pid: 4242"),
    ]


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        ({"cpu.max": "100000 100000\n"}, 1),  # cgroup v2: one CPU
        ({"cpu.max": "150000 100000\n"}, 2),  # 1.5 CPUs: rounded up
        ({"cpu.max": "max 100000\n"}, None),  # no quota: every core of the affinity
        ({"cpu/cpu.cfs_quota_us": "100000\n", "cpu/cpu.cfs_period_us": "100000\n"}, 1),  # v1
        ({"cpu/cpu.cfs_quota_us": "-1\n", "cpu/cpu.cfs_period_us": "100000\n"}, None),
        ({}, None),  # no cgroup files at all
    ],
)
def test_available_cpus_follow_a_containers_quota(
    tmp_path: Path, files: dict[str, str], expected: int | None
) -> None:
    """`kinerja serve` starts one worker per core it may use: os.cpu_count() is the host's,
    and a container limited to 2 CPUs on a large node started a worker per host core."""
    for name, content in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(content)
    cores = len(os.sched_getaffinity(0))

    assert available_cpus(tmp_path) == min(cores, expected or cores)
    assert default_workers(tmp_path) == max(2, min(cores, expected or cores))


@pytest.mark.parametrize(
    ("host", "address"),
    [("::", ("::", 8000)), ("::1", ("::1", 8000)), ("[::1]", ("::1", 8000)),
     ("127.0.0.1", ("127.0.0.1", 8000)), ("0.0.0.0", ("0.0.0.0", 8000))],
)  # fmt: skip
def test_serve_binds_ipv6_hosts(host: str, address: tuple[str, int]) -> None:
    """`kinerja serve --host ::` stopped with "Error: '' is not a valid port number":
    gunicorn reads `:::8000` as host ':' and port ''; an IPv6 address needs its brackets."""
    server = KinerjaServer(server_options(host, 8000, workers=2))

    assert server.cfg.address == [address]
