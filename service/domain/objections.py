"""Objections (*keberatan*) to an evaluation: filed by the employee, decided by the rater's
superior.

PermenPANRB 6/2022 gives the evaluated employee the right to object, with reasons, and the
rater's superior (*atasan pejabat penilai kinerja*) decides (domain.md 3.8, [C: S20d, S4]).
The deadline is not confirmed ([U]), so the window is a setting (KINERJA_OBJECTION_WINDOW_DAYS,
default 14 days from the evaluation's last change). An upheld objection changes the ratings
through `evaluations.revise`, the rule a rater's correction follows, so the predikat comes
from the same matrix; the objection keeps the predikat before and after. One objection per
evaluation; a closed one (upheld, rejected, withdrawn) does not change again. An upheld
objection changes the evaluation also while a calibration closing covers it (the legal
remedy passes the lock), and the change is recorded against that closing
(`calibration_closings.record_change`).
"""

from __future__ import annotations

from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from typing import Any
from typing import Protocol

from sqlalchemy.orm import Session

from service.auth import policy
from service.db.models import BEHAVIOR_COLUMNS
from service.db.models import Objection
from service.db.repositories import Page
from service.db.repositories import objections as repo
from service.db.repositories import performance as evaluations_repo
from service.db.repositories.notifications import insert_new
from service.db.repositories.objections import Found
from service.db.repositories.organisation import employee_condition
from service.domain.audit import Actor
from service.domain.audit import AuditAction
from service.domain.audit import record
from service.domain.audit import record_read
from service.domain.audit import record_reads
from service.domain.calibration_closings import record_change
from service.domain.entities import NotificationKind
from service.domain.entities import Role
from service.domain.errors import Conflict
from service.domain.errors import Forbidden
from service.domain.errors import Invalid
from service.domain.errors import NotFound
from service.domain.evaluations import RESOURCE as EVALUATION
from service.domain.evaluations import revise
from service.domain.moments import as_utc
from service.domain.objection_terms import DECIDED
from service.domain.objection_terms import ObjectionStatus
from service.domain.organisation import check_version
from service.domain.revision_terms import RevisionCause
from service.domain.settings import whole_number_setting

RESOURCE = "objection"
CONFIG_KEY = "KINERJA_OBJECTION_WINDOW_DAYS"
DEFAULT_WINDOW_DAYS = 14


@dataclass(frozen=True)
class ObjectionSettings:
    """How long after an evaluation's last change its employee may object."""

    window_days: int = DEFAULT_WINDOW_DAYS

    @classmethod
    def from_mapping(cls, config: Mapping[str, Any]) -> ObjectionSettings:
        """Read the window from the app config (a number, or its text from `.env`)."""
        return cls(whole_number_setting(config, CONFIG_KEY, DEFAULT_WINDOW_DAYS, 1, 366, "days"))


@dataclass(frozen=True)
class ObjectionView:
    """An objection as its reader sees it, with the evaluation it is about and whether the
    reader decides it."""

    found: Found
    can_decide: bool


class Dated(Protocol):
    """What the window reads of an evaluation (an `Evaluation`, or its row)."""

    @property
    def employee_id(self) -> int: ...

    @property
    def created_at(self) -> datetime: ...

    @property
    def updated_at(self) -> datetime | None: ...


@dataclass(frozen=True)
class FilingStanding:
    """Whether an objection to an evaluation would be accepted from its reader now, and if
    not why: someone else's evaluation, the window closed at `closes`, or `existing`."""

    own: bool
    closes: datetime
    existing: Objection | None
    window_days: int
    now: datetime

    @property
    def window_open(self) -> bool:
        return self.now <= self.closes

    @property
    def accepted(self) -> bool:
        return self.own and self.window_open and self.existing is None

    def refuse(self) -> None:
        """Raise what `file_objection` answers when filing is not accepted."""
        if not self.own:
            raise Forbidden("only the evaluated employee may object to an evaluation")
        if not self.window_open:
            raise Conflict(
                f"the objection window of {self.window_days} days after the evaluation's last "
                f"change closed at {self.closes.isoformat(timespec='minutes')}"
            )
        if self.existing is not None:
            raise Conflict(
                f"evaluation {self.existing.evaluation_id} already has objection "
                f"{self.existing.id} ({self.existing.status.value}); there is one per evaluation"
            )


