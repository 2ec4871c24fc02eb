"""Who is due which reminder: one set-based query per kind, with the recipient's user id.

Recipients are active logins, of a role that sees personal records (not `data`), linked to
an active employee; an employee without such a login gets no in-app reminder (the rows are
left out here, not filtered later).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import and_
from sqlalchemy import case
from sqlalchemy import exists
from sqlalchemy import func
from sqlalchemy import inspect
from sqlalchemy import or_
from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm import aliased

from service.db.models import Employee
from service.db.models import Enrolment
from service.db.models import Evaluation
from service.db.models import FeedbackRater
from service.db.models import FeedbackRound
from service.db.models import Indicator
from service.db.models import PerformanceDialogue
from service.db.models import Realisation
from service.db.models import Rhk
from service.db.models import RiskReview
from service.db.models import RiskScore
from service.db.models import Skp
from service.db.models import Training
from service.db.models import User
from service.db.repositories.risk import scored_by
from service.db.repositories.risk import standing_scores
from service.domain.entities import EnrolmentStatus
from service.domain.entities import Role
from service.domain.entities import SkpStatus
from service.domain.feedback360_terms import RoundStatus
from service.domain.risk_review_terms import ReviewDecision

Rows = list[Any]


def _login_of(column: Any) -> tuple[Any, Any]:
    """An alias of `users` and the join condition for the active login of `column`.

    Not a data-team login: that role sees nobody by name, itself included (`policy.can_see`),
    so it is told nothing about people either.
    """
    login = aliased(User)
    condition = and_(
        login.employee_id == column, login.is_active.is_(True), login.role != Role.DATA
    )
    return login, condition


def realisation_gaps(session: Session, year: int, periods: Sequence[str]) -> Rows:
    """Employees with an approved SKP of `year` and indicators without a realisation in any
    of `periods`: (employee_id, name, user_id, indicators, missing)."""
    login, joined = _login_of(Employee.id)
    realised = exists().where(
        Realisation.indicator_id == Indicator.id, Realisation.period.in_(periods)
    )
    missing = func.sum(case((realised, 0), else_=1))
    query = (
        select(Employee.id, Employee.name, login.id, func.count(Indicator.id), missing.label("m"))
        .select_from(Skp)
        .join(Rhk, Rhk.skp_id == Skp.id)
        .join(Indicator, Indicator.rhk_id == Rhk.id)
        .join(Employee, Employee.id == Skp.employee_id)
        .join(login, joined)
        .where(Skp.year == year, Skp.status == SkpStatus.DITETAPKAN, Employee.is_active)
        .group_by(Employee.id, Employee.name, login.id)
        .having(missing > 0)
        .order_by(Employee.id)
    )
    return list(session.execute(query))


def evaluation_gaps(session: Session, period: str, ended_on: date) -> Rows:
    """Active employees hired by `ended_on` without an evaluation of `period`, with their
    direct supervisor's login: (employee_id, name, supervisor_user_id)."""
    login, joined = _login_of(Employee.supervisor_id)
    evaluated = exists().where(Evaluation.employee_id == Employee.id, Evaluation.period == period)
    query = (
        select(Employee.id, Employee.name, login.id)
        .join(login, joined)
        .where(
            Employee.is_active,
            or_(Employee.hire_date.is_(None), Employee.hire_date <= ended_on),
            ~evaluated,
        )
        .order_by(Employee.id)
    )
    return list(session.execute(query))


def waiting_raters(session: Session, as_of: date) -> Rows:
    """Nominated raters of 360 rounds open on `as_of` (a round past its `closes_on` takes no
    answers) who have not answered:
    (round_id, period, rated employee name, rater_employee_id, rater_user_id).

    The 360 tables come with revision 0007; on a database without them nothing is waiting.
    """
    if not inspect(session.connection()).has_table(FeedbackRater.__tablename__):
        return []
    login, joined = _login_of(FeedbackRater.rater_employee_id)
    query = (
        select(
            FeedbackRound.id,
            FeedbackRound.period,
            Employee.name,
            FeedbackRater.rater_employee_id,
            login.id,
        )
        .join(FeedbackRater, FeedbackRater.round_id == FeedbackRound.id)
        .join(Employee, Employee.id == FeedbackRound.employee_id)
        .join(login, joined)
        .where(
            FeedbackRound.status == RoundStatus.OPEN,
            or_(FeedbackRound.closes_on.is_(None), FeedbackRound.closes_on >= as_of),
            FeedbackRater.answered_at.is_(None),
        )
        .order_by(FeedbackRound.id, FeedbackRater.id)
    )
    return list(session.execute(query))


def jp_below(session: Session, year: int, below: float) -> Rows:
    """Active employees with fewer than `below` JP completed in `year`, with their own and
    their direct supervisor's login (either may be None):
    (employee_id, name, employment_status, jp, user_id, supervisor_user_id)."""
    earned = func.coalesce(Enrolment.jp_earned, Training.jp)
    done = (
        select(Enrolment.employee_id.label("employee_id"), func.sum(earned).label("jp"))
        .join(Training, Training.id == Enrolment.training_id)
        .where(
            Enrolment.status == EnrolmentStatus.COMPLETED,
            Enrolment.end_date >= date(year, 1, 1),
            Enrolment.end_date <= date(year, 12, 31),
        )
        .group_by(Enrolment.employee_id)
        .subquery()
    )
    own, own_joined = _login_of(Employee.id)
    boss, boss_joined = _login_of(Employee.supervisor_id)
    jp = func.coalesce(done.c.jp, 0.0)
    query = (
        select(Employee.id, Employee.name, Employee.employment_status, jp, own.id, boss.id)
        .outerjoin(done, done.c.employee_id == Employee.id)
        .outerjoin(own, own_joined)
        .outerjoin(boss, boss_joined)
        .where(Employee.is_active, jp < below, or_(own.id.is_not(None), boss.id.is_not(None)))
        .order_by(Employee.id)
    )
    return list(session.execute(query))


def flagged_risks(session: Session, feature_set: str, version: str | None) -> Rows:
    """Employees flagged in the latest scored quarter, with the day of the score, their last
    dialogue and their direct supervisor's login:
    (employee_id, name, period, scored_at, last_dialogue_on, supervisor_user_id).
    Only by scores that still stand on `feature_set` (`risk.standing_scores`, as the risk
    read counts them) written by the model `version` served (None: by the rule fallback,
    `risk.scored_by`), and not those whose flag a supervisor reviewed and disagreed with
    (`risk_reviews`)."""
    latest = (
        select(func.max(RiskScore.period)).where(RiskScore.period.like("____-Q_"))
    ).scalar_subquery()
    last_dialogue = (
        select(func.max(PerformanceDialogue.held_on))
        .where(PerformanceDialogue.employee_id == Employee.id)
        .scalar_subquery()
    )
    overruled = select(RiskReview.id).where(
        RiskReview.employee_id == Employee.id,
        RiskReview.period == RiskScore.period,
        RiskReview.decision == ReviewDecision.DISAGREE,
    )
    login, joined = _login_of(Employee.supervisor_id)
    query = (
        select(
            Employee.id,
            Employee.name,
            RiskScore.period,
            RiskScore.scored_at,
            last_dialogue,
            login.id,
        )
        .join(RiskScore, RiskScore.employee_id == Employee.id)
        .join(login, joined)
        .where(RiskScore.period == latest, RiskScore.flagged.is_(True), Employee.is_active)
        .where(standing_scores(feature_set), scored_by(version, version is None))
        .where(~exists(overruled))
        .order_by(Employee.id)
    )
    return list(session.execute(query))
