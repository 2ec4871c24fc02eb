"""The generated continuous-performance records: shape, timing and their documented link
to the hidden state (training/synthetic/continuous.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import Engine

from tests.training.test_synthetic_support import read
from tests.training.test_synthetic_support import seed_sqlite
from tests.training.test_synthetic_support import two_proportion_z
from training.synthetic import continuous

POOR = "('butuh_perbaikan', 'kurang', 'sangat_kurang')"


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> Iterator[Engine]:
    engine, _ = seed_sqlite(
        tmp_path_factory.mktemp("continuous"), sqlite_template, employees=800, seed=21
    )
    yield engine
    engine.dispose()


def test_only_adopters_log_and_at_most_once_a_month(engine: Engine) -> None:
    logs = read(engine, "SELECT employee_id, activity_date FROM activity_logs")
    people = read(engine, "SELECT id FROM employees")["id"].to_numpy()
    adopters = people[(people * 2654435761 % 1000) < continuous.ADOPTION * 1000]

    assert set(logs["employee_id"]) <= set(adopters)
    months = logs["activity_date"].str[:7]
    assert not logs.assign(month=months).duplicated(["employee_id", "month"]).any()
    assert 0.45 < len(adopters) / len(people) < 0.75


def test_regular_loggers_are_less_often_poor_in_the_same_quarter(engine: Engine) -> None:
    """Logging and work both follow motivation, so regularity is an early signal."""
    frame = read(
        engine,
        f"""SELECT e.employee_id, e.period, e.predikat IN {POOR} AS poor,
        (SELECT COUNT(*) FROM activity_logs a WHERE a.employee_id = e.employee_id
          AND a.activity_date BETWEEN p.starts_on AND p.ends_on) AS months
        FROM evaluations e JOIN periods p ON p.code = e.period""",
    )
    ids = frame["employee_id"].to_numpy()
    frame = frame[(ids * 2654435761 % 1000) < continuous.ADOPTION * 1000]
    regular, rare = frame[frame["months"] == 3], frame[frame["months"] <= 1]

    z = two_proportion_z(rare["poor"].sum(), len(rare), regular["poor"].sum(), len(regular))
    assert z > 3


def test_peer_feedback_follows_disposition_without_the_raters_leniency(engine: Engine) -> None:
    answers = read(
        engine,
        """SELECT r.employee_id, a.behavior_akuntabel AS rating, t.disposition, t.rater_shift
        FROM feedback_answers a JOIN feedback_raters f ON f.id = a.rater_id
        JOIN feedback_rounds r ON r.id = f.round_id
        JOIN truth_employees t ON t.employee_id = r.employee_id
        WHERE f.rater_group = 'peer'""",
    )
    score = answers["rating"].map({"di_bawah_ekspektasi": -1, "sesuai_ekspektasi": 0,
                                   "di_atas_ekspektasi": 1})  # fmt: skip

    assert np.corrcoef(score, answers["disposition"])[0, 1] > 0.2
    assert abs(np.corrcoef(score, answers["rater_shift"])[0, 1]) < 0.08


def test_one_round_a_year_with_supervisor_self_and_distinct_peers(engine: Engine) -> None:
    rounds = read(engine, "SELECT employee_id, period FROM feedback_rounds")
    raters = read(
        engine,
        """SELECT f.round_id, f.rater_employee_id, f.rater_group, r.employee_id
        FROM feedback_raters f JOIN feedback_rounds r ON r.id = f.round_id""",
    )

    per_year = rounds.assign(year=rounds["period"].str[:4]).groupby(["employee_id", "year"])
    assert per_year.size().max() == 1
    selves = raters[raters["rater_group"] == "self"]
    assert (selves["rater_employee_id"] == selves["employee_id"]).all()
    peers = raters[raters["rater_group"] == "peer"]
    assert (peers["rater_employee_id"] != peers["employee_id"]).all()
    assert not raters.duplicated(["round_id", "rater_employee_id"]).any()


def test_dialogues_favour_poor_quarters_and_actions_are_reviewed_the_next_quarter(
    engine: Engine,
) -> None:
    frame = read(
        engine,
        f"""SELECT e.predikat IN {POOR} AS poor, EXISTS (SELECT 1 FROM performance_dialogues d
          WHERE d.employee_id = e.employee_id AND d.held_on BETWEEN p.starts_on AND p.ends_on)
          AS held
        FROM evaluations e JOIN periods p ON p.code = e.period""",
    )
    poor, fine = frame[frame["poor"] == 1], frame[frame["poor"] == 0]
    assert two_proportion_z(poor["held"].sum(), len(poor), fine["held"].sum(), len(fine)) > 5

    actions = read(
        engine,
        """SELECT a.done, a.reviewed_at, a.due_on, d.held_on FROM dialogue_actions a
        JOIN performance_dialogues d ON d.id = a.dialogue_id""",
    )
    reviewed = actions[actions["reviewed_at"].notna()]
    assert (reviewed["reviewed_at"].str[:10] == reviewed["due_on"]).all()
    assert (reviewed["due_on"] > reviewed["held_on"]).all()
    last = read(engine, "SELECT MAX(ends_on) AS day FROM periods WHERE code LIKE '____-Q_'")
    unreviewed = actions[actions["reviewed_at"].isna()]
    assert unreviewed["done"].isna().all()
    assert (unreviewed["held_on"] >= last["day"][0][:8]).all() or unreviewed.empty
    assert 0.2 < reviewed["done"].mean() < 0.9
