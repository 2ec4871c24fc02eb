"""Use cases for development records: competency assessments, monthly attendance, the
training catalogue and enrolments. HR (within its units) and admin write; readers per policy.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from service.auth import policy
from service.db.models import AssessmentLevel
from service.db.models import AttendanceMonth
from service.db.models import CompetencyAssessment
from service.db.models import Enrolment
from service.db.models import Training
from service.db.models import TrainingCompetency
from service.db.repositories import Page
from service.db.repositories import development as repo
from service.domain.audit import Actor
from service.domain.audit import AuditAction
from service.domain.audit import record
from service.domain.audit import record_read
from service.domain.entities import EnrolmentStatus
from service.domain.entities import TrainingMode
from service.domain.errors import Conflict
from service.domain.errors import Invalid
from service.domain.organisation import check_competency_codes
from service.domain.periods import today_in_indonesia
from service.reference import NONKLASIKAL_KINDS
from service.reference import TRAINING_KINDS


@dataclass(frozen=True)
class AssessmentDetail:
    assessment: CompetencyAssessment
    levels: dict[str, float]


@dataclass(frozen=True)
class TrainingDetail:
    training: Training
    competencies: list[tuple[str, int]]


@dataclass(frozen=True)
class EnrolmentDetail:
    enrolment: Enrolment
    training_code: str


def record_assessment(
    session: Session,
    actor: Actor,
    employee_id: int,
    assessed_on: date,
    method: str,
    levels: Mapping[str, float],
    assessor: str | None = None,
) -> AssessmentDetail:
    """Store one competency assessment with a level per known competency code."""
    policy.managed_employee(session, actor, employee_id)
    if assessed_on > today_in_indonesia():  # it would outrank every real later assessment
        raise Invalid.field("assessed_on", f"{assessed_on} is in the future")
    check_competency_codes(session, list(levels), "levels")
    assessment = CompetencyAssessment(
        employee_id=employee_id, assessed_on=assessed_on, method=method, assessor=assessor
    )
    session.add(assessment)
    session.flush()
    for code, level in levels.items():
        session.add(
            AssessmentLevel(assessment_id=assessment.id, competency_code=code, level=level)
        )
    session.flush()
    record(
        session,
        actor,
        AuditAction.CREATE,
        "competency_assessment",
        employee_id=employee_id,
        resource_id=assessment.id,
    )
    return AssessmentDetail(assessment, dict(levels))


def list_assessments(
    session: Session, actor: Actor, employee_id: int, limit: int, offset: int
) -> Page[AssessmentDetail]:
    """List a visible employee's assessments with their levels."""
    policy.visible_employee(session, actor, employee_id)
    record_read(session, actor, "competency_assessment", employee_id)
    page = repo.list_assessments(session, employee_id, limit, offset)
    levels = repo.assessment_levels(session, [a.id for a in page.items])
    items = [
        AssessmentDetail(
            a, {lv.competency_code: lv.level for lv in levels if lv.assessment_id == a.id}
        )
        for a in page.items
    ]
    return Page(items, page.total)


def record_attendance(
    session: Session,
    actor: Actor,
    employee_id: int,
    month: str,
    work_days: int,
    present_days: int,
    late_days: int = 0,
) -> AttendanceMonth:
    """Store one month's attendance summary (present <= work days, late <= present)."""
    policy.managed_employee(session, actor, employee_id)
    if present_days > work_days:
        raise Invalid.field("present_days", f"{present_days} exceeds work_days {work_days}")
    if late_days > present_days:
        raise Invalid.field("late_days", f"{late_days} exceeds present_days {present_days}")
    if repo.attendance_exists(session, employee_id, month):
        raise Conflict(f"employee {employee_id} already has attendance for {month}")
    row = AttendanceMonth(
        employee_id=employee_id,
        month=month,
        work_days=work_days,
        present_days=present_days,
        late_days=late_days,
    )
    session.add(row)
    session.flush()
    record(
        session,
        actor,
        AuditAction.CREATE,
        "attendance",
        employee_id=employee_id,
        resource_id=row.id,
    )
    return row


def list_attendance(
    session: Session, actor: Actor, employee_id: int, limit: int, offset: int
) -> Page[AttendanceMonth]:
    policy.visible_employee(session, actor, employee_id)
    record_read(session, actor, "attendance", employee_id)
    return repo.list_attendance(session, employee_id, limit, offset)


