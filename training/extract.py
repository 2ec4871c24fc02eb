"""Read stored history from the database in employee-id chunks and turn it into model rows.

Each chunk of employees is read with a handful of set-based queries, turned into a `Panel`
and reduced to feature rows, so memory holds one chunk of raw history at a time. Only the
employees of the training sample (`training.sampling`) are read: everyone up to
RISK_TRAIN_MAX_EMPLOYEES, a deterministic hash sample of that many above it. Truth (the
generator's `truth_risk` table) is read only by `read_truth`, which evaluation calls.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd
from sqlalchemy import Engine
from sqlalchemy import MetaData
from sqlalchemy import String
from sqlalchemy import Table
from sqlalchemy import cast
from sqlalchemy import exists
from sqlalchemy import select
from sqlalchemy.exc import NoSuchTableError
from sqlalchemy.orm import Session

from service.db.models import Employee
from service.db.models import Evaluation
from service.db.models import Period
from service.db.repositories.risk_batch import range_histories
from service.domain.feedback360_results import DEFAULT_MIN_GROUP_ANSWERS
from service.domain.groups import AGE_BANDS
from service.domain.periods import parse_period
from service.features import Panel
from service.features import PeriodAxis
from service.features import axis_of
from service.features import build_panel
from service.features import feature_frame
from service.features import labelled_rows
from service.features import sufficient
from training.sampling import EVERYONE
from training.sampling import IN_LIST_IDS
from training.sampling import EmployeeSample
from training.sampling import SamplePlan
from training.sampling import draw_sample

DEFAULT_CHUNK = 50_000
GROUP_COLUMNS = ("gender", "age_band")
Progress = Callable[[int], None]


@dataclass
class Extract:
    """Model rows from one extraction: labelled history and the latest period to score."""

    axis: PeriodAxis
    rows: pd.DataFrame
    latest: pd.DataFrame
    sample: EmployeeSample

    @property
    def window(self) -> tuple[str, str]:
        """First and last period of the data read."""
        return self.axis.code(0), self.axis.code(self.axis.length - 1)


def read_axis(engine: Engine) -> PeriodAxis:
    """Span every period that has an evaluation (of the dominant period kind).

    One index probe per known period, not a scan of every evaluation (45 million rows at
    national size).
    """
    evaluated = exists().where(Evaluation.period == Period.code)
    with engine.connect() as connection:
        periods = connection.execute(select(Period.code).where(evaluated)).scalars().all()
    return axis_of(pd.DataFrame({"period": periods}))


def employee_chunks(engine: Engine, chunk_size: int = DEFAULT_CHUNK) -> list[tuple[int, int]]:
    """Inclusive (first_id, last_id) ranges of `chunk_size` employees each (the last fewer).

    The ids are read into one int64 array: 8 bytes an employee rather than a row and a
    Python int (about 170 bytes, close to 1 GB of `kinerja score`'s parent at 5.6 million).
    """
    with engine.connect() as connection:
        result = connection.execute(select(Employee.id).order_by(Employee.id))
        with result:
            ids = np.fromiter((row[0] for row in result.cursor), dtype=np.int64)
    return [
        (int(ids[start]), int(ids[min(start + chunk_size, len(ids)) - 1]))
        for start in range(0, len(ids), chunk_size)
    ]


def read_panel(
    engine: Engine,
    first_id: int,
    last_id: int,
    axis: PeriodAxis,
    min_group_answers: int = DEFAULT_MIN_GROUP_ANSWERS,
) -> Panel:
    """The panel of employees `first_id..last_id` over `axis`, from one statement per source.

    Reads what the serving paths read (`repositories.risk_history.histories`: evaluations and
    realisations of the axis' periods, attendance and completed programmes from a year
    before it, every assessment), as plain column arrays without DataFrames, through
    statements driven by the id range (`risk_batch.range_histories`), so a range costs the
    same in a national database as in a small one. 360 groups need `min_group_answers`
    answers (the configured threshold, as served: `build_panel`).
    """
    since = date(axis.first // axis.per_year - 1, 1, 1)
    with Session(engine) as session:
        columns = range_histories(session, first_id, last_id, axis.codes(), since)
    return build_panel(axis, **columns, min_group_answers=min_group_answers)


def read_groups(engine: Engine, first_id: int, last_id: int) -> pd.DataFrame:
    """Gender and birth date of employees `first_id..last_id`, for the fairness report only."""
    statement = select(
        Employee.id.label("employee_id"),
        cast(Employee.gender, String).label("gender"),
        cast(Employee.birth_date, String).label("birth_date"),
    ).where(Employee.id.between(first_id, last_id))
    with engine.connect() as connection:
        result = connection.execute(statement)
        return pd.DataFrame(result.fetchall(), columns=list(result.keys()))


def age_bands(birth_dates: pd.Series, on: date) -> pd.Series:
    """Age band ("<30", "30-39", "40-49", "50+", "unknown") of each birth date on `on`."""
    born = pd.to_datetime(birth_dates, errors="coerce")
    before_birthday = (born.dt.month > on.month) | (
        (born.dt.month == on.month) & (born.dt.day > on.day)
    )
    age = on.year - born.dt.year - before_birthday.astype(int)
    bands = pd.Series("unknown", index=birth_dates.index, dtype=object)
    for low, high, name in AGE_BANDS:
        bands[(age >= low) & (age < high)] = name
    return bands


def _with_groups(rows: pd.DataFrame, employees: pd.DataFrame) -> pd.DataFrame:
    """Attach gender and age band (at each row's period end) for the fairness report only."""
    if rows.empty:
        return rows.assign(gender=pd.Series(dtype=object), age_band=pd.Series(dtype=object))
    people = employees.set_index("employee_id")
    rows = rows.assign(gender=people["gender"].reindex(rows["employee_id"]).to_numpy())
    bands = pd.Series("unknown", index=rows.index, dtype=object)
    births = people["birth_date"].reindex(rows["employee_id"]).set_axis(rows.index)
    for period, index in rows.groupby("period").groups.items():
        bands[index] = age_bands(births[index], parse_period(period).ends_on)
    return rows.assign(age_band=bands)


def extract(
    engine: Engine,
    chunk_size: int = DEFAULT_CHUNK,
    progress: Progress | None = None,
    plan: SamplePlan = EVERYONE,
    min_group_answers: int = DEFAULT_MIN_GROUP_ANSWERS,
) -> Extract:
    """Build labelled rows (all periods) and the latest period's rows of the sampled employees.

    `plan` bounds the employees read (`training.sampling`); the default reads everyone.
    `min_group_answers` is the configured 360 anonymity threshold (`read_panel`).
    """
    axis = read_axis(engine)
    sample = draw_sample(engine, plan)
    labelled, latest = [], []
    for first_id, last_id in sample.ranges(chunk_size):
        panel = read_panel(engine, first_id, last_id, axis, min_group_answers)
        groups = read_groups(engine, first_id, last_id)
        labelled.append(_with_groups(labelled_rows(panel), groups))
        latest.append(_with_groups(feature_frame(panel, axis.length - 1), groups))
        if progress is not None:
            progress(len(panel.employee_ids))
    rows = pd.concat(labelled, ignore_index=True) if labelled else pd.DataFrame()
    now = pd.concat(latest, ignore_index=True) if latest else pd.DataFrame()
    return Extract(axis, rows, now[sufficient(now)] if len(now) else now, sample)


def snapshot_id(rows: pd.DataFrame) -> str:
    """A content hash of the extracted rows: the same data gives the same id."""
    hashed = pd.util.hash_pandas_object(rows.reset_index(drop=True), index=True).to_numpy()
    return hashlib.sha256(hashed.tobytes()).hexdigest()[:16]


def read_truth(engine: Engine, period: str, employee_ids: np.ndarray) -> np.ndarray | None:
    """The generator's true P(poor next period) for `employee_ids` at `period`, or None.

    Only evaluation calls this; the table exists only in synthetic databases.
    """
    metadata = MetaData()
    try:
        truth = Table("truth_risk", metadata, autoload_with=engine)
    except NoSuchTableError:
        return None
    statement = select(truth.c.employee_id, truth.c.p_poor_next).where(truth.c.period == period)
    wanted = [int(i) for i in np.unique(employee_ids)]
    found_rows: dict[int, float] = {}
    with engine.connect() as connection:
        for start in range(0, len(wanted), IN_LIST_IDS):
            ids = wanted[start : start + IN_LIST_IDS]
            chosen = statement.where(truth.c.employee_id.in_(ids))
            found_rows.update(connection.execute(chosen).tuples().all())
    found = pd.Series(found_rows, dtype=np.float64)
    values = found.reindex(employee_ids).to_numpy(dtype=np.float64)
    return None if np.isnan(values).any() else values
