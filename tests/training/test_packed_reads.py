"""The batch scorer's packed reads (`repositories.risk_coded`) give the text reads' panel.

Rows are packed into integers on the database and unpacked with numpy; values that the
packing must carry through (unknown ratings, no rater, two assessments on one day) are
written into a seeded database first, and every panel array and the feature matrix must be
the same to the bit as those of the text rows.
"""

from __future__ import annotations

from datetime import date
from functools import partial
from typing import Any

import numpy as np
from sqlalchemy import delete
from sqlalchemy import insert
from sqlalchemy import select
from sqlalchemy import update
from sqlalchemy.orm import Session

from service.db import make_engine
from service.db.models import ActivityLog
from service.db.models import AssessmentLevel
from service.db.models import AttendanceMonth
from service.db.models import CompetencyAssessment
from service.db.models import Employee
from service.db.models import Enrolment
from service.db.models import Evaluation
from service.db.models import FeedbackRound
from service.db.models import PerformanceDialogue
from service.db.models import Realisation
from service.db.models import Skp
from service.db.repositories.risk_batch import range_histories
from service.features import build_panel
from service.features import features_at
from service.features import history_start
from service.features import serving_axis
from training.extract import read_axis
from training.synthetic.config import SyntheticConfig
from training.synthetic.seed import run_seed

#: An employee id whose keys overflow a 32-bit integer (PostgreSQL's `integer`).
LARGE_ID = 2_000_000_000
_OWNED = (
    Evaluation, AttendanceMonth, CompetencyAssessment, Skp, FeedbackRound, ActivityLog,
    PerformanceDialogue, Enrolment,
)  # fmt: skip


def _write_edge_cases(engine: object) -> None:
    """Unknown value ratings and raters, the history of employee 20 moved to an id near the
    largest a key must carry, a second assessment on the day of another, and employee 31's
    only assessment made before 1970."""
    with engine.begin() as connection:  # type: ignore[attr-defined]
        employee = connection.execute(select(Employee.__table__).where(Employee.id == 20))
        copy = dict(employee.mappings().one()) | {"id": LARGE_ID, "nip": "9" * 18}
        connection.execute(insert(Employee.__table__).values(copy))
        for table in _OWNED:
            moved = update(table).where(table.employee_id == 20).values(employee_id=LARGE_ID)
            connection.execute(moved)
        connection.execute(
            update(Evaluation)
            .where(Evaluation.employee_id.in_([12, 13, 40]))
            .values(behavior_loyal=None, behavior_adaptif=None, rater_id=None)
        )
        again = _first_assessment(connection, LARGE_ID)
        _assess_again(connection, again.id, LARGE_ID, again.assessed_on)
        owned = select(CompetencyAssessment.id).where(CompetencyAssessment.employee_id == 31)
        originals = connection.execute(owned).scalars().all()
        _assess_again(connection, min(originals), 31, date(1969, 12, 30))
        connection.execute(
            delete(AssessmentLevel).where(AssessmentLevel.assessment_id.in_(originals))
        )
        connection.execute(
            delete(CompetencyAssessment).where(CompetencyAssessment.id.in_(originals))
        )
        _copy_to_a_year_code(connection, Evaluation, Evaluation.employee_id == 14)
        indicator = select(Realisation.indicator_id).order_by(Realisation.id).limit(1)
        _copy_to_a_year_code(
            connection, Realisation, Realisation.indicator_id == indicator.scalar_subquery()
        )


def _copy_to_a_year_code(connection: Any, table: Any, condition: Any) -> None:
    """Copy the first row of `table` that meets `condition` to the period 2025, a code of
    another kind that sorts among the look-back's quarters: no read may take it."""
    found = select(table.__table__).where(condition).order_by(table.id).limit(1)
    row = dict(connection.execute(found).mappings().one())
    copy = {name: value for name, value in row.items() if name != "id"} | {"period": "2025"}
    connection.execute(insert(table.__table__).values(copy))


def _first_assessment(connection: Any, employee_id: int) -> Any:
    query = select(CompetencyAssessment).where(CompetencyAssessment.employee_id == employee_id)
    return connection.execute(query.order_by(CompetencyAssessment.id).limit(1)).one()


def _assess_again(connection: Any, source: int, employee_id: int, on: date) -> None:
    """Assess `employee_id` on `on` a quarter level below assessment `source`."""
    again = connection.execute(
        insert(CompetencyAssessment)
        .values(employee_id=employee_id, assessed_on=on, method="tes")
        .returning(CompetencyAssessment.id)
    ).scalar_one()
    levels = connection.execute(
        select(AssessmentLevel.competency_code, AssessmentLevel.level).where(
            AssessmentLevel.assessment_id == source
        )
    ).all()
    connection.execute(
        insert(AssessmentLevel),
        [
            {"assessment_id": again, "competency_code": code, "level": max(1.0, level - 0.25)}
            for code, level in levels
        ],
    )


def test_packed_reads_give_the_panel_and_features_of_the_text_reads(database_url: str) -> None:
    engine = make_engine(database_url)
    run_seed(engine, SyntheticConfig(employees=120, seed=5))
    _write_edge_cases(engine)
    axis = read_axis(engine)
    axis = serving_axis(axis.code(axis.length - 1))
    with Session(engine) as session:
        since = history_start(axis)
        read = partial(range_histories, session, 11, LARGE_ID, axis.codes(), since)
        text, packed = read(), read(coded=True)
    engine.dispose()
    assert "period_index" in packed["evaluations"] and "pro_rated" in packed["achievements"]
    assert "month_ordinal" in packed["attendance"] and "month" in text["attendance"]
    assert packed["activity"]["activity_date"].dtype == np.dtype("datetime64[D]")
    for source in ("evaluations", "achievements"):  # not the rows of 2025
        assert len(packed[source]["employee_id"]) == len(text[source]["employee_id"]), source
    from_text, from_packed = build_panel(axis, **text), build_panel(axis, **packed)
    for name, value in vars(from_text).items():
        if isinstance(value, np.ndarray):
            assert getattr(from_packed, name).dtype == value.dtype, name
            assert getattr(from_packed, name).tobytes() == value.tobytes(), name
    X_text = features_at(from_text, axis.length - 1)
    assert features_at(from_packed, axis.length - 1).tobytes() == X_text.tobytes()
    row = np.searchsorted(from_text.employee_ids, 12)
    assert np.isnan(from_packed.values[row]).any() and np.isnan(from_packed.rater[row]).all()
    large = from_packed.employee_ids[-1]
    assert large == LARGE_ID and (from_packed.work_days[-1] > 0).any()
    assert (~np.isnan(from_packed.predikat[-1])).any() and (~np.isnan(from_packed.jpm[-1])).any()
    early = np.searchsorted(from_packed.employee_ids, 31)
    assert (~np.isnan(from_packed.jpm[early])).all()  # from 1969 on
    assert (~np.isnan(from_packed.peer360)).any() and (from_packed.work_days > 0).any()
    assert (from_packed.activity_months > 0).any()
    assert (~np.isnan(from_packed.jpm)).any() and (~np.isnan(from_packed.output)).any()
