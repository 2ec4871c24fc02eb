"""The seeded generator end to end on SQLite: determinism, integrity, realism, truth."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score
from sqlalchemy import Engine
from sqlalchemy import inspect

from service.db.base import Base
from service.domain.entities import Gender
from service.domain.entities import Predikat
from service.domain.nip import check_nip
from service.domain.predikat import predikat_for
from tests.training.test_synthetic_support import database_digest
from tests.training.test_synthetic_support import evaluations_with_people
from tests.training.test_synthetic_support import read
from tests.training.test_synthetic_support import seed_sqlite
from tests.training.test_synthetic_support import truth_with_outcome

EMPLOYEES = 600
QUARTERS = 8
TRUTH_TABLES = ("truth_employees", "truth_levels", "truth_program_effects", "truth_risk")


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> Iterator[Engine]:
    engine, _ = seed_sqlite(
        tmp_path_factory.mktemp("seeded"), sqlite_template, employees=EMPLOYEES, seed=11
    )
    yield engine
    engine.dispose()


def test_same_seed_and_chunking_give_identical_rows(tmp_path: Path, sqlite_template: Path) -> None:
    fields = {"employees": 250, "seed": 5, "quarters": 4, "chunk_size": 100}
    first, _ = seed_sqlite(tmp_path / "a", sqlite_template, **fields)
    second, _ = seed_sqlite(tmp_path / "b", sqlite_template, **fields)
    other, _ = seed_sqlite(tmp_path / "c", sqlite_template, **{**fields, "seed": 6})

    digest = database_digest(first)
    assert digest == database_digest(second)
    different = {t for t, h in database_digest(other).items() if h != digest[t]}
    assert {"employees", "evaluations", "truth_risk", "truth_program_effects"} <= different
    for engine in (first, second, other):
        engine.dispose()


def test_foreign_keys_hold(engine: Engine) -> None:
    with engine.connect() as connection:
        problems = connection.exec_driver_sql("PRAGMA foreign_key_check").all()

    assert problems == []


def test_supervisor_is_head_of_unit_or_of_parent_unit(engine: Engine) -> None:
    people = read(engine, "SELECT id, unit_id, supervisor_id FROM employees")
    units = read(engine, "SELECT id, parent_id FROM units").set_index("id")
    heads = read(
        engine,
        "SELECT e.id, e.unit_id FROM employees e JOIN positions p ON p.id = e.position_id "
        "WHERE p.kind = 'struktural'",
    )
    head_of = dict(zip(heads["unit_id"], heads["id"], strict=True))
    is_head = people["id"].isin(heads["id"])
    staff = people[~is_head]
    assert (staff["supervisor_id"] == staff["unit_id"].map(head_of)).all()
    for _, head in people[is_head].iterrows():
        parent = units.loc[head["unit_id"], "parent_id"]
        expected = None if pd.isna(parent) else head_of[parent]
        assert (pd.isna(head["supervisor_id"]) and expected is None) or head[
            "supervisor_id"
        ] == expected


def test_every_employee_has_one_periodik_evaluation_per_quarter_rated_by_supervisor(
    engine: Engine,
) -> None:
    rows = read(
        engine,
        "SELECT e.employee_id, e.kind, e.rater_id, m.supervisor_id "
        "FROM evaluations e JOIN employees m ON m.id = e.employee_id",
    )

    assert len(rows) == EMPLOYEES * QUARTERS
    assert rows.groupby("employee_id").size().eq(QUARTERS).all()
    assert set(rows["kind"]) == {"periodik"}
    same = (rows["rater_id"] == rows["supervisor_id"]) | (
        rows["rater_id"].isna() & rows["supervisor_id"].isna()
    )
    assert same.all()


def test_predikat_follows_the_regulation_matrix(engine: Engine) -> None:
    rows = read(engine, "SELECT work_result_rating, behavior_rating, predikat FROM evaluations")
    expected = [
        predikat_for(work, behavior).value
        for work, behavior in zip(rows["work_result_rating"], rows["behavior_rating"], strict=True)
    ]

    assert rows["predikat"].tolist() == expected
    assert rows["predikat"].value_counts().idxmax() == Predikat.BAIK.value


def test_nips_are_valid_unique_and_match_birth_date_gender_and_tmt(engine: Engine) -> None:
    people = read(engine, "SELECT nip, birth_date, gender, hire_date FROM employees")

    assert people["nip"].is_unique
    for nip, born, gender, hired in people.itertuples(index=False):
        parts = check_nip(nip, date.fromisoformat(born), Gender(gender))
        assert (parts.start_year, parts.start_month) == (int(hired[:4]), int(hired[5:7]))


def test_people_look_like_the_civil_service(engine: Engine) -> None:
    people = read(engine, "SELECT gender, birth_date, hire_date, employment_status FROM employees")
    end = pd.Timestamp("2025-12-31")
    age = (end - pd.to_datetime(people["birth_date"])).dt.days / 365.25

    assert abs((people["gender"] == "P").mean() - 0.56) < 0.06
    assert age.between(22, 59).all()
    assert (pd.to_datetime(people["hire_date"]) < pd.Timestamp("2024-01-01")).all()
    assert people["employment_status"].value_counts().idxmax() == "pns"
    assert (people["employment_status"] == "pppk").any()


@pytest.mark.parametrize(
    ("tier", "managerial_level"),
    [
        # domain.md 4.3: required managerial level by position
        ("jpt_madya", 5),
        ("jpt_pratama", 4),
        ("administrator", 3),
        ("pengawas", 2),
        ("pelaksana", 1),
        ("ahli_madya", 3),
        ("ahli_muda", 2),
        ("ahli_pertama", 1),
    ],
)
def test_standards_follow_domain_levels(engine: Engine, tier: str, managerial_level: int) -> None:
    standards = read(
        engine,
        "SELECT s.position_id, s.competency_code, s.required_level FROM competency_standards s "
        f"JOIN positions p ON p.id = s.position_id WHERE p.level = '{tier}'",
    )
    core = standards[~standards["competency_code"].str.startswith("T.")]
    technical = standards[standards["competency_code"].str.startswith("T.")]

    assert not standards.empty
    assert core.groupby("position_id").size().eq(9).all()
    assert (core["required_level"] == managerial_level).all()
    assert technical.groupby("position_id").size().between(1, 3).all()


def test_truth_tables_exist_but_not_in_the_product_schema(engine: Engine) -> None:
    stored = set(inspect(engine).get_table_names())

    assert set(TRUTH_TABLES) <= stored
    assert not [name for name in Base.metadata.tables if name.startswith("truth_")]


def test_truth_risk_covers_every_employee_and_quarter_but_the_last(engine: Engine) -> None:
    truth = read(engine, "SELECT employee_id, period, p_poor_next FROM truth_risk")

    assert len(truth) == EMPLOYEES * (QUARTERS - 1)
    assert "2025-Q4" not in set(truth["period"])
    assert truth["p_poor_next"].between(0, 1, inclusive="neither").all()


def test_poor_rate_is_within_design_bounds(engine: Engine) -> None:
    rate = evaluations_with_people(engine)["poor"].mean()

    assert 0.03 <= rate <= 0.15


def test_oracle_separates_next_quarter_outcomes_loosely(engine: Engine) -> None:
    frame = truth_with_outcome(engine)
    auc = roc_auc_score(frame["poor_next"], frame["p_poor_next"])

    assert 0.7 <= auc <= 0.93
    assert abs(frame["p_poor_next"].mean() - frame["poor_next"].mean()) < 0.025


def test_attendance_and_realisations_follow_hidden_motivation_and_performance(
    engine: Engine,
) -> None:
    attendance = read(
        engine,
        "SELECT a.employee_id, SUM(a.present_days) * 1.0 / SUM(a.work_days) AS rate "
        "FROM attendance a GROUP BY a.employee_id",
    )
    poor_share = evaluations_with_people(engine).groupby("employee_id")["poor"].mean()
    merged = attendance.set_index("employee_id").join(poor_share)

    assert merged["rate"].between(0.5, 1.0).all()
    assert np.corrcoef(merged["rate"], merged["poor"])[0, 1] < -0.05
