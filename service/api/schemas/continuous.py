"""Activity logs, performance dialogues with their actions, and notifications (issue 8)."""

from __future__ import annotations

from datetime import date
from typing import Annotated
from typing import Any

from pydantic import Field
from pydantic import Strict

from service.api.schemas.common import Id
from service.api.schemas.common import LongText
from service.api.schemas.common import Model
from service.api.schemas.common import Moment
from service.api.schemas.common import Out
from service.api.schemas.common import PageQuery
from service.api.schemas.common import listing
from service.api.schemas.common import text
from service.api.schemas.performance import Uri
from service.domain.dialogues import AgreedAction
from service.domain.dialogues import Review
from service.domain.entities import ActivityStatus
from service.domain.entities import DialogueKind
from service.domain.entities import NotificationKind

ActivityText = text(2000)
CoachingCode = Annotated[str, Strict(), Field(pattern=r"^[a-z0-9_]{1,40}$")]


# --- activity log ----------------------------------------------------------------------------


class ActivityIn(Model):
    activity_date: date = Field(description="the day (or the first day of the week) it covers")
    description: ActivityText
    rhk_id: Id | None = Field(None, description="an RHK of your own SKP of that year")
    evidence_url: Uri | None = None


class ActivityPatch(Model):
    """Fields to correct while the entry is not acknowledged; null clears an optional one."""

    activity_date: date | None = None
    description: ActivityText | None = None
    rhk_id: Id | None = None
    evidence_url: Uri | None = None


class AcknowledgeIn(Model):
    comment: LongText | None = None


class ActivityOut(Out):
    id: int
    employee_id: int
    rhk_id: int | None
    activity_date: date
    description: str
    evidence_url: str | None
    status: ActivityStatus
    supervisor_comment: str | None
    acknowledged_by: int | None = Field(description="user id of the supervisor who acknowledged")
    acknowledged_at: Moment | None
    created_at: Moment
    version: int


class ActivityQuery(PageQuery):
    status: ActivityStatus | None = None
    since: date | None = Field(None, description="first day to include")
    until: date | None = Field(None, description="last day to include")


class TeamActivityQuery(PageQuery):
    status: ActivityStatus | None = ActivityStatus.SUBMITTED


ActivityList = listing(ActivityOut)

# --- performance dialogues -------------------------------------------------------------------


class ActionIn(Model):
    description: ActivityText
    due_on: date | None = None


class ReviewIn(Model):
    action_id: Id = Field(description="an action of an earlier dialogue not reviewed yet")
    done: bool


class DialogueIn(Model):
    held_on: date
    kind: DialogueKind = DialogueKind.DIALOG
    topics: LongText
    notes: LongText | None = None
    coaching_action: CoachingCode | None = Field(
        None, description="code of the coaching suggestion it starts from (GET /teams/me)"
    )
    follow_up_on: date | None = None
    actions: list[ActionIn] = Field(default_factory=list, max_length=20)
    reviews: list[ReviewIn] = Field(default_factory=list, max_length=100)

    def arguments(self) -> dict[str, Any]:
        """The keyword arguments of `dialogues.record_dialogue` after the employee id."""
        fields = self.model_dump(exclude={"actions", "reviews"})
        fields["actions"] = [AgreedAction(a.description, a.due_on) for a in self.actions]
        fields["reviews"] = [Review(r.action_id, r.done) for r in self.reviews]
        return fields


class ActionOut(Out):
    id: int
    dialogue_id: int
    description: str
    due_on: date | None
    done: bool | None = Field(description="null until a dialogue or PATCH records the outcome")
    reviewed_in_dialogue_id: int | None
    version: int


class ActionPatch(Model):
    done: bool | None = Field(description="true done, false not done, null not reviewed")


class DialogueOut(Out):
    id: int
    employee_id: int
    supervisor_employee_id: int
    held_on: date
    kind: DialogueKind
    topics: str
    notes: str | None
    coaching_action: str | None
    follow_up_on: date | None
    created_at: Moment
    actions: list[ActionOut] = Field(description="actions agreed in this dialogue")
    reviewed: list[ActionOut] = Field(description="earlier actions whose outcome it recorded")


DialogueList = listing(DialogueOut)

# --- notifications ---------------------------------------------------------------------------


class NotificationOut(Out):
    id: int
    kind: NotificationKind
    subject_key: str
    message: str
    message_en: str
    created_at: Moment
    read_at: Moment | None
    emailed_at: Moment | None
    email_skipped_at: Moment | None = Field(
        description="when the mail sender left it out: its kind's email was switched off"
    )


class NotificationQuery(PageQuery):
    unread: bool = Field(False, description="only the unread ones")


class NotificationList(Out):
    items: list[NotificationOut]
    total: int
    unread: int = Field(description="unread notifications of the caller, whatever the page")
