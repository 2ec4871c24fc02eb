"""Operations: request ids, JSON logs, Prometheus metrics, and 503 when the database is lost.

`init_app(app)` goes last in `create_app`, after every blueprint is registered (see
`service.ops.unavailable`). Metrics that other layers report:
`service.ops.metrics.record_model_answer_sent(name, version, fallback)` (counted once the
response is a success) and `record_model_load_failure(name, reason)` (from
`service.serving.loader.ModelSource`), and
`service.ops.metrics.record_job_outcome(kind, outcome)` (from `training.jobs.run_job`).
"""

from __future__ import annotations

from flask import Flask
from flask import request_finished

from service.ops import metrics
from service.ops import request_id
from service.ops import unavailable
from service.ops.logging import configure_logging
from service.ops.logging import log_request


def init_app(app: Flask) -> None:
    """Configure logging and hook request ids, metrics and the database handler into `app`."""
    configure_logging(str(app.config.get("KINERJA_LOG_LEVEL", "INFO")))
    request_id.init_app(app)
    metrics.init_app(app)
    request_finished.connect(log_request, app)
    unavailable.register(app)
