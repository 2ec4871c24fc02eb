"""Competency dictionary, competency assessments, attendance, training catalogue, enrolments."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import Select
from sqlalchemy import exists
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.db.models import AssessmentLevel
from service.db.models import AttendanceMonth
from service.db.models import Competency
from service.db.models import CompetencyAssessment
from service.db.models import Employee
from service.db.models import Enrolment
from service.db.models import Training
from service.db.models import TrainingCompetency
from service.db.repositories import Page
from service.db.repositories import paginate
from service.domain.entities import EnrolmentStatus


def list_competencies(session: Session, limit: int, offset: int) -> Page[Competency]:
    return paginate(session, select(Competency).order_by(Competency.code), limit, offset)


def known_competency_codes(session: Session, codes: list[str]) -> set[str]:
    """Return those of `codes` that are in the competency dictionary."""
    query = select(Competency.code).where(Competency.code.in_(codes))
    return set(session.scalars(query))


def list_assessments(
    session: Session, employee_id: int, limit: int, offset: int
) -> Page[CompetencyAssessment]:
    query = select(CompetencyAssessment).where(CompetencyAssessment.employee_id == employee_id)
    order = (CompetencyAssessment.assessed_on, CompetencyAssessment.id)
    return paginate(session, query.order_by(*order), limit, offset)


def assessment_levels(session: Session, assessment_ids: list[int]) -> list[AssessmentLevel]:
    query = select(AssessmentLevel).where(AssessmentLevel.assessment_id.in_(assessment_ids))
    return list(session.scalars(query.order_by(AssessmentLevel.competency_code)))


def attendance_exists(session: Session, employee_id: int, month: str) -> bool:
    query = select(AttendanceMonth.id).where(
        AttendanceMonth.employee_id == employee_id, AttendanceMonth.month == month
    )
    return session.scalar(select(exists(query))) or False


def list_attendance(
    session: Session, employee_id: int, limit: int, offset: int
) -> Page[AttendanceMonth]:
    query = select(AttendanceMonth).where(AttendanceMonth.employee_id == employee_id)
    return paginate(session, query.order_by(AttendanceMonth.month), limit, offset)


def get_training_by_code(session: Session, code: str) -> Training | None:
    return session.scalar(select(Training).where(Training.code == code))


def list_trainings(session: Session, limit: int, offset: int) -> Page[Training]:
    return paginate(session, select(Training).order_by(Training.code), limit, offset)


def training_competencies(session: Session, training_ids: list[int]) -> list[TrainingCompetency]:
    query = select(TrainingCompetency).where(TrainingCompetency.training_id.in_(training_ids))
    return list(session.scalars(query.order_by(TrainingCompetency.competency_code)))


def trainings_by_id(session: Session, training_ids: list[int]) -> dict[int, Training]:
    query = select(Training).where(Training.id.in_(training_ids))
    return {training.id: training for training in session.scalars(query)}


def enrolment_exists(
    session: Session,
    employee_id: int,
    training_id: int,
    start_date: date,
    end_date: date,
    status: EnrolmentStatus,
) -> bool:
    """Whether the employee already has this programme with these dates and status."""
    query = select(Enrolment.id).where(
        Enrolment.employee_id == employee_id,
        Enrolment.training_id == training_id,
        Enrolment.start_date == start_date,
        Enrolment.end_date == end_date,
        Enrolment.status == status,
    )
    return session.scalar(select(exists(query))) or False


def list_enrolments(
    session: Session, employee_id: int, limit: int, offset: int
) -> Page[Enrolment]:
    query = select(Enrolment).where(Enrolment.employee_id == employee_id)
    return paginate(session, query.order_by(Enrolment.start_date, Enrolment.id), limit, offset)


def employment_statuses(session: Session, employee_ids: list[int]) -> dict[int, str]:
    """Return the employment status of each of `employee_ids` (what the JP rule depends on)."""
    query = select(Employee.id, Employee.employment_status).where(Employee.id.in_(employee_ids))
    return {employee_id: str(status) for employee_id, status in session.execute(query)}


def jp_completed(
    session: Session, employee_ids: list[int] | Select[Any], first: date, last: date
) -> dict[int, float]:
    """Return the JP of the programmes each of `employee_ids` (a list, or a sub-select of
    ids) completed from `first` to `last` (end dates, both included); employees with none
    are left out."""
    earned = func.coalesce(Enrolment.jp_earned, Training.jp)
    query = (
        select(Enrolment.employee_id, func.sum(earned))
        .join(Training, Training.id == Enrolment.training_id)
        .where(
            Enrolment.employee_id.in_(employee_ids),
            Enrolment.status == EnrolmentStatus.COMPLETED,
            Enrolment.end_date >= first,
            Enrolment.end_date <= last,
        )
        .group_by(Enrolment.employee_id)
    )
    return {employee_id: float(total) for employee_id, total in session.execute(query)}
