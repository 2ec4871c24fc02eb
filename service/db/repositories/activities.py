"""Activity logs (laporan kinerja harian) and performance dialogues with their agreed actions."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.db.models import ActivityLog
from service.db.models import DialogueAction
from service.db.models import PerformanceDialogue
from service.db.models import Rhk
from service.db.models import Skp
from service.db.repositories import Page
from service.db.repositories import paginate
from service.db.repositories.organisation import subordinate_ids
from service.domain.entities import ActivityStatus


def get_activity(session: Session, activity_id: int) -> ActivityLog | None:
    return session.get(ActivityLog, activity_id)


def list_activities(
    session: Session,
    employee_id: int,
    limit: int,
    offset: int,
    status: ActivityStatus | None = None,
    since: date | None = None,
    until: date | None = None,
) -> Page[ActivityLog]:
    """List one employee's entries, most recent day first."""
    query = select(ActivityLog).where(ActivityLog.employee_id == employee_id)
    if status is not None:
        query = query.where(ActivityLog.status == status)
    if since is not None:
        query = query.where(ActivityLog.activity_date >= since)
    if until is not None:
        query = query.where(ActivityLog.activity_date <= until)
    order = (ActivityLog.activity_date.desc(), ActivityLog.id.desc())
    return paginate(session, query.order_by(*order), limit, offset)


def team_activities(
    session: Session, supervisor_id: int, status: ActivityStatus | None, limit: int, offset: int
) -> Page[ActivityLog]:
    """List the entries of everyone below `supervisor_id` in the chain, oldest day first."""
    query = select(ActivityLog).where(ActivityLog.employee_id.in_(subordinate_ids(supervisor_id)))
    if status is not None:
        query = query.where(ActivityLog.status == status)
    order = (ActivityLog.activity_date, ActivityLog.id)
    return paginate(session, query.order_by(*order), limit, offset)


def skp_of_rhk(session: Session, rhk_id: int) -> Skp | None:
    """The SKP an RHK belongs to (None for an unknown RHK)."""
    query = select(Skp).join(Rhk, Rhk.skp_id == Skp.id).where(Rhk.id == rhk_id)
    return session.scalar(query)


def get_dialogue(session: Session, dialogue_id: int) -> PerformanceDialogue | None:
    return session.get(PerformanceDialogue, dialogue_id)


def list_dialogues(
    session: Session, employee_id: int, limit: int, offset: int
) -> Page[PerformanceDialogue]:
    """List one employee's dialogues, most recent first."""
    query = select(PerformanceDialogue).where(PerformanceDialogue.employee_id == employee_id)
    order = (PerformanceDialogue.held_on.desc(), PerformanceDialogue.id.desc())
    return paginate(session, query.order_by(*order), limit, offset)


def get_action(session: Session, action_id: int) -> DialogueAction | None:
    return session.get(DialogueAction, action_id)


def actions_of(session: Session, dialogue_ids: Sequence[int]) -> list[DialogueAction]:
    """The actions agreed in these dialogues, in the order they were written."""
    query = select(DialogueAction).where(DialogueAction.dialogue_id.in_(dialogue_ids))
    return list(session.scalars(query.order_by(DialogueAction.id)))


def actions_reviewed_in(session: Session, dialogue_ids: Sequence[int]) -> list[DialogueAction]:
    """The earlier actions whose outcome these dialogues recorded."""
    query = select(DialogueAction).where(DialogueAction.reviewed_in_dialogue_id.in_(dialogue_ids))
    return list(session.scalars(query.order_by(DialogueAction.id)))


def unreviewed_actions(session: Session, employee_id: int) -> list[DialogueAction]:
    """Actions agreed with the employee that no later dialogue has reviewed yet."""
    query = (
        select(DialogueAction)
        .join(PerformanceDialogue, PerformanceDialogue.id == DialogueAction.dialogue_id)
        .where(
            PerformanceDialogue.employee_id == employee_id,
            DialogueAction.reviewed_in_dialogue_id.is_(None),
        )
        .order_by(PerformanceDialogue.held_on, DialogueAction.id)
    )
    return list(session.scalars(query))
