"""Which notifications a login wants emailed, by kind; the in-app notification is always kept.

Every kind is emailed unless its recipient switched it off. Two kinds cannot be switched off:
the objection (keberatan) is the employee's only recourse against an evaluation (PP 30/2019,
domain.md 3.8; an objection path is also what UU 27/2022 asks for when people are evaluated
at scale, domain.md 7). `objection_filed` tells the rater's superior that a decision is theirs
to make, and `objection_decided` tells the employee the outcome of their own objection: an
email the person chose not to get could leave an objection undecided or its outcome unseen.

Like notifications, preferences belong to their login alone: each caller reads and changes
their own (any role; a caller without a login has none).
"""

from __future__ import annotations

from collections.abc import Iterable
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy.orm import Session

from service.db.repositories import notification_preferences as repo
from service.domain.audit import Actor
from service.domain.audit import AuditAction
from service.domain.audit import record
from service.domain.entities import NotificationKind
from service.domain.errors import FieldError
from service.domain.errors import Forbidden
from service.domain.errors import Invalid
from service.domain.organisation import check_version

RESOURCE = "notification_preferences"
#: Kinds always emailed (to a recipient with an address): see the module's docstring.
MANDATORY = frozenset({NotificationKind.OBJECTION_FILED, NotificationKind.OBJECTION_DECIDED})
#: The version of a login's preferences never written (every kind on).
DEFAULT_VERSION = 1


@dataclass(frozen=True)
class EmailPreferences:
    """Per kind, whether it is emailed; `version` is the ETag of the set."""

    version: int
    email_off: frozenset[NotificationKind]

    @property
    def email_on(self) -> dict[NotificationKind, bool]:
        """Every kind, in the enumeration's order."""
        return {kind: kind not in self.email_off for kind in NotificationKind}


def my_email_preferences(session: Session, actor: Actor) -> EmailPreferences:
    """The caller's choice (every kind on, at version 1, until first changed)."""
    row = repo.get_preference(session, _user_id(actor))
    if row is None:
        return EmailPreferences(DEFAULT_VERSION, frozenset())
    return EmailPreferences(row.version, _kinds(row.email_off))


def set_my_email_preferences(
    session: Session,
    actor: Actor,
    expected_version: int | None,
    email_on: Mapping[NotificationKind, bool],
) -> EmailPreferences:
    """Switch the email of the named kinds on or off (kinds not named keep their setting);
    412 when the set moved on since `expected_version`, 422 for a mandatory kind switched
    off. The caller commits."""
    user_id = _user_id(actor)
    refused = sorted(kind for kind, on in email_on.items() if not on and kind in MANDATORY)
    if refused:
        raise Invalid(
            errors=[
                FieldError(f"email_on.{kind.value}", "is mandatory and cannot be switched off")
                for kind in refused
            ]
        )
    row = repo.preference_for_update(session, user_id)
    check_version(row.version, expected_version)
    off = _kinds(row.email_off) - {k for k, on in email_on.items() if on}
    off |= {kind for kind, on in email_on.items() if not on}
    stored = sorted(kind.value for kind in off)
    if stored != sorted(row.email_off):
        row.email_off = stored
        session.flush()
        record(
            session,
            actor,
            AuditAction.UPDATE,
            RESOURCE,
            employee_id=actor.employee_id,
            resource_id=user_id,
        )
    return EmailPreferences(row.version, frozenset(off))


def emails_switched_off(session: Session, user_ids: Iterable[int]) -> dict[int, frozenset[str]]:
    """For the mail sender: each login's kinds not to email (mandatory kinds never are)."""
    mandatory = {kind.value for kind in MANDATORY}
    return {
        user_id: frozenset(off - mandatory)
        for user_id, off in repo.kinds_switched_off(session, user_ids).items()
    }


def _kinds(values: Iterable[str]) -> frozenset[NotificationKind]:
    """The stored kinds this release knows (a kind a later release added is ignored)."""
    known = {kind.value for kind in NotificationKind}
    return frozenset(NotificationKind(value) for value in values if value in known)


def _user_id(actor: Actor) -> int:
    if actor.user_id is None:
        raise Forbidden("notification preferences belong to a login; this caller has none")
    return actor.user_id
