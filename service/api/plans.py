"""SKP plans (RHK and indicators) drafted by the employee and approved by the rater, and the
realisations per period with evidence links."""

from __future__ import annotations

from typing import Any

from flask import Response

from service.api import bp
from service.api.http import EMPLOYEE_ID
from service.api.http import SKP_ID
from service.api.http import etag
from service.api.http import if_match
from service.api.http import listing
from service.api.http import run
from service.api.idempotency import create
from service.api.openapi import responses
from service.api.openapi import spec
from service.api.schemas.common import IdempotencyHeader
from service.api.schemas.common import IfMatchHeader
from service.api.schemas.common import PageQuery
from service.api.schemas.performance import EvidenceOut
from service.api.schemas.performance import IndicatorOut
from service.api.schemas.performance import RealisationIn
from service.api.schemas.performance import RealisationList
from service.api.schemas.performance import RealisationOut
from service.api.schemas.performance import RhkOut
from service.api.schemas.performance import SkpIn
from service.api.schemas.performance import SkpList
from service.api.schemas.performance import SkpOut
from service.api.schemas.performance import SkpPatch
from service.api.window_reopenings import window_settings
from service.auth.decorators import allow
from service.auth.policy import PEOPLE
from service.domain.entry_windows import skp_is_late
from service.domain.plans import RealisationDetail
from service.domain.plans import SkpDetail
from service.domain.plans import approve_skp
from service.domain.plans import create_skp
from service.domain.plans import list_realisations
from service.domain.plans import list_skps
from service.domain.plans import read_skp
from service.domain.plans import record_realisation
from service.domain.plans import submit_skp
from service.domain.plans import update_skp

TAGS = ["skp"]


def skp_out(detail: SkpDetail) -> SkpOut:
    """Serialize an SKP with its RHK and their indicators, and whether it is late."""
    skp, settings, hired_on = detail.skp, window_settings(), detail.hired_on
    rhks = [
        RhkOut(
            id=item.rhk.id,
            kind=item.rhk.kind,
            description=item.rhk.description,
            parent_rhk_id=item.rhk.parent_rhk_id,
            ordinal=item.rhk.ordinal,
            indicators=[IndicatorOut.model_validate(i) for i in item.indicators],
        )
        for item in detail.rhks
    ]
    return SkpOut(
        id=skp.id,
        employee_id=skp.employee_id,
        position_id=skp.position_id,
        year=skp.year,
        model=skp.model,
        approach=skp.approach,
        rater_id=skp.rater_id,
        status=skp.status,
        approved_at=skp.approved_at,
        deadline=settings.skp_deadline_of(skp.year, hired_on),
        late=skp_is_late(skp.year, skp.status, skp.approved_at, settings, hired_on),
        rhks=rhks,
        version=skp.version,
    )


def realisation_out(detail: RealisationDetail) -> RealisationOut:
    row = detail.realisation
    return RealisationOut(
        id=row.id,
        indicator_id=row.indicator_id,
        period=row.period,
        value=row.value,
        text=row.text,
        recorded_by_id=row.recorded_by_id,
        evidence=[EvidenceOut.model_validate(e) for e in detail.evidence],
    )


@bp.post(f"/employees/{EMPLOYEE_ID}/skps")
@allow(*PEOPLE)
@spec.validate(
    headers=IdempotencyHeader, resp=responses(errors=(409,), HTTP_201=SkpOut), tags=TAGS
)
def post_skp(employee_id: int, json: SkpIn) -> Response:
    """Draft your own SKP with its RHK and indicators (the rater defaults to your supervisor)."""
    fields = json.model_dump()
    return create(lambda s, a: skp_out(create_skp(s, a, employee_id, **fields)))


@bp.get(f"/employees/{EMPLOYEE_ID}/skps")
@allow(*PEOPLE)
@spec.validate(resp=responses(HTTP_200=SkpList), tags=TAGS)
def get_skps(employee_id: int, query: PageQuery) -> Any:
    """List an employee's SKPs."""
    page = run(list_skps, employee_id, query.limit, query.offset)
    return listing(SkpList, page, skp_out)


@bp.get(f"/skps/{SKP_ID}")
@allow(*PEOPLE)
@spec.validate(resp=responses(HTTP_200=SkpOut), tags=TAGS)
def get_skp(skp_id: int) -> Any:
    """Return one SKP with its ETag."""
    detail = run(read_skp, skp_id)
    return skp_out(detail), 200, etag(detail.skp.version)


@bp.patch(f"/skps/{SKP_ID}")
@allow(*PEOPLE)
@spec.validate(
    headers=IfMatchHeader,
    resp=responses(errors=(409, 412, 428), HTTP_200=SkpOut),
    tags=TAGS,
)
def patch_skp(skp_id: int, json: SkpPatch) -> Any:
    """Edit your draft SKP: model, approach, rater and the RHK list with their indicators.

    `rhks` replaces the list: an item with `id` keeps that RHK (rewritten, with the given
    indicators), one without adds an RHK, RHKs left out are deleted. Needs If-Match; a
    submitted or approved plan is 409.
    """
    changes = json.model_dump(exclude_unset=True)
    detail = run(update_skp, skp_id, if_match(), changes)
    return skp_out(detail), 200, etag(detail.skp.version)


@bp.post(f"/skps/{SKP_ID}/submit")
@allow(*PEOPLE)
@spec.validate(
    headers=IfMatchHeader, resp=responses(errors=(409, 412), HTTP_200=SkpOut), tags=TAGS
)
def post_submit(skp_id: int) -> Any:
    """Submit your draft SKP to the rater (If-Match optional)."""
    detail = run(submit_skp, skp_id, if_match(optional=True))
    return skp_out(detail), 200, etag(detail.skp.version)


@bp.post(f"/skps/{SKP_ID}/approve")
@allow(*PEOPLE)
@spec.validate(
    headers=IfMatchHeader, resp=responses(errors=(409, 412), HTTP_200=SkpOut), tags=TAGS
)
def post_approve(skp_id: int) -> Any:
    """Approve a submitted SKP (its appointed rater; If-Match optional)."""
    detail = run(approve_skp, skp_id, if_match(optional=True))
    return skp_out(detail), 200, etag(detail.skp.version)


@bp.post(f"/skps/{SKP_ID}/realisations")
@allow(*PEOPLE)
@spec.validate(
    headers=IdempotencyHeader, resp=responses(errors=(409,), HTTP_201=RealisationOut), tags=TAGS
)
def post_realisation(skp_id: int, json: RealisationIn) -> Response:
    """Record a realisation on an indicator of an approved SKP, with evidence links, until
    KINERJA_REALISATION_GRACE_DAYS after the period ends or a reopening's day (409 after, and
    behind a given evaluation of the period)."""
    data, settings = json.model_dump(), window_settings()
    return create(lambda s, a: realisation_out(record_realisation(s, a, skp_id, data, settings)))


@bp.get(f"/skps/{SKP_ID}/realisations")
@allow(*PEOPLE)
@spec.validate(resp=responses(HTTP_200=RealisationList), tags=TAGS)
def get_realisations(skp_id: int, query: PageQuery) -> Any:
    """List the realisations of an SKP with their evidence."""
    page = run(list_realisations, skp_id, query.limit, query.offset)
    return listing(RealisationList, page, realisation_out)
