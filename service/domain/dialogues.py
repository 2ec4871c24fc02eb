"""Use cases of performance dialogues and coaching sessions (dialog / bimbingan kinerja).

A supervisor above the employee records a dialogue: when, which kind, the topics, the agreed
actions with due dates and a follow-up date. It may start from a coaching suggestion: the
dialogue keeps the suggestion's catalogue code (`coaching_action`, checked against
`data/reference/coaching_actions.csv`). The next dialogue shows the actions that no dialogue
has reviewed yet and records, for each, whether it was done (`reviews`); an action can also
be marked between dialogues (`review_action`). The employee, supervisors above, hr and admin
read; reads of someone else's dialogues are audited.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field
from datetime import UTC
from datetime import date
from datetime import datetime

from sqlalchemy.orm import Session

from service.auth import policy
from service.db.models import DialogueAction
from service.db.models import PerformanceDialogue
from service.db.repositories import Page
from service.db.repositories import activities as repo
from service.domain.activities import check_day
from service.domain.audit import Actor
from service.domain.audit import AuditAction
from service.domain.audit import record
from service.domain.audit import record_read
from service.domain.coaching import load_catalogue
from service.domain.entities import DialogueKind
from service.domain.errors import Invalid
from service.domain.organisation import check_version

RESOURCE = "dialogue"
ACTION_RESOURCE = "dialogue_action"


@dataclass(frozen=True)
class AgreedAction:
    """An action agreed in a new dialogue."""

    description: str
    due_on: date | None = None


@dataclass(frozen=True)
class Review:
    """Whether an action of an earlier dialogue was done, as the new dialogue records it."""

    action_id: int
    done: bool


@dataclass(frozen=True)
class DialogueDetail:
    """A dialogue, the actions agreed in it and the earlier actions it reviewed."""

    dialogue: PerformanceDialogue
    actions: list[DialogueAction]
    reviewed: list[DialogueAction] = field(default_factory=list)


def record_dialogue(
    session: Session,
    actor: Actor,
    employee_id: int,
    held_on: date,
    kind: DialogueKind,
    topics: str,
    *,
    notes: str | None = None,
    coaching_action: str | None = None,
    follow_up_on: date | None = None,
    actions: Sequence[AgreedAction] = (),
    reviews: Sequence[Review] = (),
    today: date | None = None,
) -> DialogueDetail:
    """Record a dialogue held by the caller, a supervisor above the employee."""
    policy.supervised_employee(session, actor, employee_id)
    check_day(held_on, "held_on", today)
    _check_follow_up(held_on, follow_up_on, actions)
    check_coaching_action(coaching_action)
    reviewed = _reviewable(session, employee_id, reviews)
    dialogue = PerformanceDialogue(
        employee_id=employee_id,
        supervisor_employee_id=actor.employee_id,
        held_on=held_on,
        kind=kind,
        topics=topics,
        notes=notes,
        coaching_action=coaching_action,
        follow_up_on=follow_up_on,
    )
    session.add(dialogue)
    session.flush()
    agreed = [
        DialogueAction(dialogue_id=dialogue.id, description=a.description, due_on=a.due_on)
        for a in actions
    ]
    session.add_all(agreed)
    now = datetime.now(UTC)
    for review in reviews:
        action = reviewed[review.action_id]
        action.done, action.reviewed_in_dialogue_id, action.reviewed_at = (
            review.done,
            dialogue.id,
            now,
        )
    session.flush()
    record(
        session,
        actor,
        AuditAction.CREATE,
        RESOURCE,
        employee_id=employee_id,
        resource_id=dialogue.id,
    )
    return DialogueDetail(dialogue, agreed, [reviewed[r.action_id] for r in reviews])


def list_dialogues(
    session: Session, actor: Actor, employee_id: int, limit: int, offset: int
) -> Page[DialogueDetail]:
    """A visible employee's dialogues, most recent first, each with its actions."""
    policy.visible_employee(session, actor, employee_id)
    record_read(session, actor, RESOURCE, employee_id)
    page = repo.list_dialogues(session, employee_id, limit, offset)
    ids = [dialogue.id for dialogue in page.items]
    agreed = _by(repo.actions_of(session, ids), "dialogue_id")
    reviewed = _by(repo.actions_reviewed_in(session, ids), "reviewed_in_dialogue_id")
    items = [DialogueDetail(d, agreed.get(d.id, []), reviewed.get(d.id, [])) for d in page.items]
    return Page(items, page.total)


