"""One employee's feature row from the database, through the shared feature code."""

from __future__ import annotations

import numpy as np
from sqlalchemy.orm import Session

from service.db.models import Employee
from service.db.repositories import risk as repo
from service.features import employee_features
from service.features import history_start
from service.features import serving_axis


def employee_row(session: Session, employee: Employee, period: str) -> np.ndarray:
    """Return the (1, features) row of `employee` as of the end of `period`."""
    axis = serving_axis(period)
    since = history_start(axis)
    history = repo.employee_history(session, employee.id, axis.codes(), since)
    person = {"employee_id": employee.id, "hire_date": employee.hire_date, "grade": employee.grade}
    return employee_features(period, person, **{k: v for k, v in history.items()})
