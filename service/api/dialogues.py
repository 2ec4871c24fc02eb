"""Performance dialogues and coaching sessions (dialog / bimbingan kinerja): recorded by a
supervisor above the employee, with agreed actions that the next dialogue reviews."""

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
from service.api.schemas.common import PageQuery
from service.api.schemas.continuous import ActionOut
from service.api.schemas.continuous import ActionPatch
from service.api.schemas.continuous import DialogueIn
from service.api.schemas.continuous import DialogueList
from service.api.schemas.continuous import DialogueOut
from service.auth.decorators import allow
from service.auth.policy import PEOPLE
from service.domain.dialogues import DialogueDetail
from service.domain.dialogues import list_dialogues
from service.domain.dialogues import read_action
from service.domain.dialogues import record_dialogue
from service.domain.dialogues import review_action
from service.routing import id_segment

TAGS = ["dialogues"]
ACTION_ID = id_segment("action_id")


def dialogue_out(detail: DialogueDetail) -> DialogueOut:
    """Serialize a dialogue with its agreed and reviewed actions."""
    row = detail.dialogue
    return DialogueOut(
        id=row.id,
        employee_id=row.employee_id,
        supervisor_employee_id=row.supervisor_employee_id,
        held_on=row.held_on,
        kind=row.kind,
        topics=row.topics,
        notes=row.notes,
        coaching_action=row.coaching_action,
        follow_up_on=row.follow_up_on,
        created_at=row.created_at,
        actions=[ActionOut.model_validate(a) for a in detail.actions],
        reviewed=[ActionOut.model_validate(a) for a in detail.reviewed],
    )


@bp.post(f"/employees/{EMPLOYEE_ID}/dialogues")
@allow(*PEOPLE)
@spec.validate(
    headers=IdempotencyHeader, resp=responses(errors=(409,), HTTP_201=DialogueOut), tags=TAGS
)
def post_dialogue(employee_id: int, json: DialogueIn) -> Response:
    """Record a dialogue you held with someone below you: topics, agreed actions, follow-up,
    and whether each open action of earlier dialogues was done (`reviews`)."""
    fields = json.arguments()
    return create(lambda s, a: dialogue_out(record_dialogue(s, a, employee_id, **fields)))


@bp.get(f"/employees/{EMPLOYEE_ID}/dialogues")
@allow(*PEOPLE)
@spec.validate(resp=responses(HTTP_200=DialogueList), tags=TAGS)
def get_dialogues(employee_id: int, query: PageQuery) -> Any:
    """List an employee's dialogues, most recent first, each with its actions."""
    page = run(list_dialogues, employee_id, query.limit, query.offset)
    return listing(DialogueList, page, dialogue_out)


@bp.get(f"/dialogue-actions/{ACTION_ID}")
@allow(*PEOPLE)
@spec.validate(resp=responses(HTTP_200=ActionOut), tags=TAGS)
def get_dialogue_action(action_id: int) -> Any:
    """One agreed action, for whoever sees the employee, with its ETag for PATCH."""
    action = run(read_action, action_id)
    return ActionOut.model_validate(action), 200, etag(action.version)


@bp.patch(f"/dialogue-actions/{ACTION_ID}")
@allow(*PEOPLE)
@spec.validate(
    headers=IfMatchHeader, resp=responses(errors=(412, 428), HTTP_200=ActionOut), tags=TAGS
)
def patch_dialogue_action(action_id: int, json: ActionPatch) -> Any:
    """Record whether an agreed action was done (a supervisor above); needs If-Match with
    the action's `version` as ETag."""
    action = run(review_action, action_id, if_match(), json.done)
    return ActionOut.model_validate(action), 200, etag(action.version)