def open_actions(session: Session, actor: Actor, employee_id: int) -> list[DialogueAction]:
    """Actions agreed with a visible employee that no dialogue has reviewed yet."""
    policy.visible_employee(session, actor, employee_id)
    record_read(session, actor, RESOURCE, employee_id)
    return repo.unreviewed_actions(session, employee_id)


def read_action(session: Session, actor: Actor, action_id: int) -> DialogueAction:
    """One agreed action of a visible employee's dialogue (its `version` is the ETag a
    PATCH names); a read of someone else's is audited as a read of their dialogues."""
    action = repo.get_action(session, action_id)
    dialogue = None if action is None else repo.get_dialogue(session, action.dialogue_id)
    dialogue = policy.owned_record(session, actor, dialogue, f"dialogue action {action_id}")
    assert action is not None  # a dialogue was found through it
    record_read(session, actor, RESOURCE, dialogue.employee_id)
    return action


def review_action(
    session: Session, actor: Actor, action_id: int, expected_version: int | None, done: bool | None
) -> DialogueAction:
    """Mark an agreed action done or not done (None: not reviewed yet); If-Match required."""
    action = repo.get_action(session, action_id)
    dialogue = None if action is None else repo.get_dialogue(session, action.dialogue_id)
    dialogue = policy.owned_record(session, actor, dialogue, f"dialogue action {action_id}")
    assert action is not None  # a dialogue was found through it
    policy.supervised_employee(session, actor, dialogue.employee_id)
    check_version(action.version, expected_version)
    action.done = done
    action.reviewed_at = None if done is None else datetime.now(UTC)
    session.flush()
    record(
        session,
        actor,
        AuditAction.UPDATE,
        ACTION_RESOURCE,
        employee_id=dialogue.employee_id,
        resource_id=action.id,
    )
    return action


def check_coaching_action(code: str | None) -> None:
    """Refuse a coaching code that the reviewed catalogue does not hold."""
    if code is None:
        return
    codes = [rule.code for rule in load_catalogue()]
    if code not in codes:
        raise Invalid.field(
            "coaching_action",
            f"must be a code of the coaching catalogue ({', '.join(codes)}); got {code!r}",
        )


def _check_follow_up(
    held_on: date, follow_up_on: date | None, actions: Sequence[AgreedAction]
) -> None:
    if follow_up_on is not None and follow_up_on < held_on:
        raise Invalid.field("follow_up_on", f"must be on or after the dialogue ({held_on})")
    for index, action in enumerate(actions):
        if action.due_on is not None and action.due_on < held_on:
            raise Invalid.field(
                f"actions.{index}.due_on", f"must be on or after the dialogue ({held_on})"
            )


def _reviewable(
    session: Session, employee_id: int, reviews: Sequence[Review]
) -> dict[int, DialogueAction]:
    """The open actions of the employee that `reviews` name; Invalid for any other id."""
    open_by_id = {action.id: action for action in repo.unreviewed_actions(session, employee_id)}
    seen: set[int] = set()
    for index, review in enumerate(reviews):
        if review.action_id not in open_by_id or review.action_id in seen:
            raise Invalid.field(
                f"reviews.{index}.action_id",
                f"no open action {review.action_id} of an earlier dialogue with employee "
                f"{employee_id} (or it is named twice)",
            )
        seen.add(review.action_id)
    return open_by_id


def _by(actions: list[DialogueAction], key: str) -> dict[int, list[DialogueAction]]:
    grouped: dict[int, list[DialogueAction]] = {}
    for action in actions:
        grouped.setdefault(getattr(action, key), []).append(action)
    return grouped
