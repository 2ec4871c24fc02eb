"""What the database holds about one employee, table by table, for a personal-data export.

Each section is one table's rows that are about the person (their own records, and the rows
hanging under them: an SKP's RHK, indicators, realisations and evidence). Left out on purpose:
secrets (password hashes, tokens), the risk model's stored feature bytes, and every row of 360
feedback but the rounds about the person: who was nominated and who answered what must stay
anonymous to every reader, also the admin who exports on the person's behalf.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import Select
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.db.models import ActivityLog
from service.db.models import AssessmentLevel
from service.db.models import AttendanceDay
from service.db.models import AttendanceMonth
from service.db.models import CompetencyAssessment
from service.db.models import DialogueAction
from service.db.models import Employee
from service.db.models import Enrolment
from service.db.models import Evaluation
from service.db.models import EvaluationRevision
from service.db.models import EvaluationSignature
from service.db.models import Evidence
from service.db.models import FeedbackNote
from service.db.models import FeedbackRound
from service.db.models import Indicator
from service.db.models import Notification
from service.db.models import NotificationPreference
from service.db.models import Objection
from service.db.models import PerformanceDialogue
from service.db.models import Realisation
from service.db.models import Rhk
from service.db.models import RiskReview
from service.db.models import RiskScore
from service.db.models import SelfAssessment
from service.db.models import Skp
from service.db.models import User

#: Columns never exported, whatever their table.
WITHHELD = frozenset({"password_hash", "features", "feature_set"})


def _columns(model: Any) -> list[Any]:
    return [c for c in model.__table__.columns if c.name not in WITHHELD]


def _own(model: Any) -> Callable[[int], Select[Any]]:
    """The rows of a table that name the employee in `employee_id`."""
    return _joined(model, model.employee_id)


def _joined(model: Any, owner: Any, *path: Any) -> Callable[[int], Select[Any]]:
    """The rows of a table whose `owner` column (of a table joined along `path`, pairs of
    table and ON clause) is the employee."""

    def build(person: int) -> Select[Any]:
        query = select(*_columns(model))
        for target, on in path:
            query = query.join(target, on)
        return query.where(owner == person)

    return build


_RHK = (Skp, Rhk.skp_id == Skp.id)
_INDICATOR = (Rhk, Indicator.rhk_id == Rhk.id)
_REALISATION = (Indicator, Realisation.indicator_id == Indicator.id)
_EVIDENCE = (Realisation, Evidence.realisation_id == Realisation.id)
_ASSESSMENT = (CompetencyAssessment, AssessmentLevel.assessment_id == CompetencyAssessment.id)
_DIALOGUE = (PerformanceDialogue, DialogueAction.dialogue_id == PerformanceDialogue.id)
_RECIPIENT = (User, Notification.recipient_user_id == User.id)
_PREFERRER = (User, NotificationPreference.user_id == User.id)
_SIGNED = (Evaluation, EvaluationSignature.evaluation_id == Evaluation.id)
_REVISED = (Evaluation, EvaluationRevision.evaluation_id == Evaluation.id)

#: Section name -> the rows of the employee it holds.
SECTIONS: dict[str, Callable[[int], Select[Any]]] = {
    "employee": _joined(Employee, Employee.id),
    "users": _own(User),
    "skps": _own(Skp),
    "rhks": _joined(Rhk, Skp.employee_id, _RHK),
    "indicators": _joined(Indicator, Skp.employee_id, _INDICATOR, _RHK),
    "realisations": _joined(Realisation, Skp.employee_id, _REALISATION, _INDICATOR, _RHK),
    "evidence": _joined(Evidence, Skp.employee_id, _EVIDENCE, _REALISATION, _INDICATOR, _RHK),
    "feedback_notes": _own(FeedbackNote),
    "self_assessments": _own(SelfAssessment),
    "evaluations": _own(Evaluation),
    "evaluation_revisions": _joined(EvaluationRevision, Evaluation.employee_id, _REVISED),
    "objections": _own(Objection),
    "evaluation_signatures": _joined(EvaluationSignature, Evaluation.employee_id, _SIGNED),
    "competency_assessments": _own(CompetencyAssessment),
    "assessment_levels": _joined(AssessmentLevel, CompetencyAssessment.employee_id, _ASSESSMENT),
    "attendance_months": _own(AttendanceMonth),
    "attendance_days": _own(AttendanceDay),
    "enrolments": _own(Enrolment),
    "activity_logs": _own(ActivityLog),
    "dialogues": _own(PerformanceDialogue),
    "dialogue_actions": _joined(DialogueAction, PerformanceDialogue.employee_id, _DIALOGUE),
    "feedback_rounds": _own(FeedbackRound),
    "risk_scores": _own(RiskScore),
    "risk_reviews": _own(RiskReview),
    "notifications": _joined(Notification, User.employee_id, _RECIPIENT),
    "notification_preferences": _joined(NotificationPreference, User.employee_id, _PREFERRER),
}


def personal_rows(session: Session, employee_id: int) -> dict[str, list[dict[str, Any]]]:
    """Every section's rows of the employee, as column -> value mappings, in key order."""
    found = {}
    for name, build in SECTIONS.items():
        query = build(employee_id)
        table = query.selected_columns[0].table
        query = query.order_by(*table.primary_key.columns)
        found[name] = [dict(row) for row in session.execute(query).mappings()]
    return found