def filing_standing(
    actor: Actor,
    evaluation: Dated,
    existing: Objection | None,
    settings: ObjectionSettings,
    now: datetime | None = None,
) -> FilingStanding:
    """The rule of `file_objection`: only the evaluated employee, within `window_days` of the
    evaluation's last change, once per evaluation (`existing` is its objection, if any)."""
    closes = as_utc(evaluation.updated_at or evaluation.created_at)
    return FilingStanding(
        own=actor.is_self(evaluation.employee_id),
        closes=closes + timedelta(days=settings.window_days),
        existing=existing,
        window_days=settings.window_days,
        now=now or datetime.now(UTC),
    )


def filing_standings(
    session: Session,
    actor: Actor,
    evaluations: Sequence[Any],
    settings: ObjectionSettings,
    now: datetime | None = None,
) -> dict[int, FilingStanding]:
    """`filing_standing` of each of a visible employee's evaluations, by evaluation id (one
    query for their objections): what a page offers in place of the form where refused."""
    existing = repo.objections_of(session, [evaluation.id for evaluation in evaluations])
    moment = now or datetime.now(UTC)
    return {
        evaluation.id: filing_standing(
            actor, evaluation, existing.get(evaluation.id), settings, moment
        )
        for evaluation in evaluations
    }


def file_objection(
    session: Session,
    actor: Actor,
    evaluation_id: int,
    reason: str,
    settings: ObjectionSettings,
    now: datetime | None = None,
) -> ObjectionView:
    """Object to one's own evaluation, within the window after its last change."""
    found = evaluations_repo.get_evaluation(session, evaluation_id)
    evaluation, employee = found if found is not None else (None, None)
    policy.owned_record(session, actor, evaluation, f"evaluation {evaluation_id}", employee)
    assert evaluation is not None and employee is not None
    existing = repo.objection_of(session, evaluation_id)
    filing_standing(actor, evaluation, existing, settings, now).refuse()
    objection = Objection(
        evaluation_id=evaluation.id,
        employee_id=evaluation.employee_id,
        reason=reason,
        predikat_before=evaluation.predikat,
    )
    session.add(objection)
    session.flush()
    record(
        session,
        actor,
        AuditAction.CREATE,
        RESOURCE,
        employee_id=evaluation.employee_id,
        resource_id=objection.id,
    )
    superior = repo.rater_superior(session, evaluation.rater_id)
    found = Found(objection, evaluation, employee, superior)
    for decider in _deciders(session, found):
        _notify(session, NotificationKind.OBJECTION_FILED, decider, found)
    return ObjectionView(found, can_decide=False)


def _deciders(session: Session, found: Found) -> list[int]:
    """The logins that decide the objection (`policy.may_decide_objection`): the rater's
    superior's; when the rater has none (or none is named), hr over the employee's unit,
    else the admins, never the employee or the rater themselves."""
    if found.rater_superior_id is not None:
        login = repo.login_of(session, found.rater_superior_id)
        return [] if login is None else [login]
    rater = found.evaluation.rater_id
    excluded = {found.employee.id} if rater is None else {found.employee.id, rater}
    return repo.unit_deciders(session, found.employee.unit_id, excluded)


def read_objection(session: Session, actor: Actor, objection_id: int) -> ObjectionView:
    """One visible objection, auditing a read of someone else's."""
    view = _visible(session, actor, objection_id)
    record_read(session, actor, RESOURCE, view.found.employee.id)
    return view


def list_objections(
    session: Session,
    actor: Actor,
    status: ObjectionStatus | None,
    limit: int,
    offset: int,
) -> Page[ObjectionView]:
    """Objections the caller sees (own, of the people it sees, or that it decides), newest
    first; reads of other people's are audited."""
    scope = policy.employee_scope(actor)
    visible = None if scope.everyone else employee_condition(scope)
    page = repo.list_objections(session, visible, actor.employee_id, status, limit, offset)
    others = [f.employee.id for f in page.items if not actor.is_self(f.employee.id)]
    record_reads(session, actor, RESOURCE, others)
    views = [ObjectionView(f, _decides(session, actor, f)) for f in page.items]
    return Page(views, page.total)


