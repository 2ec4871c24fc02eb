"""Seed a migrated database with a synthetic data set: checks, then chunk after chunk.

`run_seed` validates the configuration and the database before it writes anything: the
schema must be migrated, and a database that already holds employees (or a truth) is refused.
It then loads the reference data (idempotent upsert), adds missing periods, and generates
the chunks one by one (the first also carries the true program effects). Each chunk is an
agency of at most `chunk_size` employees with its own random stream
`default_rng([seed, CHUNK_STREAM, index])`, is written in one transaction (`loading`) and
then dropped, so memory stays bounded whatever the total. Ids are explicit; on PostgreSQL
the id sequences are moved past them at the end.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from collections.abc import Iterator

import numpy as np
from sqlalchemy import Engine
from sqlalchemy import func
from sqlalchemy import inspect
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.db.base import Base
from service.db.models import Employee
from service.db.models import Period as PeriodRow
from service.db.models import Training
from service.db.reference_data import load_reference_data
from service.domain.entities import Gender
from service.domain.entities import PeriodKind
from service.domain.errors import Conflict
from service.domain.errors import Invalid
from service.domain.periods import Period
from service.reference import load_competencies
from service.reference import load_trainings
from training.synthetic.catalogue import Catalogue
from training.synthetic.catalogue import build_catalogue
from training.synthetic.causal import PARAMS
from training.synthetic.causal import CausalParams
from training.synthetic.config import SyntheticConfig
from training.synthetic.continuous import SIGNALS_STREAM
from training.synthetic.history import Chunk
from training.synthetic.history import simulate
from training.synthetic.ids import IdAllocator
from training.synthetic.ids import IdBlock
from training.synthetic.ids import NipRegistry
from training.synthetic.loading import SeedReport
from training.synthetic.loading import write_chunks
from training.synthetic.organisation import build_organisation
from training.synthetic.people import People
from training.synthetic.people import build_people
from training.synthetic.statics import static_batches
from training.synthetic.truth import create_truth_tables
from training.synthetic.truth import truth_is_empty
from training.synthetic.writer import Batch
from training.synthetic.writer import reset_sequences

CHUNK_STREAM = 0xC4A2
ID_TABLES = (
    "units",
    "positions",
    "employees",
    "skps",
    "rhks",
    "indicators",
    "realisations",
    "feedback_notes",
    "evaluations",
    "competency_assessments",
    "attendance",
    "enrolments",
    "unit_grades",
    "activity_logs",
    "feedback_rounds",
    "feedback_raters",
    "feedback_answers",
    "performance_dialogues",
    "dialogue_actions",
)


def run_seed(
    engine: Engine,
    config: SyntheticConfig,
    *,
    progress: Callable[[int], None] | None = None,
    params: CausalParams = PARAMS,
) -> SeedReport:
    """Generate `config.employees` employees and their history into a migrated database.

    Raises `Invalid` for a bad configuration or an unmigrated database and `Conflict` when the
    database already holds employees or a truth; nothing is written in either case.
    `progress` is called with the number of employees of each chunk once it is committed.
    On PostgreSQL, `config.writers` chunks are written at once (see `loading`).
    """
    config.validate()
    check_seedable(engine)
    began = time.perf_counter()
    catalogue = _prepare(engine, config)
    allocator = IdAllocator(_next_ids(engine))
    nips = NipRegistry()
    chunks = (
        (size, _chunk_batches(index, size, config, catalogue, allocator, nips, params))
        for index, size in enumerate(chunk_sizes(config))
    )
    writers = config.writers if engine.dialect.name == "postgresql" else 1
    report = write_chunks(engine, chunks, writers, progress)
    reset_sequences(engine, ID_TABLES)
    refresh_statistics(engine)
    report.seconds = time.perf_counter() - began
    return report


def refresh_statistics(engine: Engine) -> None:
    """Give PostgreSQL's planner statistics of what was just written (ANALYZE).

    Autovacuum analyses a table only a minute or more after it filled up; a retrain started
    right after a seed planned the rater statistics' joins for empty tables and took 282 s
    instead of 2.3 s to read 600 employees. SQLite plans without statistics here, and its
    statements are tuned for that, so it is left alone.
    """
    if engine.dialect.name != "postgresql":
        return
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.exec_driver_sql("ANALYZE")


def chunk_sizes(config: SyntheticConfig) -> list[int]:
    """Split the employees into near-equal chunks of at most `chunk_size`."""
    count = -(-config.employees // config.chunk_size)
    return [len(part) for part in np.array_split(np.arange(config.employees), count)]


def check_seedable(engine: Engine) -> None:
    """Refuse an unmigrated database, or one that already holds employees or a truth."""
    if not inspect(engine).has_table(Employee.__tablename__):
        raise Invalid("the database has no schema yet; run `kinerja init-db` first")
    with engine.connect() as connection:
        employees = connection.execute(select(func.count()).select_from(Employee)).scalar_one()
    if employees:
        raise Conflict(
            f"the database already holds {employees} employees; seed an empty database "
            "(a second data set would mix two truths)"
        )
    create_truth_tables(engine)
    if not truth_is_empty(engine):
        raise Conflict("the truth_* tables already hold rows; drop them or use a new database")


def _prepare(engine: Engine, config: SyntheticConfig) -> Catalogue:
    """Load reference data, add missing periods and index the catalogue."""
    with Session(engine) as session:
        load_reference_data(session)
        _add_periods(session, config.periods())
        training_ids = dict(session.execute(select(Training.code, Training.id)).tuples().all())
        session.commit()
    return build_catalogue(load_competencies(), load_trainings(), training_ids, config.seed)


def _effect_batch(catalogue: Catalogue) -> Batch:
    """The true program effects, written with the first chunk."""
    codes, competencies, effects = zip(*catalogue.effect_rows(), strict=True)
    return Batch(
        "truth_program_effects",
        {"training_code": codes, "competency_code": competencies, "effect": effects},
    )


def _add_periods(session: Session, quarters: list[Period]) -> None:
    """Insert the history's quarters and years that the periods table lacks."""
    wanted = {q.code: q for q in quarters}
    for year in sorted({q.year for q in quarters}):
        whole = Period.of(PeriodKind.YEAR, year, 1)
        wanted[whole.code] = whole
    present = set(session.scalars(select(PeriodRow.code).where(PeriodRow.code.in_(wanted))))
    for code, period in wanted.items():
        if code not in present:
            session.add(
                PeriodRow(
                    code=code,
                    kind=period.kind,
                    year=period.year,
                    starts_on=period.starts_on,
                    ends_on=period.ends_on,
                )
            )
    session.flush()


