"""The ratings given in a unit and period, with who gave them and to whom: what rater
calibration and the fairness report read; and the risk flags of the unit's people."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Row
from sqlalchemy import Select
from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm import aliased

from service.db.models import Employee
from service.db.models import Evaluation
from service.db.models import RiskScore
from service.db.models import Unit
from service.db.repositories.organisation import unit_subtree_ids
from service.db.repositories.risk import scored_by

_RATER = aliased(Employee, name="rater")
#: Who was rated or flagged: the groups of the fairness report.
_PERSON = (Employee.gender, Employee.birth_date, Employee.grade, Employee.unit_id)


def unit_ratings(session: Session, unit_id: int, period: str) -> list[Row[Any]]:
    """(rater_id, rater_name, work_result_rating, behavior_rating, predikat) of every
    evaluation of `period` of an employee in the unit or below it; the rater may be None."""
    return list(session.execute(_ratings(unit_id, period)))


def unit_ratings_of_people(session: Session, unit_id: int, period: str) -> list[Row[Any]]:
    """`unit_ratings` with the rated employee's gender, birth_date, grade and unit_id."""
    return list(session.execute(_ratings(unit_id, period).add_columns(*_PERSON)))


def unit_flags(session: Session, unit_id: int, period: str, version: str | None) -> list[Row[Any]]:
    """(flagged, gender, birth_date, grade, unit_id) of the risk scores of `period` of the
    employees in the unit or below it, written by model `version` (None: by the rule
    fallback, `risk.scored_by`); scores without an estimate (insufficient data) left out."""
    query = (
        select(RiskScore.flagged, *_PERSON)
        .join(Employee, Employee.id == RiskScore.employee_id)
        .where(RiskScore.period == period, RiskScore.status == "ok")
        .where(scored_by(version, version is None))
        .where(Employee.unit_id.in_(unit_subtree_ids(unit_id)))
    )
    return list(session.execute(query))


def subtree_units(session: Session, unit_id: int) -> list[Row[Any]]:
    """(id, parent_id, name) of the unit and every unit below it."""
    query = select(Unit.id, Unit.parent_id, Unit.name).where(
        Unit.id.in_(unit_subtree_ids(unit_id))
    )
    return list(session.execute(query))


def _ratings(unit_id: int, period: str) -> Select[Any]:
    return (
        select(
            Evaluation.rater_id,
            _RATER.name.label("rater_name"),
            Evaluation.work_result_rating,
            Evaluation.behavior_rating,
            Evaluation.predikat,
        )
        .join(Employee, Employee.id == Evaluation.employee_id)
        .outerjoin(_RATER, _RATER.id == Evaluation.rater_id)
        .where(Evaluation.period == period, Employee.unit_id.in_(unit_subtree_ids(unit_id)))
    )