def close_objection(
    session: Session,
    actor: Actor,
    objection_id: int,
    expected_version: int | None,
    status: ObjectionStatus,
    note: str | None = None,
    ratings: Mapping[str, Any] | None = None,
    now: datetime | None = None,
) -> ObjectionView:
    """Decide a pending objection (the decider: upheld with new ratings, or rejected, with a
    note) or withdraw it (its employee)."""
    view = _visible(session, actor, objection_id)
    objection = view.found.objection
    if status is ObjectionStatus.WITHDRAWN:
        if not actor.is_self(objection.employee_id):
            raise Forbidden("only the employee who objected may withdraw the objection")
        _refuse_decision_fields(note, ratings, "a withdrawal")
    elif not view.can_decide:
        raise Forbidden(
            "only the superior of the evaluation's rater (atasan pejabat penilai kinerja) "
            "decides this objection"
        )
    if objection.status is not ObjectionStatus.PENDING:
        raise Conflict(f"objection {objection_id} is already {objection.status.value}")
    check_version(objection.version, expected_version)
    if status in DECIDED:
        _decide(session, actor, view.found, status, note, ratings or {})
    objection.status = status
    objection.closed_at = now or datetime.now(UTC)
    session.flush()
    if status in DECIDED:
        employee = repo.login_of(session, objection.employee_id)
        _notify(session, NotificationKind.OBJECTION_DECIDED, employee, view.found)
    record(
        session,
        actor,
        AuditAction.UPDATE,
        RESOURCE,
        employee_id=objection.employee_id,
        resource_id=objection.id,
    )
    return view


def _decide(
    session: Session,
    actor: Actor,
    found: Found,
    status: ObjectionStatus,
    note: str | None,
    ratings: Mapping[str, Any],
) -> None:
    if not note or not note.strip():
        raise Invalid.field("decision_note", "a decision gives its reasons")
    evaluation, objection = found.evaluation, found.objection
    if status is ObjectionStatus.REJECTED:
        _refuse_decision_fields(None, ratings, "a rejection")
    else:
        before = {name: getattr(evaluation, name) for name in _rating_columns()}
        predikat = evaluation.predikat
        revise(session, actor, evaluation, ratings, RevisionCause.OBJECTION)
        if all(getattr(evaluation, name) == value for name, value in before.items()):
            raise Invalid.field(
                "work_result_rating",
                "an upheld objection changes the ratings; to keep them, reject it",
            )
        record_change(session, objection, evaluation, predikat)  # passes a closing, visibly
        session.flush()
        record(
            session,
            actor,
            AuditAction.UPDATE,
            EVALUATION,
            employee_id=evaluation.employee_id,
            resource_id=evaluation.id,
        )
    objection.predikat_after = evaluation.predikat
    objection.decided_by_user_id = actor.user_id
    objection.decision_note = note


#: (Indonesian, English) text of each notification; fields of `_notify`.
TEXTS = {
    NotificationKind.OBJECTION_FILED: (
        "{name} mengajukan keberatan atas evaluasi kinerja {period}; Anda yang memutuskannya.",
        "{name} objected to the performance evaluation of {period}; you decide it.",
    ),
    NotificationKind.OBJECTION_DECIDED: (
        "Keberatan Anda atas evaluasi kinerja {period} {outcome_id}.",
        "Your objection to the performance evaluation of {period} was {outcome_en}.",
    ),
}
_OUTCOMES = {ObjectionStatus.UPHELD: "diterima", ObjectionStatus.REJECTED: "ditolak"}


def _notify(session: Session, kind: NotificationKind, recipient: int | None, found: Found) -> None:
    """Tell a login about the objection, once (in-app, and by email with SMTP set up)."""
    if recipient is None:
        return  # no login to tell
    status = found.objection.status
    fields = {
        "name": found.employee.name,
        "period": found.evaluation.period,
        "outcome_id": _OUTCOMES.get(status, ""),
        "outcome_en": status.value,
    }
    native, english = TEXTS[kind]
    row = {
        "recipient_user_id": recipient,
        "kind": kind,
        "subject_key": f"objection:{found.objection.id}",
        "message": native.format(**fields),
        "message_en": english.format(**fields),
    }
    insert_new(session, [row])


def _refuse_decision_fields(
    note: str | None, ratings: Mapping[str, Any] | None, what: str
) -> None:
    fields = ([] if note is None else ["decision_note"]) + sorted(ratings or {})
    if fields:
        raise Invalid.field(fields[0], f"{what} changes no ratings and carries no decision")


def _visible(session: Session, actor: Actor, objection_id: int) -> ObjectionView:
    found = repo.get_objection(session, objection_id)
    if found is None or not policy.visible_objection(
        session, actor, found.employee, found.evaluation.rater_id, found.rater_superior_id
    ):
        raise NotFound(f"no objection {objection_id} visible to you")
    return ObjectionView(found, _decides(session, actor, found))


def _decides(session: Session, actor: Actor, found: Found) -> bool:
    if actor.role is Role.DATA:
        return False
    return policy.may_decide_objection(
        session, actor, found.employee, found.evaluation.rater_id, found.rater_superior_id
    )


def _rating_columns() -> tuple[str, ...]:
    """The columns an upheld decision must change at least one of (the seven values too)."""
    return ("work_result_rating", "behavior_rating", *BEHAVIOR_COLUMNS.values())