def create_training(
    session: Session,
    actor: Actor,
    code: str,
    title: str,
    jp: float,
    mode: TrainingMode,
    competencies: list[Mapping[str, Any]],
    kind: str | None = None,
    provider: str | None = None,
) -> TrainingDetail:
    """Add a programme to the catalogue with the competencies it develops."""
    kind = kind or ("e_learning" if mode is TrainingMode.NONKLASIKAL else "teknis")
    if kind not in TRAINING_KINDS:
        raise Invalid.field("kind", f"must be one of {', '.join(TRAINING_KINDS)}")
    if kind in NONKLASIKAL_KINDS and mode is not TrainingMode.NONKLASIKAL:
        raise Invalid.field("mode", f"{kind} programmes must be nonklasikal")
    links = [(c["competency"], c["max_level"]) for c in competencies]
    check_competency_codes(session, [c for c, _ in links], "competencies")
    if repo.get_training_by_code(session, code) is not None:
        raise Conflict(f"training code {code!r} is already used")
    training = Training(
        code=code, title=title, jp=jp, mode=mode, kind=kind, provider=provider, position_kinds=[]
    )
    session.add(training)
    session.flush()
    for competency, max_level in links:
        session.add(
            TrainingCompetency(
                training_id=training.id, competency_code=competency, max_level=max_level
            )
        )
    session.flush()
    record(session, actor, AuditAction.CREATE, "training", resource_id=training.id)
    return TrainingDetail(training, links)


def list_trainings(session: Session, limit: int, offset: int) -> Page[TrainingDetail]:
    """List the catalogue with each programme's competencies."""
    page = repo.list_trainings(session, limit, offset)
    links = repo.training_competencies(session, [t.id for t in page.items])
    items = [
        TrainingDetail(
            t, [(lk.competency_code, lk.max_level) for lk in links if lk.training_id == t.id]
        )
        for t in page.items
    ]
    return Page(items, page.total)


def enrol(
    session: Session,
    actor: Actor,
    employee_id: int,
    training_code: str,
    start_date: date,
    end_date: date,
    status: EnrolmentStatus,
) -> EnrolmentDetail:
    """Enrol an employee in a programme; a completed one earns the programme's JP."""
    policy.managed_employee(session, actor, employee_id)
    training = repo.get_training_by_code(session, training_code)
    if training is None:
        raise Invalid.field("training_code", f"no training {training_code!r} in the catalogue")
    if start_date > end_date:
        raise Invalid.field("end_date", f"{end_date} is before start_date {start_date}")
    if status is EnrolmentStatus.COMPLETED and end_date > today_in_indonesia():
        # its JP would count towards the year before it is earned
        raise Invalid.field(
            "end_date", f"{end_date} is in the future: record it as enrolled until it ends"
        )
    if repo.enrolment_exists(session, employee_id, training.id, start_date, end_date, status):
        # a repeated request (without an Idempotency-Key) would count the programme twice
        raise Conflict(
            f"{training_code} from {start_date} to {end_date} is already recorded as {status}"
        )
    jp = training.jp if status is EnrolmentStatus.COMPLETED else None
    enrolment = Enrolment(
        employee_id=employee_id,
        training_id=training.id,
        start_date=start_date,
        end_date=end_date,
        status=status,
        jp_earned=jp,
    )
    session.add(enrolment)
    session.flush()
    record(
        session,
        actor,
        AuditAction.CREATE,
        "enrolment",
        employee_id=employee_id,
        resource_id=enrolment.id,
    )
    return EnrolmentDetail(enrolment, training.code)


def list_enrolments(
    session: Session, actor: Actor, employee_id: int, limit: int, offset: int
) -> Page[EnrolmentDetail]:
    """List a visible employee's enrolments."""
    policy.visible_employee(session, actor, employee_id)
    record_read(session, actor, "enrolment", employee_id)
    page = repo.list_enrolments(session, employee_id, limit, offset)
    trainings = repo.trainings_by_id(session, [e.training_id for e in page.items])
    return Page(
        [EnrolmentDetail(e, trainings[e.training_id].code) for e in page.items], page.total
    )
