"""Episodes and the gap-closure model: exposure windows, effect recovery, shrinkage, skops."""

from __future__ import annotations

import copy
from datetime import date

import numpy as np
import pandas as pd
import pytest
import skops.io

from service.domain.program_effects import GapClosureModel
from service.domain.program_effects import build_episodes
from service.domain.program_effects import content_prior
from service.domain.ranking import belief_of
from service.domain.recommender_data import Profile

COMPETENCIES = ["M.01", "M.02", "M.03"]
# Programme -> (competency, max level, true effect); P-USELESS barely works.
PROGRAMMES = {
    "P-GOOD": ("M.01", 4, 0.6),
    "P-FAIR": ("M.02", 4, 0.3),
    "P-USELESS": ("M.03", 4, 0.02),
    "P-RARE": ("M.01", 4, 0.6),
}
LINKS = [(code, comp, top, 24.0, 1) for code, (comp, top, _) in PROGRAMMES.items()]


def simulate(n_people: int, rare_share: float, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Three yearly assessments (noise sd 0.3); half the people take one programme a year."""
    rng = np.random.default_rng(seed)
    levels, completions = [], []
    common = [code for code in PROGRAMMES if code != "P-RARE"]
    assessment = 0
    for person in range(n_people):
        true = {c: float(np.clip(rng.normal(2.5, 0.6), 1, 5)) for c in COMPETENCIES}
        for year in range(3):
            assessment += 1
            on = pd.Timestamp(2022 + year, 3, 1)
            for code in COMPETENCIES:
                measured = float(np.clip(true[code] + rng.normal(0, 0.3), 1, 5))
                levels.append((person, assessment, on, code, measured, "cat"))
            if year < 2 and rng.random() < 0.5:
                pick = "P-RARE" if rng.random() < rare_share else str(rng.choice(common))
                comp, top, effect = PROGRAMMES[pick]
                completions.append((person, pick, on + pd.Timedelta(days=90)))
                true[comp] += effect * max(0.0, top - true[comp])
    columns = ["employee_id", "assessment_id", "assessed_on", "competency_code", "level", "method"]
    return (
        pd.DataFrame(levels, columns=columns),
        pd.DataFrame(completions, columns=["employee_id", "training_code", "end_date"]),
    )


def links_frame() -> pd.DataFrame:
    return pd.DataFrame(
        [(code, comp) for code, (comp, _, _) in PROGRAMMES.items()],
        columns=["training_code", "competency_code"],
    )


@pytest.fixture(scope="module")
def fitted() -> tuple[GapClosureModel, pd.DataFrame]:
    levels, completions = simulate(2_000, rare_share=0.004, seed=3)
    episodes = build_episodes(levels, completions, links_frame())
    return GapClosureModel(LINKS).fit(episodes), episodes


@pytest.mark.parametrize(
    ("end_date", "exposed", "exposed_next_quarter"),
    [
        # assessments on 2024-03-01 and 2025-03-01 (both in a first quarter)
        ("2024-03-01", False, True),  # shows from 2024-04-01 under next_quarter
        ("2024-03-02", True, True),
        ("2024-12-31", True, True),  # shows from 2025-01-01, before the second assessment
        ("2025-01-02", True, False),  # same quarter as the second assessment
        ("2025-03-01", True, False),
        ("2025-03-02", False, False),
        ("2023-12-31", False, False),  # shows from 2024-01-01, before the first
    ],
)
def test_a_programme_exposes_the_episode_it_shows_inside(
    end_date: str, exposed: bool, exposed_next_quarter: bool
) -> None:
    levels = pd.DataFrame(
        {
            "employee_id": [1, 1, 1, 1],
            "assessment_id": [1, 1, 2, 2],
            "assessed_on": pd.to_datetime(["2024-03-01"] * 2 + ["2025-03-01"] * 2),
            "competency_code": ["M.01", "M.02"] * 2,
            "level": [2.0, 3.0, 2.5, 3.0],
        }
    )
    completions = pd.DataFrame(
        {"employee_id": [1], "training_code": ["P-GOOD"], "end_date": pd.to_datetime([end_date])}
    )

    episodes = build_episodes(levels, completions, links_frame())

    assert list(episodes["competency_code"]) == ["M.01", "M.02"]
    assert list(episodes["gain"]) == [0.5, 0.0]
    assert list(episodes["programs"]) == [("P-GOOD",) if exposed else (), ()]
    assert list(episodes["programs_next_quarter"]) == [
        ("P-GOOD",) if exposed_next_quarter else (),
        (),
    ]
    assert episodes["years"].iloc[0] == pytest.approx(365 / 365.25)


def test_effects_are_recovered_against_people_who_took_nothing(
    fitted: tuple[GapClosureModel, pd.DataFrame],
) -> None:
    model, _ = fitted
    effects = model.effects_frame().set_index("training_code")["effect"]

    assert effects["P-GOOD"] == pytest.approx(0.6, abs=0.1)
    assert effects["P-FAIR"] == pytest.approx(0.3, abs=0.1)
    assert effects["P-USELESS"] < 0.1
    assert effects["P-GOOD"] > effects["P-FAIR"] > effects["P-USELESS"]


def test_a_pair_with_few_outcomes_stays_nearer_its_prior(
    fitted: tuple[GapClosureModel, pd.DataFrame],
) -> None:
    _, episodes = fitted
    shrunk = GapClosureModel(LINKS, prior_strength=30.0).fit(episodes).effects_frame()
    free = GapClosureModel(LINKS, prior_strength=1e-3).fit(episodes).effects_frame()
    shrunk, free = shrunk.set_index("training_code"), free.set_index("training_code")

    assert shrunk.loc["P-RARE", "n_treated"] < 20 < shrunk.loc["P-GOOD", "n_treated"]
    prior = shrunk.loc["P-RARE", "prior"]
    rare_pull = abs(shrunk.loc["P-RARE", "effect"] - prior)
    assert rare_pull < 0.7 * abs(free.loc["P-RARE", "effect"] - free.loc["P-RARE", "prior"])
    assert shrunk.loc["P-GOOD", "effect"] == pytest.approx(free.loc["P-GOOD", "effect"], abs=0.02)


def test_with_no_outcomes_the_model_is_the_content_prior() -> None:
    levels, _ = simulate(5, rare_share=0.0, seed=0)
    nothing = pd.DataFrame(columns=["employee_id", "training_code", "end_date"])
    model = GapClosureModel(LINKS).fit(build_episodes(levels, nothing, links_frame()))
    frame = model.effects_frame()

    assert model.kappa_ == 1.0
    assert list(frame["effect"]) == pytest.approx([content_prior(24.0, 1)] * len(PROGRAMMES))
    assert model.gain("P-GOOD", "M.01", 2.0, 4) == pytest.approx(2 * content_prior(24.0, 1))


def test_content_prior_rises_with_hours_per_competency_within_bounds() -> None:
    values = [content_prior(jp, 1) for jp in (1, 4, 8, 24, 80, 500)]

    assert values == sorted(values)
    assert min(values) >= 0.1
    assert max(values) == 0.6
    assert content_prior(48, 2) == content_prior(24, 1)


def test_evidence_prefers_people_with_a_similar_gap() -> None:
    levels, completions = simulate(600, rare_share=0.0, seed=5)
    episodes = build_episodes(levels, completions, links_frame())
    episodes["gap"] = 3 - episodes["level"]
    model = GapClosureModel(LINKS).fit(episodes)
    exposed = episodes[episodes["programs"].map(lambda p: "P-GOOD" in p)]
    similar = exposed[(exposed["gap"] > 0.5) & (exposed["gap"] <= 1.5)]

    found = model.evidence("P-GOOD", "M.01", 1.0)

    assert found is not None and found.similar_gap
    assert found.n == len(similar)
    assert found.mean_gain == pytest.approx(similar["gain"].mean())
    overall = model.evidence("P-GOOD", "M.01", float("nan"))
    assert overall is not None and not overall.similar_gap and overall.n == len(exposed)
    assert model.evidence("P-NONE", "M.01", 1.0) is None


def person_with(history: tuple, *completions: tuple[date, str]) -> Profile:
    """One employee held to M.01 at 3 with these M.01 assessments and completions."""
    latest = {"M.01": history[-1][1]} if history else {}
    return Profile(
        1,
        "pelaksana",
        None,
        {"M.01": 3},
        latest,
        history={"M.01": history},
        completions=tuple(completions),
    )


def test_level_beliefs_weigh_repeated_assessments_and_add_later_programmes(
    fitted: tuple[GapClosureModel, pd.DataFrame],
) -> None:
    model, _ = fitted
    history = ((date(2023, 1, 1), 2.0, "cat"), (date(2024, 1, 1), 3.0, "cat"))

    single = belief_of(person_with(history[1:]), model)
    estimate = belief_of(person_with(history), model)
    raised = belief_of(person_with(history, (date(2024, 6, 1), "P-GOOD")), model)

    assert 2.0 < estimate.mean["M.01"] < 3.0  # between the two assessments, pulled by the prior
    assert estimate.sd["M.01"] < single.sd["M.01"]  # two assessments say more than one
    gain = model.gain("P-GOOD", "M.01", estimate.mean["M.01"], 4)
    assert raised.mean["M.01"] - estimate.mean["M.01"] == pytest.approx(gain)
    assert raised.sd["M.01"] > estimate.sd["M.01"]  # a programme's gain is not known exactly


def test_an_assessment_in_the_quarter_a_programme_ends_shows_it_only_under_end_date(
    fitted: tuple[GapClosureModel, pd.DataFrame],
) -> None:
    model, _ = fitted
    history = ((date(2024, 1, 10), 2.0, "cat"), (date(2024, 5, 20), 2.0, "cat"))
    person = person_with(history, (date(2024, 4, 10), "P-GOOD"))
    model_next = copy.copy(model)
    model_next.exposure_ = "next_quarter"
    model_end = copy.copy(model)
    model_end.exposure_ = "end_date"

    # end_date: the May assessment already reflects the April programme and pulls it back;
    # next_quarter: the programme shows from July, after both assessments, so it is added.
    assert belief_of(person, model_next).mean["M.01"] > belief_of(person, model_end).mean["M.01"]


def simulate_timing(shows_at_once: bool, seed: int) -> pd.DataFrame:
    """Quarterly assessments on a random day; P-GOOD completed on a random day of some quarters.

    The gain shows at once (`end_date`) or only from the next quarter (`next_quarter`).
    """
    rng = np.random.default_rng(seed)
    levels, completions, assessment = [], [], 0
    starts = pd.date_range("2023-01-01", periods=6, freq="QS")
    days = [pd.Timedelta(days=d) for d in range(90)]
    for person in range(1_000):
        true = float(np.clip(rng.normal(2.5, 0.6), 1, 5))
        pending = 0.0
        for start in starts:
            true += pending  # gains of last quarter's completion show now
            pending = 0.0
            assessed_on = start + days[int(rng.integers(0, 90))]
            ends_on = start + days[int(rng.integers(0, 90))]
            done = rng.random() < 0.3
            gain = 0.6 * max(0.0, 4 - true) if done else 0.0
            if done and shows_at_once and ends_on < assessed_on:
                true += gain
                gain = 0.0
            assessment += 1
            measured = float(np.clip(true + rng.normal(0, 0.3), 1, 5))
            levels.append((person, assessment, assessed_on, "M.01", measured, "cat"))
            if done:
                completions.append((person, "P-GOOD", ends_on))
                if shows_at_once:
                    true += gain
                else:
                    pending = gain
    columns = ["employee_id", "assessment_id", "assessed_on", "competency_code", "level", "method"]
    completed = pd.DataFrame(completions, columns=["employee_id", "training_code", "end_date"])
    return build_episodes(pd.DataFrame(levels, columns=columns), completed, links_frame())


@pytest.mark.parametrize(("shows_at_once", "rule"), [(True, "end_date"), (False, "next_quarter")])
def test_the_exposure_rule_that_predicts_held_out_gains_better_is_kept(
    shows_at_once: bool, rule: str
) -> None:
    episodes = simulate_timing(shows_at_once, seed=8)

    model = GapClosureModel(LINKS, prior_strength=10.0).fit(episodes)

    assert model.exposure_ == rule
    assert model.effects_frame().set_index("training_code").loc["P-GOOD", "effect"] == (
        pytest.approx(0.6, abs=0.1)
    )


def test_the_fitted_model_round_trips_through_skops(
    fitted: tuple[GapClosureModel, pd.DataFrame], tmp_path: object
) -> None:
    model, _ = fitted
    data = skops.io.dumps(model)

    assert skops.io.get_untrusted_types(data=data) == [
        "service.domain.program_effects.GapClosureModel"
    ]
    loaded = skops.io.loads(data, trusted=["service.domain.program_effects.GapClosureModel"])
    rows = pd.DataFrame(
        {"training_code": list(PROGRAMMES), "competency_code": ["M.01", "M.02", "M.03", "M.01"]}
    ).assign(level=2.0)
    assert np.array_equal(loaded.predict(rows), model.predict(rows))


def test_a_model_needs_the_catalogue_links() -> None:
    with pytest.raises(ValueError, match="needs `links`"):
        GapClosureModel().fit(pd.DataFrame())
