"""What `kinerja serve` sets up in each gunicorn worker once its app is built."""

from __future__ import annotations

import gc
import sys
from types import SimpleNamespace

from flask import Flask
from sqlalchemy import text

from service.db import get_database
from service.server import SWITCH_INTERVAL_S
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
