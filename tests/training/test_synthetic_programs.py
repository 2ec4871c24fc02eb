"""Programs change true competency levels by their true effect, and assessments see it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import Engine

from tests.training.test_synthetic_support import read
from tests.training.test_synthetic_support import seed_sqlite
from training.synthetic.catalogue import EXCLUDED_KINDS

EFFECTIVE = 0.2
USELESS = 0.06


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> Iterator[Engine]:
    directory = tmp_path_factory.mktemp("programs")
    engine, _ = seed_sqlite(directory, sqlite_template, employees=800, seed=31)
    yield engine
    engine.dispose()


def _completions(engine: Engine) -> pd.DataFrame:
    """Completed enrolments with each covered competency and its true effect.

    Columns: employee_id, end, code, effect.
    """
    frame = read(
        engine,
        "SELECT e.employee_id, e.end_date, p.competency_code AS code, p.effect "
        "FROM enrolments e JOIN trainings t ON t.id = e.training_id "
        "JOIN truth_program_effects p ON p.training_code = t.code "
        "WHERE e.status = 'completed'",
    )
    frame["end"] = pd.to_datetime(frame.pop("end_date"))
    return frame


def _assessment_changes(engine: Engine) -> pd.DataFrame:
    """First and last assessed level per person and competency, with the quarters they fell in.

    Columns: employee_id, code, delta, start, stop (quarter starts of the two assessments).
    """
    levels = read(
        engine,
        "SELECT a.employee_id, a.assessed_on, l.competency_code AS code, l.level "
        "FROM competency_assessments a JOIN assessment_levels l ON l.assessment_id = a.id",
    )
    levels["quarter"] = pd.to_datetime(levels["assessed_on"]).dt.to_period("Q").dt.start_time
    ordered = levels.sort_values(["assessed_on"]).groupby(["employee_id", "code"])
    first, last = ordered.first(), ordered.last()
    changes = pd.DataFrame(
        {
            "delta": last["level"] - first["level"],
            "start": first["quarter"],
            "stop": last["quarter"],
        }
    ).reset_index()
    return changes[changes["stop"] > changes["start"]]


def _strongest_effect_between(changes: pd.DataFrame, completions: pd.DataFrame) -> pd.Series:
    """The largest true effect completed between the two assessments (gains count next quarter)."""
    merged = changes.merge(completions, on=["employee_id", "code"], how="inner")
    between = merged[(merged["end"] >= merged["start"]) & (merged["end"] < merged["stop"])]
    return between.groupby(["employee_id", "code"])["effect"].max()


def test_effective_programs_raise_later_assessed_levels(engine: Engine) -> None:
    changes = _assessment_changes(engine).set_index(["employee_id", "code"])
    effect = _strongest_effect_between(changes.reset_index(), _completions(engine))
    changes["effect"] = effect

    untouched = changes.loc[changes["effect"].isna(), "delta"]
    effective = changes.loc[changes["effect"] > EFFECTIVE, "delta"]
    useless = changes.loc[changes["effect"] < USELESS, "delta"]

    assert len(effective) > 100 and len(useless) > 30
    assert effective.mean() > untouched.mean() + 0.15
    assert abs(useless.mean() - untouched.mean()) < 0.1
    assert abs(untouched.mean()) < 0.05


def test_catalogue_mixes_effective_and_near_useless_programs(engine: Engine) -> None:
    effects = read(engine, "SELECT training_code, effect FROM truth_program_effects")
    catalogue = read(engine, "SELECT code, kind FROM trainings")
    simulated = catalogue[~catalogue["kind"].isin(EXCLUDED_KINDS)]

    assert set(effects["training_code"]) == set(simulated["code"])
    by_program = effects.groupby("training_code")["effect"].max()
    assert (by_program > EFFECTIVE).sum() >= 20
    assert (by_program < USELESS).sum() >= 5
    assert effects["effect"].between(0, 1, inclusive="left").all()


def test_true_levels_only_rise_through_completed_programs(engine: Engine) -> None:
    truth = read(
        engine, "SELECT employee_id, period, competency_code AS code, level FROM truth_levels"
    )
    start = truth[truth["period"] == "2023-Q4"].set_index(["employee_id", "code"])["level"]
    end = truth[truth["period"] == "2025-Q4"].set_index(["employee_id", "code"])["level"]
    covered = _completions(engine).groupby(["employee_id", "code"]).size()

    rise = (end - start).dropna()
    assert (rise >= -1e-12).all()
    assert end.between(1, 5).all()
    risen = rise[rise > 1e-9].index
    assert len(risen) > 0
    assert set(risen) <= set(covered.index)


def test_people_with_larger_true_gaps_enrol_more(engine: Engine) -> None:
    truth = read(
        engine,
        "SELECT t.employee_id, t.competency_code, t.level, s.required_level "
        "FROM truth_levels t JOIN employees e ON e.id = t.employee_id "
        "JOIN competency_standards s ON s.position_id = e.position_id "
        "AND s.competency_code = t.competency_code WHERE t.period = '2023-Q4'",
    )
    truth["shortfall"] = (truth["required_level"] - truth["level"]).clip(lower=0)
    gap = truth.groupby("employee_id")["shortfall"].mean()
    enrolments = read(engine, "SELECT employee_id, COUNT(*) AS n FROM enrolments GROUP BY 1")
    count = enrolments.set_index("employee_id")["n"].reindex(gap.index, fill_value=0)

    assert np.corrcoef(gap, count)[0, 1] > 0.1
