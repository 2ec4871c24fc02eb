"""NDCG, precision, gap closure and the oracle of the recommender's evaluation, by hand."""

from __future__ import annotations

import math

import pytest

from service.domain.recommender_data import Profile
from service.domain.recommender_data import Program
from service.domain.recommender_data import ProgramLink
from training.recommender.evaluate import TruthCase
from training.recommender.evaluate import closure_at
from training.recommender.evaluate import ndcg
from training.recommender.evaluate import oracle_closure
from training.recommender.evaluate import oracle_ranking
from training.recommender.evaluate import precision
from training.recommender.evaluate import score_ranker
from training.recommender.evaluate import true_closure
from training.recommender.evaluate import truth_cases

KINDS = frozenset({"pelaksana"})


def program(code: str, *links: tuple[str, int]) -> Program:
    return Program(
        code, code, code, 8.0, "teknis", KINDS, None, tuple(ProgramLink(*x) for x in links)
    )


PROGRAMS = {
    "BIG": program("BIG", ("A", 4)),
    "HALF": program("HALF", ("A", 4)),
    "B": program("B", ("B", 3)),
    "NONE": program("NONE", ("C", 5)),
}
EFFECTS = {"BIG|A": 0.5, "HALF|A": 0.25, "B|B": 1.0, "NONE|C": 0.9}
PERSON = Profile(1, "pelaksana", None, {"A": 4, "B": 3}, {"A": 2.0, "B": 2.0})
TRUE_LEVELS = {1: {"A": 2.0, "B": 2.5}}


def test_true_closure_applies_the_true_gain_and_counts_only_the_gap() -> None:
    levels = {"A": 2.0, "B": 2.5}

    closed = true_closure(PROGRAMS["BIG"], PERSON.standard, levels, EFFECTS)

    assert closed == pytest.approx(1.0)  # 0.5 x (4 - 2)
    assert levels["A"] == pytest.approx(3.0)
    assert true_closure(PROGRAMS["B"], PERSON.standard, levels, EFFECTS) == pytest.approx(0.5)
    assert true_closure(PROGRAMS["NONE"], PERSON.standard, levels, EFFECTS) == 0.0


def test_relevance_is_each_fitting_programme_alone() -> None:
    (case,) = truth_cases([PERSON], list(PROGRAMS.values()), EFFECTS, TRUE_LEVELS)

    assert case.relevance == pytest.approx({"BIG": 1.0, "HALF": 0.5, "B": 0.5, "NONE": 0.0})


def test_ndcg_and_precision_by_hand() -> None:
    relevance = {"BIG": 1.0, "HALF": 0.5, "B": 0.5, "NONE": 0.0}
    ideal = 1.0 + 0.5 / math.log2(3) + 0.5 / math.log2(4)

    assert ndcg(["BIG", "HALF", "B"], relevance) == pytest.approx(1.0)
    assert ndcg(["NONE", "B"], relevance) == pytest.approx((0.5 / math.log2(3)) / ideal)
    assert ndcg([], relevance) == 0.0
    assert precision(["BIG", "NONE"], relevance) == pytest.approx(1 / 3)  # 3 relevant exist
    assert precision(["BIG", "HALF", "B"], relevance, k=2) == pytest.approx(1.0)


def test_closure_at_three_applies_items_in_order_and_the_oracle_is_greedy() -> None:
    (case,) = truth_cases([PERSON], list(PROGRAMS.values()), EFFECTS, TRUE_LEVELS)

    # HALF first: A 2 -> 2.5 (0.5); then BIG: 2.5 -> 3.25 (0.75); then B: 0.5.
    assert closure_at(["HALF", "BIG", "B"], case, PROGRAMS, EFFECTS) == pytest.approx(1.75)
    assert oracle_ranking(case, PROGRAMS, EFFECTS, 3) == ["BIG", "B", "HALF"]
    # BIG: 1.0; B: 0.5; HALF after BIG: 0.25 x (4 - 3) = 0.25.
    assert oracle_closure([case], PROGRAMS, EFFECTS) == pytest.approx(1.75)


def test_people_with_nothing_to_gain_are_not_evaluated() -> None:
    done = Profile(2, "pelaksana", None, {"A": 2}, {"A": 2.0})

    assert truth_cases([done], list(PROGRAMS.values()), EFFECTS, {2: {"A": 2.0}}) == []


def test_score_ranker_averages_over_cases() -> None:
    case = TruthCase(PERSON, TRUE_LEVELS[1], {"BIG": 1.0, "HALF": 0.5, "B": 0.5, "NONE": 0.0})

    scores = score_ranker(lambda _p: ["BIG", "B", "HALF"], [case, case], PROGRAMS, EFFECTS)

    assert scores == pytest.approx(
        {"ndcg_at_5": 1.0, "precision_at_5": 1.0, "gap_closure_at_3": 1.75}
    )
