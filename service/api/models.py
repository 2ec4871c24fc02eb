"""The model registry for the data team: versions with metrics and drift; retrain jobs.

POST /models/retrain writes a `model_jobs` row and, once it is committed, starts
`kinerja train --job-id N` as a separate process (never inside a web worker); with
RISK_JOBS_SPAWN false the job waits for `kinerja retrain-schedule` to run it.
"""

from __future__ import annotations

from typing import Any

from flask import current_app

from service.api import bp
from service.api.http import run
from service.api.idempotency import create
from service.api.openapi import responses
from service.api.openapi import spec
from service.api.schemas.common import IdempotencyHeader
from service.api.schemas.common import PageQuery
from service.api.schemas.risk import JobOut
from service.api.schemas.risk import ModelsOut
from service.api.schemas.risk import RetrainIn
from service.api.schemas.risk import job_out
from service.auth.decorators import allow
from service.domain.risk import MODEL_ROLES
from service.domain.risk import read_job
from service.domain.risk import request_retrain
from service.routing import id_segment
from service.serving import provider
from service.serving.reports import registered_versions
from service.serving.retrain import launch_retrain

TAGS = ["models"]
JOB_ID = id_segment("job_id")


@bp.get("/models")
@allow(*MODEL_ROLES)
@spec.validate(resp=responses(HTTP_200=ModelsOut), tags=TAGS)
def get_models(query: PageQuery) -> Any:
    """Registered risk-model versions (champion, previous, candidates) with metrics and drift;
    `?limit=&offset=` page them as every list."""
    items, error = registered_versions(current_app.config["MLFLOW_TRACKING_URI"])
    body = {
        "items": items[query.offset : query.offset + query.limit],
        "total": len(items),
        "served": provider().risk.status(),
        "registry_error": error,
    }
    return ModelsOut.model_validate(body)


@bp.post("/models/retrain")
@allow(*MODEL_ROLES)
@spec.validate(headers=IdempotencyHeader, resp=responses(HTTP_201=JobOut), tags=TAGS)
def post_retrain(json: RetrainIn) -> Any:
    """Queue a retrain of the risk model; poll GET /models/jobs/{id} for its outcome."""
    return create(lambda s, a: job_out(request_retrain(s, a, json.params, launch_retrain)))


@bp.get(f"/models/jobs/{JOB_ID}")
@allow(*MODEL_ROLES)
@spec.validate(resp=responses(HTTP_200=JobOut), tags=TAGS)
def get_job(job_id: int) -> Any:
    """Status of one retrain job: queued, running, succeeded (with the result) or failed."""
    return job_out(run(read_job, job_id))
