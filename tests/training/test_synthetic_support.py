"""Helpers shared by the synthetic-generator tests (this module holds no tests itself)."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pandas as pd
from sqlalchemy import Engine
from sqlalchemy import inspect

from service.db import make_engine
from training.synthetic.config import SyntheticConfig
from training.synthetic.seed import SeedReport
from training.synthetic.seed import run_seed

#: Columns filled by the database clock, which differ between two otherwise equal runs.
CLOCK_COLUMNS = frozenset({"created_at", "updated_at", "recorded_at", "uploaded_at"})
POOR = ("butuh_perbaikan", "kurang", "sangat_kurang")


def seed_sqlite(directory: Path, template: Path, **fields: object) -> tuple[Engine, SeedReport]:
    """Copy the migrated template into `directory` and seed it with `fields`."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "kinerja.db"
    shutil.copyfile(template, path)
    engine = make_engine(f"sqlite:///{path}")
    return engine, run_seed(engine, SyntheticConfig(**fields))  # type: ignore[arg-type]


def read(engine: Engine, sql: str) -> pd.DataFrame:
    """Run a query into a DataFrame."""
    with engine.connect() as connection:
        return pd.read_sql_query(sql, connection)


def evaluations_with_people(engine: Engine) -> pd.DataFrame:
    """Evaluations with a `poor` flag and the employee's gender and supervisor.

    Columns: employee_id, period, predikat, rater_id, gender, supervisor_id, poor.
    """
    frame = read(
        engine,
        "SELECT e.employee_id, e.period, e.predikat, e.rater_id, m.gender, m.supervisor_id "
        "FROM evaluations e JOIN employees m ON m.id = e.employee_id",
    )
    frame["poor"] = frame["predikat"].isin(POOR)
    return frame


def truth_with_outcome(engine: Engine) -> pd.DataFrame:
    """truth_risk rows joined to whether the NEXT quarter's predikat was poor.

    Columns: employee_id, period, p_poor_next, poor_next.
    """
    evaluations = evaluations_with_people(engine)
    periods = sorted(evaluations["period"].unique())
    following = dict(zip(periods[:-1], periods[1:], strict=True))
    truth = read(engine, "SELECT employee_id, period, p_poor_next FROM truth_risk")
    truth["next"] = truth["period"].map(following)
    outcome = evaluations[["employee_id", "period", "poor"]].rename(
        columns={"period": "next", "poor": "poor_next"}
    )
    return truth.merge(outcome, on=["employee_id", "next"], how="inner").drop(columns="next")


def database_digest(engine: Engine) -> dict[str, str]:
    """Hash every table's rows in stored order (clock columns left out), keyed by table name."""
    digests = {}
    inspector = inspect(engine)
    for table in sorted(inspector.get_table_names()):
        columns = [
            c["name"] for c in inspector.get_columns(table) if c["name"] not in CLOCK_COLUMNS
        ]
        listed = ", ".join(f'"{c}"' for c in columns)
        frame = read(engine, f'SELECT {listed} FROM "{table}" ORDER BY rowid')
        hashed = pd.util.hash_pandas_object(frame, index=False).to_numpy()
        digests[table] = hashlib.sha256(hashed.tobytes()).hexdigest()
    return digests


def two_proportion_z(hits_a: int, n_a: int, hits_b: int, n_b: int) -> float:
    """z statistic of the difference between two proportions (a - b)."""
    pooled = (hits_a + hits_b) / (n_a + n_b)
    spread = (pooled * (1 - pooled) * (1 / n_a + 1 / n_b)) ** 0.5
    return (hits_a / n_a - hits_b / n_b) / spread
