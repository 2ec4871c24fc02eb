"""The fairness report of a unit and period (admin, hr over the unit, the data team without
the raters): ratings and risk flags by group, and raters who rate one gender lower."""

from __future__ import annotations

from typing import Any

from service.api import bp
from service.api.http import UNIT_ID
from service.api.http import run
from service.api.openapi import responses
from service.api.openapi import spec
from service.api.schemas.fairness import FairnessOut
from service.api.schemas.fairness import FairnessQuery
from service.api.schemas.fairness import fairness_out
from service.auth.decorators import allow
from service.domain.rating_fairness import READERS
from service.domain.rating_fairness import SMALL
from service.domain.rating_fairness import rating_fairness
from service.serving import provider
from service.serving.predictor import model_block

TAGS = ["units"]


@bp.get(f"/units/{UNIT_ID}/fairness")
@allow(*READERS)
@spec.validate(resp=responses(HTTP_200=FairnessOut), tags=TAGS)
def get_fairness(unit_id: int, query: FairnessQuery) -> Any:
    """Per group (gender, age band, golongan group, direct child unit): the share with a poor
    predikat, the mean rating score and the share flagged at risk by the served model, each
    against the rest with its confidence interval (95 % over all group rows together);
    `marked` when the interval excludes zero. Groups under `min_group` people show no
    figures. hr and admin also get the raters whose gender gap differs from the unit's
    (each named rater's read audited). A mark asks a calibration question; it proves no bias."""
    model = provider().risk.announced()
    version = model.version if model is not None else None
    report = run(rating_fairness, unit_id, query.period, version)
    return fairness_out(report, SMALL, model_block(model, model is None))
