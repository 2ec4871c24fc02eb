"""The generator's ground truth, in tables of their OWN MetaData (never the product schema).

Nothing a model reads may come from these tables; they exist so model quality can be measured
against the truth (DESIGN.md "Synthetic data with a known truth"). The seeder creates them
next to the product tables. They carry no foreign keys, so they can be dropped or copied
elsewhere freely.

- `truth_risk`: for each employee and quarter except the last, the true probability that the
  NEXT quarter's predikat is poor, given the full hidden state at the end of `period`.
- `truth_program_effects`: the true effect of each program on each competency it covers
  (`causal.true_gain` turns it into a level gain).
- `truth_employees`: hidden traits; `leniency` and `harsh_rater` describe the employee as a
  rater, `rater_shift` is the total shift applied to this employee's own rating scores.
- `truth_levels`: true competency levels (of the position's standard) at the END of
  `period`, for the quarter before the history, every fourth quarter and the last one.
"""

from __future__ import annotations

from sqlalchemy import BigInteger
from sqlalchemy import Boolean
from sqlalchemy import Column
from sqlalchemy import Engine
from sqlalchemy import Float
from sqlalchemy import MetaData
from sqlalchemy import String
from sqlalchemy import Table
from sqlalchemy import literal
from sqlalchemy import select

TRUTH_METADATA = MetaData()

truth_risk = Table(
    "truth_risk",
    TRUTH_METADATA,
    Column("employee_id", BigInteger, primary_key=True),
    Column("period", String(7), primary_key=True),
    Column("p_poor_next", Float, nullable=False),
)

truth_program_effects = Table(
    "truth_program_effects",
    TRUTH_METADATA,
    Column("training_code", String(40), primary_key=True),
    Column("competency_code", String(16), primary_key=True),
    Column("effect", Float, nullable=False),
)

truth_employees = Table(
    "truth_employees",
    TRUTH_METADATA,
    Column("employee_id", BigInteger, primary_key=True),
    Column("ability", Float, nullable=False),
    Column("disposition", Float, nullable=False),
    Column("leniency", Float, nullable=False),
    Column("harsh_rater", Boolean, nullable=False),
    Column("rater_shift", Float, nullable=False),
)

truth_levels = Table(
    "truth_levels",
    TRUTH_METADATA,
    Column("employee_id", BigInteger, primary_key=True),
    Column("period", String(7), primary_key=True),
    Column("competency_code", String(16), primary_key=True),
    Column("level", Float, nullable=False),
)


def create_truth_tables(engine: Engine) -> None:
    """Create the truth tables if they do not exist yet."""
    TRUTH_METADATA.create_all(engine)


def truth_is_empty(engine: Engine) -> bool:
    """Whether no truth has been written yet (a second seed would mix two truths)."""
    with engine.connect() as connection:
        return not any(
            connection.execute(select(literal(1)).select_from(table).limit(1)).first()
            for table in TRUTH_METADATA.sorted_tables
        )
