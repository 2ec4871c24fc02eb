"""`/models`: the data team's view of the risk model versions, their metrics and retraining.

Shows what `GET /models` answers (the served model's status and the registered versions with
metrics against the baselines and drift), starts a retrain through the use case of
`POST /models/retrain` and follows the job as `GET /models/jobs/{id}` does. No employee
names appear here.
"""

from __future__ import annotations

from datetime import UTC
from datetime import datetime
from typing import Any

from flask import current_app
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from werkzeug.wrappers import Response

from service.api.risk import models as risk_models
from service.api.schemas.risk import job_out
from service.db import get_session
from service.domain.risk import MODEL_ROLES
from service.domain.risk import read_job
from service.domain.risk import request_retrain
from service.serving.jobs import spawn_train
from service.serving.loader import RegistryUnreachable
from service.serving.predictor import RISK_MODEL_NAME
from service.serving.registry import list_versions
from service.web import bp
from service.web.charts import BarChart
from service.web.charts import Item
from service.web.charts import hbar_chart
from service.web.i18n import JOB_LABELS
from service.web.session import actor
from service.web.session import login_required

JOB_ID = "<int(max=2147483647):job_id>"
#: ROC AUC of the model beside its baselines and the oracle, as `GET /models` names them.
AUC_ROWS = (
    ("roc_auc", "model"),
    ("baseline_rule_roc_auc", "rule"),
    ("baseline_logreg_roc_auc", "logreg"),
    ("oracle_roc_auc", "oracle"),
)
DRIFT_ROWS = 10


@bp.get("/models")
@login_required(*MODEL_ROLES)
def models() -> str:
    """Show the served model, the registered versions with metrics and drift, and jobs."""
    versions, error = registered_versions()
    job_id = request.args.get("job", type=int)
    job = read_job(get_session(), actor(), job_id) if job_id else None
    shown = versions[0] if versions else None
    return render_template(
        "web/models.html",
        served=risk_models().risk.status(),
        versions=versions,
        registry_error=error,
        auc_chart=auc_chart(shown["metrics"]) if shown else None,
        shown=shown,
        drift_rows=DRIFT_ROWS,
        job=job_out(job).model_dump(mode="json") if job else None,
        job_labels={status: str(text) for status, text in JOB_LABELS.items()},
    )


def registered_versions() -> tuple[list[dict[str, Any]], str | None]:
    """The registry's versions, newest first (as `GET /models`), or the reason it is down."""
    try:
        found = list_versions(current_app.config["MLFLOW_TRACKING_URI"], RISK_MODEL_NAME)
    except RegistryUnreachable as exc:
        return [], str(exc)
    for version in found:
        version["created"] = datetime.fromtimestamp(version["created_at"] / 1000, UTC)
    return found, None


def auc_chart(metrics: dict[str, float]) -> BarChart | None:
    """ROC AUC of the model, its baselines and the oracle, as horizontal bars on 0..1."""
    items = [
        Item(label=name, value=metrics[key], title=f"{key} = {metrics[key]:.3f}", css=css)
        for key, css in AUC_ROWS
        for name in [key.removesuffix("_roc_auc").replace("_", " ")]
        if key in metrics
    ]
    return hbar_chart(items, x_max=1.0, left=150) if items else None


@bp.post("/models/retrain")
@login_required(*MODEL_ROLES)
def retrain() -> Response:
    """Queue a retrain of the risk model and show its job on the page."""
    session = get_session()
    job = request_retrain(session, actor(), {}, _launch)
    session.commit()
    return redirect(url_for("web.models", job=job.id, _anchor="job"), code=303)


@bp.get(f"/models/jobs/{JOB_ID}")
@login_required(*MODEL_ROLES)
def job_status(job_id: int) -> dict[str, Any]:
    """One retrain job as JSON (the page polls it while the job runs)."""
    return job_out(read_job(get_session(), actor(), job_id)).model_dump(mode="json")


def _launch(job_id: int) -> None:
    """Start the job process as `POST /models/retrain` does (unless RISK_JOBS_SPAWN is off)."""
    if current_app.config.get("RISK_JOBS_SPAWN", True):
        spawn_train(job_id, current_app.config)
