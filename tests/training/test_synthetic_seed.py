"""Seeding as a whole: configuration checks, refusals, chunks, both backends and the CLI."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy import text
from sqlalchemy.orm import Session

from service.cli import main
from service.db import make_engine
from service.db.models import Employee
from service.db.models import Evaluation
from service.db.models import Position
from service.db.models import Unit
from service.domain.errors import Conflict
from service.domain.errors import Invalid
from tests.training.test_synthetic_support import read
from tests.training.test_synthetic_support import seed_sqlite
from training.synthetic.config import SyntheticConfig
from training.synthetic.seed import run_seed


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"employees": 5}, "employees"),
        ({"employees": 20_000_000}, "employees"),
        ({"seed": -1}, "seed"),
        ({"quarters": 1}, "quarters"),
        ({"quarters": 41}, "quarters"),
        ({"chunk_size": 10}, "chunk_size"),
        ({"harsh_rater_bias": -0.5}, "harsh_rater_bias"),
        ({"harsh_rater_fraction": 1.5}, "harsh_rater_fraction"),
        ({"end_period": "2025-13"}, "end_period"),
        ({"end_period": "2025"}, "end_period"),
        ({"end_period": "1990-Q2", "quarters": 8}, "quarters"),
    ],
)
def test_bad_configuration_names_the_field(fields: dict, field: str) -> None:
    config = SyntheticConfig(**{"employees": 100, "seed": 1, **fields})

    with pytest.raises(Invalid, match=f"{field}: must|{field}: history") as caught:
        config.validate()
    assert [error.field for error in caught.value.errors] == [field]


def test_chunks_are_separate_agencies_with_their_supervisors_inside(
    tmp_path: Path, sqlite_template: Path
) -> None:
    engine, report = seed_sqlite(
        tmp_path, sqlite_template, employees=350, seed=2, quarters=2, chunk_size=100
    )
    people = read(engine, "SELECT id, unit_id, supervisor_id FROM employees")
    units = read(engine, "SELECT id, code, parent_id FROM units")
    engine.dispose()

    agency = dict(zip(units["id"], units["code"].str[:5], strict=True))
    supervised = people.dropna(subset=["supervisor_id"]).astype({"supervisor_id": int})
    unit_of = dict(zip(people["id"], people["unit_id"], strict=True))
    assert report.chunks == 4 and report.employees == 350
    assert units["parent_id"].isna().sum() == 4
    assert units["code"].is_unique
    assert people["id"].tolist() == list(range(1, 351))
    for employee, boss in zip(supervised["id"], supervised["supervisor_id"], strict=True):
        assert agency[unit_of[employee]] == agency[unit_of[boss]]


def test_seeding_refuses_a_database_with_employees_and_writes_nothing(
    tmp_path: Path, sqlite_template: Path
) -> None:
    engine, report = seed_sqlite(tmp_path, sqlite_template, employees=40, seed=1, quarters=2)

    with pytest.raises(Conflict, match="already holds 40 employees"):
        run_seed(engine, SyntheticConfig(employees=40, seed=2, quarters=2))
    assert read(engine, "SELECT COUNT(*) AS n FROM evaluations")["n"][0] == 40 * 2
    engine.dispose()


def test_seeding_refuses_an_unmigrated_database(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'empty.db'}")

    with pytest.raises(Invalid, match="kinerja init-db"):
        run_seed(engine, SyntheticConfig(employees=40, seed=1))
    engine.dispose()


def test_seed_on_each_backend_leaves_the_service_able_to_add_rows(database_url: str) -> None:
    engine = make_engine(database_url)
    report = run_seed(engine, SyntheticConfig(employees=120, seed=4, quarters=3))

    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(Evaluation)) == 120 * 3
        unit = session.scalars(select(Unit).limit(1)).one()
        position = session.scalars(select(Position).limit(1)).one()
        newcomer = Employee(
            nip="199001012020011999", name="Baru", unit_id=unit.id, position_id=position.id
        )
        session.add(newcomer)
        session.commit()
        assert newcomer.id == 121
        if engine.dialect.name == "postgresql":  # the planner knows what was written
            analysed = text(
                "SELECT last_analyze IS NOT NULL FROM pg_stat_user_tables "
                "WHERE relname IN ('evaluations', 'employees', 'realisations')"
            )
            assert session.scalars(analysed).all() == [True, True, True]
    assert report.rows["employees"] == 120
    engine.dispose()


def test_rows_do_not_depend_on_backend_or_number_of_writers(
    database_url: str, tmp_path: Path, sqlite_template: Path
) -> None:
    fields = {"employees": 240, "seed": 8, "quarters": 3, "chunk_size": 100}
    reference, _ = seed_sqlite(tmp_path / "reference", sqlite_template, **fields)
    engine = make_engine(database_url)
    run_seed(engine, SyntheticConfig(**fields, writers=3))
    queries = [
        "SELECT id, nip, name, supervisor_id FROM employees ORDER BY id",
        "SELECT id, employee_id, period, predikat FROM evaluations ORDER BY id",
        "SELECT employee_id, period, p_poor_next FROM truth_risk ORDER BY employee_id, period",
    ]

    for query in queries:
        expected, found = read(reference, query), read(engine, query)
        pd.testing.assert_frame_equal(found, expected, check_dtype=False, rtol=1e-12)
    reference.dispose()
    engine.dispose()


def test_cli_seeds_an_empty_database(
    tmp_path: Path, sqlite_template: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "cli.db"
    path.write_bytes(sqlite_template.read_bytes())
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{path}")

    result = CliRunner().invoke(
        main, ["seed", "--employees", "60", "--seed", "3", "--quarters", "2"]
    )

    assert result.exit_code == 0, result.output
    assert "Seeded 60 employees" in result.output
    engine = make_engine(f"sqlite:///{path}")
    assert read(engine, "SELECT COUNT(*) AS n FROM employees")["n"][0] == 60
    engine.dispose()


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--employees", "3", "--seed", "1"], "employees: must be between 20"),
        (["--employees", "50", "--seed", "1", "--end-period", "2025-Q5"], "end_period"),
        (["--employees", "50", "--seed", "1", "--harsh-rater-bias", "-1"], "harsh_rater_bias"),
    ],
)
def test_cli_rejects_bad_arguments_and_writes_nothing(
    tmp_path: Path,
    sqlite_template: Path,
    monkeypatch: pytest.MonkeyPatch,
    arguments: list[str],
    message: str,
) -> None:
    path = tmp_path / "cli.db"
    path.write_bytes(sqlite_template.read_bytes())
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{path}")

    result = CliRunner().invoke(main, ["seed", *arguments])

    assert result.exit_code == 1
    assert message in result.output
    engine = make_engine(f"sqlite:///{path}")
    assert read(engine, "SELECT COUNT(*) AS n FROM periods")["n"][0] == 0
    engine.dispose()
