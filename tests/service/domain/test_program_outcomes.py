"""Closing the loop: measured gain against comparable non-participants, with n and a CI."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest
from sqlalchemy.orm import Session

from service.db.reference_data import load_reference_data
from service.domain.errors import NotFound
from service.domain.program_effects import build_episodes
from service.domain.program_outcomes import measure_outcomes
from service.domain.program_outcomes import program_outcomes
from service.domain.recommender_data import links_frame
from service.domain.recommender_data import load_assessment_levels
from service.domain.recommender_data import load_catalogue
from service.domain.recommender_data import load_completions
from service.domain.recommender_data import load_required_levels
from service.reference import load_trainings
from tests.factories import make_employee
from tests.service.domain.recommender_history import add_assessment
from tests.service.domain.recommender_history import add_enrolment

LINKS = pd.DataFrame({"training_code": ["P", "Q", "R"], "competency_code": ["M.01"] * 3})


def episodes(seed: int, n_control: int = 3_000, n_treated: int = 200) -> pd.DataFrame:
    """Drift 0.3 - 0.1 x level for everyone; taking P adds 0.5; noise sd 0.3."""
    rng = np.random.default_rng(seed)
    n = n_control + n_treated
    level = rng.uniform(1, 4, n)
    treated = np.arange(n) >= n_control
    level[treated] -= 0.5  # participants start lower: a naive comparison would be biased
    gain = 0.3 - 0.1 * level + 0.5 * treated + rng.normal(0, 0.3, n)
    programs = [("P",) if t else () for t in treated]
    programs[0] = ("Q",)  # a single participant: too few to measure
    return pd.DataFrame(
        {
            "competency_code": "M.01",
            "level": level,
            "years": 1.0,
            "gain": gain,
            "programs": programs,
        }
    )


def test_the_measured_effect_adjusts_for_level_and_its_interval_covers_the_truth() -> None:
    result = measure_outcomes(episodes(seed=1), LINKS).set_index("training_code")

    p = result.loc["P"]
    assert p["n_participants"] == 200
    assert p["n_comparison"] == 2_999
    assert p["ci_low"] < 0.5 < p["ci_high"]
    assert p["ci_high"] - p["ci_low"] < 0.15
    assert p["effect"] == pytest.approx(p["participant_gain"] - p["comparison_gain"])


def test_the_interval_covers_the_truth_about_95_times_in_100() -> None:
    covered = [
        row["ci_low"] < 0.5 < row["ci_high"]
        for seed in range(100)
        for row in [measure_outcomes(episodes(seed, 400, 30), LINKS).iloc[0]]
    ]

    assert 88 <= sum(covered) <= 100


def test_too_few_participants_give_counts_and_no_estimate() -> None:
    result = measure_outcomes(episodes(seed=2), LINKS).set_index("training_code")

    assert result.loc["Q", "n_participants"] == 1
    assert result.loc["R", "n_participants"] == 0
    assert result.loc[["Q", "R"], ["effect", "ci_low", "ci_high"]].isna().all().all()


def test_program_outcomes_measures_a_programme_on_the_stored_history(session: Session) -> None:
    load_reference_data(session)
    before, after = date(2024, 2, 1), date(2025, 2, 1)
    for person in range(10):
        employee = make_employee(session)
        add_assessment(session, employee.id, before, {"M.02": 2, "M.03": 2})
        took = person < 5
        if took:
            add_enrolment(session, employee.id, "MAN-KOM-02", date(2024, 6, 1))
        add_assessment(session, employee.id, after, {"M.02": 2 + took, "M.03": 2 + 0.5 * took})

    outcomes = program_outcomes(session, "MAN-KOM-02")

    expected = sorted(
        link.competency_code
        for training in load_trainings()
        if training.code == "MAN-KOM-02"
        for link in training.competencies
    )
    assert [o.competency for o in outcomes] == expected == ["M.02", "M.03"]
    assert [(o.n_participants, o.n_comparison) for o in outcomes] == [(5, 5), (5, 5)]
    assert [o.effect for o in outcomes] == pytest.approx([1.0, 0.5])
    hidden = program_outcomes(session, "MAN-KOM-02", min_group=6)
    assert [(o.n_participants, o.effect, o.participant_gain) for o in hidden] == [
        (5, None, None),
        (5, None, None),
    ]
    with pytest.raises(NotFound, match="training 'NOPE' is not in the catalogue"):
        program_outcomes(session, "NOPE")


def test_reading_the_programmes_competencies_only_gives_the_full_measure(
    session: Session,
) -> None:
    """program_outcomes reads the levels of MAN-KOM-02's competencies only; episodes are per
    competency, so the answer is the one measured over every stored level."""
    load_reference_data(session)
    rng = np.random.default_rng(7)
    for person in range(24):
        employee = make_employee(session)
        levels = {code: float(rng.integers(1, 4)) for code in ("M.01", "M.02", "M.03", "M.04")}
        add_assessment(session, employee.id, date(2024, 2, 1), levels)
        if person % 3 == 0:
            add_enrolment(session, employee.id, "MAN-KOM-02", date(2024, 6, 1))
        if person % 4 == 0:
            add_enrolment(session, employee.id, "MAN-INT-01", date(2024, 7, 1))
        later = {code: min(5.0, level + rng.integers(0, 2)) for code, level in levels.items()}
        add_assessment(session, employee.id, date(2025, 2, 1), later)
    links = links_frame(load_catalogue(session))
    every = build_episodes(
        load_assessment_levels(session),
        load_completions(session),
        links,
        load_required_levels(session),
    )
    full = measure_outcomes(every, links.loc[links["training_code"] == "MAN-KOM-02"])

    outcomes = program_outcomes(session, "MAN-KOM-02", min_group=1)

    assert [
        (o.competency, o.n_participants, o.n_comparison, o.effect, o.ci_low) for o in outcomes
    ] == [
        (
            row.competency_code,
            row.n_participants,
            row.n_comparison,
            pytest.approx(row.effect, abs=1e-4),
            pytest.approx(row.ci_low, abs=1e-4),
        )
        for row in full.itertuples()
    ]
    assert all(o.n_participants == 8 for o in outcomes)
