"""Reads and writes of the risk model: one employee's history, batch scores, retrain jobs."""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Sequence
from datetime import UTC
from datetime import date
from datetime import datetime
from typing import Any

from sqlalchemy import Select
from sqlalchemy import and_
from sqlalchemy import case
from sqlalchemy import delete
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy import update
from sqlalchemy.orm import Session

from service.db.models import BEHAVIOR_COLUMNS
from service.db.models import AssessmentLevel
from service.db.models import AttendanceMonth
from service.db.models import CompetencyAssessment
from service.db.models import CompetencyStandard
from service.db.models import Employee
from service.db.models import Enrolment
from service.db.models import Evaluation
from service.db.models import Indicator
from service.db.models import ModelJob
from service.db.models import Realisation
from service.db.models import Rhk
from service.db.models import RiskScore
from service.db.models import Skp
from service.db.models import Training
from service.domain.entities import POOR_PREDIKAT
from service.domain.entities import EnrolmentStatus
from service.domain.entities import Rating

Rows = list[dict[str, Any]]
_EVALUATION_COLUMNS = (
    "employee_id",
    "period",
    "rater_id",
    "predikat",
    "work_result_rating",
    "behavior_rating",
    *BEHAVIOR_COLUMNS.values(),
)


def _score(column: Any) -> Any:
    return case(
        (column == Rating.DI_ATAS_EKSPEKTASI, 1),
        (column == Rating.DI_BAWAH_EKSPEKTASI, -1),
        else_=0,
    )


def rater_stats_statement(raters: Any, periods: Sequence[str]) -> Select[Any]:
    """Per rater in `raters` (ids or a subquery) and period: ratings given and score sums."""
    poor = case((Evaluation.predikat.in_(sorted(POOR_PREDIKAT)), 1), else_=0)
    return (
        select(
            Evaluation.rater_id,
            Evaluation.period,
            func.count().label("ratings"),
            func.sum(_score(Evaluation.work_result_rating)).label("work_sum"),
            func.sum(_score(Evaluation.behavior_rating)).label("behavior_sum"),
            func.sum(poor).label("poor_sum"),
        )
        .where(Evaluation.rater_id.in_(raters), Evaluation.period.in_(periods))
        .group_by(Evaluation.rater_id, Evaluation.period)
    )


def _rows(session: Session, statement: Any) -> Rows:
    return [dict(row) for row in session.execute(statement).mappings()]


def latest_period(session: Session, pattern: str = "____-Q_") -> str | None:
    """The latest evaluated period whose code matches `pattern` (SQL LIKE; quarters)."""
    return session.scalar(
        select(func.max(Evaluation.period)).where(Evaluation.period.like(pattern))
    )


#: Builds the employee filter of a statement from the table's employee-id column.
Who = Callable[[Any], Any]


def evaluations_statement(who: Who) -> Select[Any]:
    """Evaluations (the columns features read) of the employees `who` selects."""
    columns = [getattr(Evaluation, name).label(name) for name in _EVALUATION_COLUMNS]
    return select(*columns).where(who(Evaluation.employee_id))


def achievements_statement(who: Who) -> Select[Any]:
    """Realised indicators with their aspect and target (kuantitas targets are yearly)."""
    return (
        select(
            Skp.employee_id,
            Realisation.period,
            Indicator.aspect,
            Realisation.value,
            Indicator.target_value,
        )
        .join(Rhk, Rhk.skp_id == Skp.id)
        .join(Indicator, Indicator.rhk_id == Rhk.id)
        .join(Realisation, Realisation.indicator_id == Indicator.id)
        .where(who(Skp.employee_id), Indicator.target_value > 0, Realisation.value.is_not(None))
    )


def attendance_statement(who: Who, since: date) -> Select[Any]:
    """Monthly attendance from the month of `since` on."""
    return select(
        AttendanceMonth.employee_id,
        AttendanceMonth.month,
        AttendanceMonth.work_days,
        AttendanceMonth.present_days,
        AttendanceMonth.late_days,
    ).where(who(AttendanceMonth.employee_id), AttendanceMonth.month >= since.strftime("%Y-%m"))


def assessments_statement(who: Who) -> Select[Any]:
    """Assessed levels beside the required level of the employee's current position."""
    return (
        select(
            CompetencyAssessment.employee_id,
            CompetencyAssessment.assessed_on,
            AssessmentLevel.level,
            CompetencyStandard.required_level,
        )
        .join(AssessmentLevel, AssessmentLevel.assessment_id == CompetencyAssessment.id)
        .join(Employee, Employee.id == CompetencyAssessment.employee_id)
        .join(
            CompetencyStandard,
            and_(
                CompetencyStandard.position_id == Employee.position_id,
                CompetencyStandard.competency_code == AssessmentLevel.competency_code,
            ),
        )
        .where(who(CompetencyAssessment.employee_id))
    )


