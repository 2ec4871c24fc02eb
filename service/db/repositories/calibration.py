"""The ratings given in a unit and period, with who gave them: what rater calibration reads."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Row
from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm import aliased

from service.db.models import Employee
from service.db.models import Evaluation
from service.db.repositories.organisation import unit_subtree_ids

_RATER = aliased(Employee, name="rater")


def unit_ratings(session: Session, unit_id: int, period: str) -> list[Row[Any]]:
    """(rater_id, rater_name, work_result_rating, behavior_rating, predikat) of every
    evaluation of `period` of an employee in the unit or below it; the rater may be None."""
    query = (
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
    return list(session.execute(query))
