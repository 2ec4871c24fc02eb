"""Which notification kinds are emailed to the caller (the in-app notification is kept)."""

from __future__ import annotations

from pydantic import Field

from service.api.schemas.common import Model
from service.api.schemas.common import Out
from service.domain.entities import NotificationKind


class NotificationPreferencesOut(Out):
    email_on: dict[NotificationKind, bool] = Field(
        description="every notification kind: whether it is emailed to you"
    )
    mandatory: list[NotificationKind] = Field(
        description="the kinds always emailed (objections): switching them off is refused"
    )
    version: int = Field(description="the set's version, also its ETag")


class NotificationPreferencesIn(Model):
    email_on: dict[NotificationKind, bool] = Field(
        description="kinds to switch on (true) or off (false); kinds left out keep their "
        "setting; a mandatory kind set to false is 422"
    )
