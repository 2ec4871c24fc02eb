"""The activity log (laporan kinerja harian): the employee writes their own entries; a
supervisor above acknowledges them; whoever sees the employee reads them."""

from __future__ import annotations

from typing import Any

from flask import Response

from service.api import bp
from service.api.http import EMPLOYEE_ID
from service.api.http import etag
from service.api.http import if_match
from service.api.http import listing
from service.api.http import run
from service.api.idempotency import create
from service.api.openapi import responses
from service.api.openapi import spec
from service.api.schemas.common import IdempotencyHeader
from service.api.schemas.common import IfMatchHeader
from service.api.schemas.continuous import AcknowledgeIn
from service.api.schemas.continuous import ActivityIn
from service.api.schemas.continuous import ActivityList
from service.api.schemas.continuous import ActivityOut
from service.api.schemas.continuous import ActivityPatch
from service.api.schemas.continuous import ActivityQuery
from service.api.schemas.continuous import TeamActivityQuery
from service.auth.decorators import allow
from service.auth.policy import PEOPLE
from service.domain.activities import acknowledge_activity
from service.domain.activities import list_activities
from service.domain.activities import read_activity
from service.domain.activities import record_activity
from service.domain.activities import team_activities
from service.domain.activities import update_activity
from service.domain.risk import TEAM_ROLES
from service.routing import id_segment

TAGS = ["activities"]
ACTIVITY_ID = id_segment("activity_id")


def _answer(entry: Any) -> Any:
    return ActivityOut.model_validate(entry), 200, etag(entry.version)


@bp.post(f"/employees/{EMPLOYEE_ID}/activities")
@allow(*PEOPLE)
@spec.validate(
    headers=IdempotencyHeader, resp=responses(errors=(409,), HTTP_201=ActivityOut), tags=TAGS
)
def post_activity(employee_id: int, json: ActivityIn) -> Response:
    """Log what you did on a day (only for yourself), optionally for an RHK of your SKP."""
    fields = json.model_dump()
    return create(
        lambda s, a: ActivityOut.model_validate(record_activity(s, a, employee_id, **fields))
    )


@bp.get(f"/employees/{EMPLOYEE_ID}/activities")
@allow(*PEOPLE)
@spec.validate(resp=responses(HTTP_200=ActivityList), tags=TAGS)
def get_activities(employee_id: int, query: ActivityQuery) -> Any:
    """List an employee's log, most recent day first (reads of someone else's are audited)."""
    filters = query.model_dump(include={"status", "since", "until"})
    page = run(list_activities, employee_id, query.limit, query.offset, **filters)
    return listing(ActivityList, page, ActivityOut.model_validate)


@bp.get("/teams/me/activities")
@allow(*TEAM_ROLES)
@spec.validate(resp=responses(HTTP_200=ActivityList), tags=TAGS)
def get_team_activities(query: TeamActivityQuery) -> Any:
    """Entries of everyone below you in the chain, oldest first (default: not acknowledged)."""
    page = run(team_activities, query.status, query.limit, query.offset)
    return listing(ActivityList, page, ActivityOut.model_validate)


@bp.get(f"/activities/{ACTIVITY_ID}")
@allow(*PEOPLE)
@spec.validate(resp=responses(HTTP_200=ActivityOut), tags=TAGS)
def get_activity(activity_id: int) -> Any:
    """Return one entry with its ETag."""
    return _answer(run(read_activity, activity_id))


@bp.patch(f"/activities/{ACTIVITY_ID}")
@allow(*PEOPLE)
@spec.validate(
    headers=IfMatchHeader,
    resp=responses(errors=(409, 412, 428), HTTP_200=ActivityOut),
    tags=TAGS,
)
def patch_activity(activity_id: int, json: ActivityPatch) -> Any:
    """Correct your entry while it is not acknowledged (409 after); needs If-Match."""
    changes = json.model_dump(exclude_unset=True)
    return _answer(run(update_activity, activity_id, if_match(), changes))


@bp.post(f"/activities/{ACTIVITY_ID}/acknowledge")
@allow(*PEOPLE)
@spec.validate(
    headers=IfMatchHeader, resp=responses(errors=(409, 412), HTTP_200=ActivityOut), tags=TAGS
)
def post_acknowledge(activity_id: int, json: AcknowledgeIn) -> Any:
    """Acknowledge an entry as a supervisor above its author, with an optional comment
    (If-Match optional; a second acknowledgement is 409)."""
    entry = run(acknowledge_activity, activity_id, if_match(optional=True), json.comment)
    return _answer(entry)