def enrolments_statement(who: Who, since: date) -> Select[Any]:
    """Completed programmes that ended on or after `since`, with their JP."""
    return (
        select(
            Enrolment.employee_id,
            Enrolment.end_date,
            func.coalesce(Enrolment.jp_earned, Training.jp).label("jp"),
        )
        .join(Training, Training.id == Enrolment.training_id)
        .where(
            who(Enrolment.employee_id),
            Enrolment.status == EnrolmentStatus.COMPLETED,
            Enrolment.end_date >= since,
        )
    )


def employee_history(
    session: Session, employee_id: int, periods: Sequence[str], since: date
) -> dict[str, Rows]:
    """One employee's rows in `periods` (or since `since`), keyed like `employee_features`."""

    def who(column: Any) -> Any:
        return column == employee_id

    evaluated = _rows(session, evaluations_statement(who).where(Evaluation.period.in_(periods)))
    raters = [row["rater_id"] for row in sorted(evaluated, key=lambda r: r["period"])]
    latest = [raters[-1]] if raters and raters[-1] is not None else []
    achievements = achievements_statement(who).where(Realisation.period.in_(periods))
    return {
        "evaluations": evaluated,
        "rater_stats": _rows(session, rater_stats_statement(latest, periods)) if latest else [],
        "achievements": _rows(session, achievements),
        "attendance": _rows(session, attendance_statement(who, since)),
        "assessments": _rows(session, assessments_statement(who)),
        "enrolments": _rows(session, enrolments_statement(who, since)),
    }


def predikat_transitions(session: Session, previous: str, current: str) -> list[tuple[str, str]]:
    """(predikat in `previous`, predikat in `current`) of everyone evaluated in both."""
    later = select(Evaluation.employee_id, Evaluation.predikat).where(Evaluation.period == current)
    later = later.subquery()
    query = select(Evaluation.predikat, later.c.predikat).join(
        later, later.c.employee_id == Evaluation.employee_id
    )
    return [
        (str(a), str(b)) for a, b in session.execute(query.where(Evaluation.period == previous))
    ]


def direct_reports(session: Session, supervisor_id: int) -> list[Employee]:
    """Active employees whose direct supervisor is `supervisor_id`, by name."""
    query = select(Employee).where(
        Employee.supervisor_id == supervisor_id, Employee.is_active.is_(True)
    )
    return list(session.scalars(query.order_by(Employee.name, Employee.id)))


def replace_risk_scores(session: Session, period: str, rows: Rows) -> None:
    """Replace the scores of these employees for `period` with `rows` (one per employee)."""
    ids = [row["employee_id"] for row in rows]
    session.execute(
        delete(RiskScore).where(RiskScore.period == period, RiskScore.employee_id.in_(ids))
    )
    session.execute(RiskScore.__table__.insert(), rows)


def get_risk_score(session: Session, employee_id: int, period: str) -> RiskScore | None:
    query = select(RiskScore).where(
        RiskScore.employee_id == employee_id, RiskScore.period == period
    )
    return session.scalar(query)


def count_risk_scores(session: Session, period: str) -> int:
    return int(session.scalar(select(func.count()).where(RiskScore.period == period)) or 0)


def add_job(session: Session, requested_by: int | None, params: dict[str, Any]) -> ModelJob:
    job = ModelJob(
        kind="retrain", status="queued", requested_by_user_id=requested_by, params=params
    )
    session.add(job)
    session.flush()
    return job


def get_job(session: Session, job_id: int) -> ModelJob | None:
    return session.get(ModelJob, job_id)


def recent_jobs(session: Session, limit: int = 10) -> list[ModelJob]:
    return list(session.scalars(select(ModelJob).order_by(ModelJob.id.desc()).limit(limit)))


def claim_job(session: Session, job_id: int, pid: int) -> bool:
    """Move a queued job to running for process `pid`; False if someone else took it."""
    result = session.execute(
        update(ModelJob)
        .where(ModelJob.id == job_id, ModelJob.status == "queued")
        .values(status="running", pid=pid, started_at=datetime.now(UTC))
    )
    return result.rowcount == 1


def next_queued_job(session: Session) -> int | None:
    return session.scalar(
        select(ModelJob.id).where(ModelJob.status == "queued").order_by(ModelJob.id).limit(1)
    )


def finish_job(
    session: Session, job_id: int, status: str, message: str, result: dict[str, Any] | None
) -> None:
    session.execute(
        update(ModelJob)
        .where(ModelJob.id == job_id)
        .values(status=status, message=message, result=result, finished_at=datetime.now(UTC))
    )