def _next_ids(engine: Engine) -> dict[str, int]:
    """Return the first free id of every table the generator writes ids into."""
    start = {}
    with engine.connect() as connection:
        for name in ID_TABLES:
            table = Base.metadata.tables[name]
            largest = connection.execute(select(func.max(table.c.id))).scalar_one()
            start[name] = (largest or 0) + 1
    return start


def _chunk_batches(
    index: int,
    size: int,
    config: SyntheticConfig,
    catalogue: Catalogue,
    allocator: IdAllocator,
    nips: NipRegistry,
    params: CausalParams,
) -> Iterator[Batch]:
    """Build one agency and yield all its rows: organisation, people, then the history.

    The first chunk also carries the true program effects, so a failed first chunk leaves
    no truth behind.
    """
    if index == 0:
        yield _effect_batch(catalogue)
    rng = np.random.default_rng([config.seed, CHUNK_STREAM, index])
    periods = config.periods()
    history = (np.datetime64(periods[0].starts_on), np.datetime64(periods[-1].ends_on))
    org = build_organisation(size, index + 1, catalogue, rng)
    people = build_people(
        org, size, history, config.harsh_rater_fraction, catalogue.technical, rng, params
    )
    ids = IdBlock(
        allocator,
        units=allocator.take("units", org.n_units),
        positions=allocator.take("positions", len(org.position_titles)),
        employees=allocator.take("employees", size),
    )
    chunk = Chunk(
        org=org,
        people=people,
        ids=ids,
        catalogue=catalogue,
        periods=periods,
        shift=rater_shift(people, config),
        signals=np.random.default_rng([config.seed, SIGNALS_STREAM, index]),
    )
    yield from static_batches(chunk, nips.assign(people.birth, people.hire, people.female))
    yield from simulate(chunk, rng, params)


def rater_shift(people: People, config: SyntheticConfig) -> np.ndarray:
    """Each person's rating shift: the supervisor's leniency, minus the harsh-rater bias."""
    supervisor = people.supervisor
    has = supervisor >= 0
    safe = np.maximum(supervisor, 0)
    leniency = np.where(has, people.leniency[safe], 0.0)
    in_group = people.female if config.harsh_group is Gender.P else ~people.female
    harsh = has & people.harsh[safe] & in_group
    return leniency - config.harsh_rater_bias * harsh
