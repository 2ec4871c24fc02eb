"""The fairness knob: no group effect by default, a real and findable one when switched on."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import Engine

from tests.training.test_synthetic_support import database_digest
from tests.training.test_synthetic_support import evaluations_with_people
from tests.training.test_synthetic_support import read
from tests.training.test_synthetic_support import seed_sqlite
from tests.training.test_synthetic_support import two_proportion_z

FIELDS = {"employees": 1_500, "seed": 21, "quarters": 4}
BIAS = 1.0


@pytest.fixture(scope="module")
def fair(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> Iterator[Engine]:
    engine, _ = seed_sqlite(tmp_path_factory.mktemp("fair"), sqlite_template, **FIELDS)
    yield engine
    engine.dispose()


@pytest.fixture(scope="module")
def biased(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> Iterator[Engine]:
    directory = tmp_path_factory.mktemp("biased")
    engine, _ = seed_sqlite(directory, sqlite_template, **FIELDS, harsh_rater_bias=BIAS)
    yield engine
    engine.dispose()


def _gender_z(frame: pd.DataFrame) -> float:
    """z of the poor rate of women minus that of men."""
    women, men = frame[frame["gender"] == "P"], frame[frame["gender"] == "L"]
    return two_proportion_z(women["poor"].sum(), len(women), men["poor"].sum(), len(men))


def _with_rater_harshness(engine: Engine) -> pd.DataFrame:
    frame = evaluations_with_people(engine)
    harsh = read(engine, "SELECT employee_id AS rater_id, harsh_rater FROM truth_employees")
    return frame.merge(harsh, on="rater_id", how="inner")


def test_without_bias_gender_changes_nothing(fair: Engine) -> None:
    frame = evaluations_with_people(fair)
    shifts = read(
        fair,
        "SELECT t.rater_shift, s.leniency FROM truth_employees t "
        "JOIN employees e ON e.id = t.employee_id "
        "JOIN truth_employees s ON s.employee_id = e.supervisor_id",
    )

    assert abs(_gender_z(frame)) < 3
    assert (shifts["rater_shift"] - shifts["leniency"]).abs().max() < 1e-12


def test_with_bias_women_are_rated_poor_more_often(biased: Engine) -> None:
    assert _gender_z(evaluations_with_people(biased)) > 4


def test_the_bias_sits_with_the_harsh_raters_only(biased: Engine) -> None:
    frame = _with_rater_harshness(biased)
    women, men = frame[frame["gender"] == "P"], frame[frame["gender"] == "L"]

    def harsh_minus_lenient(group: pd.DataFrame) -> float:
        harsh, other = group[group["harsh_rater"] == 1], group[group["harsh_rater"] == 0]
        return two_proportion_z(harsh["poor"].sum(), len(harsh), other["poor"].sum(), len(other))

    assert harsh_minus_lenient(women) > 4
    assert abs(harsh_minus_lenient(men)) < 3


def test_the_knob_touches_ratings_and_nothing_else(fair: Engine, biased: Engine) -> None:
    before, after = database_digest(fair), database_digest(biased)
    changed = {table for table in before if before[table] != after[table]}

    assert changed == {"evaluations", "truth_employees", "truth_risk"}
