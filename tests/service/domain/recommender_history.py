"""Rows the recommender reads, for tests: assessments with levels, enrolments, standards."""

from __future__ import annotations

from datetime import date
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.db.models import AssessmentLevel
from service.db.models import CompetencyAssessment
from service.db.models import CompetencyStandard
from service.db.models import Enrolment
from service.db.models import Training
from service.domain.entities import EnrolmentStatus


def add_assessment(
    session: Session, employee_id: int, on: date, levels: dict[str, float], method: str = "cat"
) -> None:
    """Add one assessment of `employee_id` with its levels; flush."""
    assessment = CompetencyAssessment(employee_id=employee_id, assessed_on=on, method=method)
    session.add(assessment)
    session.flush()
    for code, level in levels.items():
        session.add(
            AssessmentLevel(assessment_id=assessment.id, competency_code=code, level=level)
        )
    session.flush()


def add_enrolment(
    session: Session,
    employee_id: int,
    code: str,
    end: date,
    status: EnrolmentStatus = EnrolmentStatus.COMPLETED,
) -> None:
    """Enrol `employee_id` in catalogue programme `code`, ending on `end`; flush."""
    training = session.scalar(select(Training).where(Training.code == code))
    assert training is not None, f"{code} is not in the catalogue"
    done = status is EnrolmentStatus.COMPLETED
    session.add(
        Enrolment(
            employee_id=employee_id,
            training_id=training.id,
            start_date=end - timedelta(days=3),
            end_date=end,
            status=status,
            jp_earned=training.jp if done else None,
        )
    )
    session.flush()


def add_standard(session: Session, position_id: int, required: dict[str, int]) -> None:
    """Give a position its required levels; flush."""
    for code, level in required.items():
        session.add(
            CompetencyStandard(position_id=position_id, competency_code=code, required_level=level)
        )
    session.flush()
