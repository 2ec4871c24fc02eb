"""`/models`: the data team's view of the risk model versions, their metrics and retraining.

Shows what `GET /models` answers (the served model's status and the registered versions with
metrics against the baselines and drift) and, for one version (the champion unless
`?version=` names another), what its training run logged: calibration and ROC curves, the
fairness table and the model card. Starts a retrain through the use case of
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
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from service.api.schemas.risk import job_out
from service.db import get_session
from service.db.repositories.organisation import top_units
from service.domain.errors import NotFound
from service.domain.risk import MODEL_ROLES
from service.domain.risk import read_job
from service.domain.risk import request_retrain
from service.domain.risk_reviews import track_record
from service.routing import id_segment
from service.serving import provider
from service.serving.reports import registered_versions
from service.serving.retrain import launch_retrain
from service.web import bp
from service.web.charts import BarChart
from service.web.charts import Item
from service.web.charts import hbar_chart
from service.web.forms import is_id
from service.web.i18n import JOB_LABELS
from service.web.i18n import number
from service.web.i18n import tick
from service.web.model_report import report_context
from service.web.session import actor
from service.web.session import login_required

JOB_ID = id_segment("job_id")
#: ROC AUC of the model beside its baselines and the oracle, as `GET /models` names them.
AUC_ROWS = (
    ("roc_auc", "model"),
    ("baseline_rule_roc_auc", "rule"),
    ("baseline_logreg_roc_auc", "logreg"),
    ("oracle_roc_auc", "oracle"),
)
DRIFT_ROWS = 10
#: Scored periods the track record shows, the latest first.
TRACK_RECORD_PERIODS = 8


@bp.get("/models")
@login_required(*MODEL_ROLES)
def models() -> str:
    """Show the served model, the registered versions with metrics and drift, and jobs."""
    versions, error = registered_versions(current_app.config["MLFLOW_TRACKING_URI"])
    for version in versions:
        version["created"] = datetime.fromtimestamp(version["created_at"] / 1000, UTC)
    job_id = request.args.get("job", type=int)
    if job_id is not None and not is_id(job_id):  # no job has it (or the database cannot hold it)
        raise NotFound(f"no model job {job_id}")
    job = read_job(get_session(), actor(), job_id) if job_id is not None else None
    shown = shown_version(versions, request.args.get("version", ""))
    record = track_record(get_session(), actor(), TRACK_RECORD_PERIODS, 0)
    return render_template(
        "web/models.html",
        served=provider().risk.status(),
        versions=versions,
        registry_error=error,
        auc_chart=auc_chart(shown["metrics"]) if shown else None,
        shown=shown,
        **report_context(shown),
        drift_rows=DRIFT_ROWS,
        track_record=record.items,
        top_units=top_units(get_session()),
        job=job_out(job).model_dump(mode="json") if job else None,
        job_labels={status: str(text) for status, text in JOB_LABELS.items()},
    )


def shown_version(versions: list[dict[str, Any]], asked: str) -> dict[str, Any] | None:
    """The version `?version=` names, else the champion, else the newest; None if none."""
    by_number = {version["version"]: version for version in versions}
    champion = next((v for v in versions if v["role"] == "champion"), None)
    return by_number.get(asked.strip()) or champion or (versions[0] if versions else None)


def auc_chart(metrics: dict[str, float]) -> BarChart | None:
    """ROC AUC of the model, its baselines and the oracle, as horizontal bars on 0..1."""
    names = {
        "roc_auc": _("model"),
        "baseline_rule_roc_auc": _("rule baseline"),
        "baseline_logreg_roc_auc": _("logistic regression baseline"),
        "oracle_roc_auc": _("oracle"),
    }
    items = [
        Item(
            label=names[key],
            value=metrics[key],
            title=f"{key} = {number(metrics[key], 3)}",
            css=css,
        )
        for key, css in AUC_ROWS
        if key in metrics
    ]
    return hbar_chart(items, x_max=1.0, left=150, fmt=tick) if items else None


@bp.post("/models/retrain")
@login_required(*MODEL_ROLES)
def retrain() -> Response:
    """Queue a retrain of the risk model and show its job on the page."""
    session = get_session()
    job = request_retrain(session, actor(), {}, launch_retrain)
    session.commit()
    return redirect(url_for("web.models", job=job.id, _anchor="job"), code=303)


@bp.get(f"/models/jobs/{JOB_ID}")
@login_required(*MODEL_ROLES)
def job_status(job_id: int) -> dict[str, Any]:
    """One retrain job as JSON (the page polls it while the job runs)."""
    return job_out(read_job(get_session(), actor(), job_id)).model_dump(mode="json")
