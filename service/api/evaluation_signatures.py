"""Signatures on an evaluation's sheet (the rater's, the evaluated employee's), with the
digest that shows later whether the evaluation or its evidence changed after signing."""

from __future__ import annotations

from typing import Any

from flask import Response

from service.api import bp
from service.api.http import EVALUATION_ID
from service.api.http import run
from service.api.idempotency import create
from service.api.openapi import responses
from service.api.openapi import spec
from service.api.schemas.common import IdempotencyHeader
from service.api.schemas.evaluation_signatures import SignatureOut
from service.api.schemas.evaluation_signatures import SignaturesOut
from service.api.schemas.evaluation_signatures import signature_out
from service.api.schemas.evaluation_signatures import signatures_out
from service.auth.decorators import allow
from service.auth.policy import PEOPLE
from service.domain.evaluation_signatures import evaluation_signatures
from service.domain.evaluation_signatures import sign_evaluation

TAGS = ["evaluations"]


@bp.post(f"/evaluations/{EVALUATION_ID}/signatures")
@allow(*PEOPLE)
@spec.validate(
    headers=IdempotencyHeader, resp=responses(errors=(409,), HTTP_201=SignatureOut), tags=TAGS
)
def post_signature(evaluation_id: int) -> Response:
    """Sign the evaluation's current version: as its rater, or as the evaluated employee
    (who acknowledges receiving it; disagreement is an objection). The answer is the
    signature with the sheet's digest. 409 when that role signed this version already; a
    revised evaluation is signed again."""
    return create(lambda s, a: signature_out(sign_evaluation(s, a, evaluation_id)))


@bp.get(f"/evaluations/{EVALUATION_ID}/signatures")
@allow(*PEOPLE)
@spec.validate(resp=responses(HTTP_200=SignaturesOut), tags=TAGS)
def get_signatures(evaluation_id: int) -> Any:
    """The evaluation's signatures, each `intact` while the sheet still holds what was
    signed (its ratings, predikat and feedback, the SKP and the realisations it rests on)."""
    return signatures_out(run(evaluation_signatures, evaluation_id))
