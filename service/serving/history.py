"""One employee's feature row from the database, through the shared feature code."""

from __future__ import annotations

from datetime import date
from typing import Protocol

import numpy as np
from sqlalchemy.orm import Session

from service.db.repositories import risk_history as repo
from service.domain.feedback360_results import DEFAULT_MIN_GROUP_ANSWERS
from service.features import employee_features
from service.features import history_start
from service.features import serving_axis


class Person(Protocol):
    """What a live answer reads of the employee: an `Employee`, or its card row."""

    @property
    def id(self) -> int: ...

    @property
    def hire_date(self) -> date | None: ...

    @property
    def grade(self) -> str | None: ...


def employee_row(
    session: Session,
    employee: Person,
    period: str,
    min_group_answers: int = DEFAULT_MIN_GROUP_ANSWERS,
) -> np.ndarray:
    """Return the (1, features) row of `employee` as of the end of `period`, reading 360
    groups of at least `min_group_answers` answers (the configured threshold)."""
    axis = serving_axis(period)
    since = history_start(axis)
    history = repo.employee_history(session, employee.id, axis.codes(), since)
    person = {"employee_id": employee.id, "hire_date": employee.hire_date, "grade": employee.grade}
    return employee_features(period, person, **history, min_group_answers=min_group_answers)
