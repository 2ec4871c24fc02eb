"""Use cases for feedback notes (by the rater) and self-assessments (by the employee)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from service.auth import policy
from service.db.models import FeedbackNote
from service.db.models import SelfAssessment
from service.db.repositories import Page
from service.db.repositories import performance as repo
from service.domain.audit import Actor
from service.domain.audit import AuditAction
from service.domain.audit import record
from service.domain.audit import record_read
from service.domain.entities import FeedbackTarget
from service.domain.entities import Rating
from service.domain.errors import Conflict
from service.domain.errors import Invalid
from service.domain.evaluation_input import ensure_period
from service.domain.periods import Period
from service.domain.periods import ensure_started
from service.domain.periods import parse_period


def add_feedback(
    session: Session,
    actor: Actor,
    employee_id: int,
    period: str,
    target: FeedbackTarget,
    body: str,
    rhk_id: int | None = None,
) -> FeedbackNote:
    """Add a feedback note of the direct supervisor or appointed rater on a period."""
    parsed = _started(period)
    policy.rated_employee(session, actor, employee_id, parsed.year)
    if rhk_id is not None:
        rhk = repo.get_rhk(session, rhk_id)
        skp = None if rhk is None else repo.get_skp(session, rhk.skp_id)
        if skp is None or skp.employee_id != employee_id:
            raise Invalid.field("rhk_id", f"no RHK {rhk_id} in an SKP of employee {employee_id}")
    ensure_period(session, parsed)
    note = FeedbackNote(
        employee_id=employee_id,
        author_id=actor.employee_id,
        period=parsed.code,
        target=target,
        rhk_id=rhk_id,
        body=body,
    )
    session.add(note)
    session.flush()
    record(
        session,
        actor,
        AuditAction.CREATE,
        "feedback",
        employee_id=employee_id,
        resource_id=note.id,
    )
    return note


def _started(code: str) -> Period:
    """The period of a note or an own rating: one that has started (Invalid otherwise)."""
    return ensure_started(parse_period(code))


def list_feedback(
    session: Session, actor: Actor, employee_id: int, limit: int, offset: int
) -> Page[FeedbackNote]:
    """List the feedback notes on a visible employee."""
    policy.visible_employee(session, actor, employee_id)
    record_read(session, actor, "feedback", employee_id)
    return repo.list_feedback(session, employee_id, limit, offset)


def record_self_assessment(
    session: Session,
    actor: Actor,
    employee_id: int,
    period: str,
    work_result_rating: Rating,
    behavior_rating: Rating,
    note: str | None = None,
) -> SelfAssessment:
    """Store the employee's own rating of a period (one per period)."""
    parsed = _started(period)
    policy.own_employee(session, actor, employee_id)
    if repo.self_assessment_exists(session, employee_id, parsed.code):
        raise Conflict(f"employee {employee_id} already assessed {parsed.code}")
    ensure_period(session, parsed)
    assessment = SelfAssessment(
        employee_id=employee_id,
        period=parsed.code,
        work_result_rating=work_result_rating,
        behavior_rating=behavior_rating,
        note=note,
    )
    session.add(assessment)
    session.flush()
    record(
        session,
        actor,
        AuditAction.CREATE,
        "self_assessment",
        employee_id=employee_id,
        resource_id=assessment.id,
    )
    return assessment


def list_self_assessments(
    session: Session, actor: Actor, employee_id: int, limit: int, offset: int
) -> Page[SelfAssessment]:
    """List a visible employee's self-assessments."""
    policy.visible_employee(session, actor, employee_id)
    record_read(session, actor, "self_assessment", employee_id)
    return repo.list_self_assessments(session, employee_id, limit, offset)
