"""Evaluate a fitted recommender beside its baselines, the content prior and the oracle.

With the generator's truth, every ranker is scored on the same held-out employees with the
metrics of `evaluate` (API.md names; baselines prefixed `baseline_<name>_`), and
`known_effects_gap_closure_at_3` is the closure of the model's ranking with the true effects
in place of the learned ones: the part of the oracle's closure that better effect estimates
could still win (the rest needs the true levels, which noisy assessments only estimate).
Always, also on real data, the model's expected gains are compared with the gains observed
after the cutoff
(`heldout_gain_mae`: mean absolute error over held-out episodes that a programme exposed,
beside the content prior's `baseline_prior_heldout_gain_mae`), since real data has no truth.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass
from dataclasses import field
from datetime import date

import numpy as np
import pandas as pd

from service.domain.program_effects import GapClosureModel
from service.domain.program_effects import exposures_long
from service.domain.ranking import GainModel
from service.domain.ranking import expected_gain
from service.domain.recommender_data import Profile
from training.recommender.baselines import gains_ranker
from training.recommender.baselines import popularity_ranker
from training.recommender.baselines import rule_ranker
from training.recommender.evaluate import K_NDCG
from training.recommender.evaluate import TruthCase
from training.recommender.evaluate import oracle_closure
from training.recommender.evaluate import score_ranker
from training.recommender.evaluate import truth_cases
from training.recommender.extract import History
from training.recommender.extract import Truth
from training.recommender.extract import training_completions


@dataclass
class Report:
    """Metrics of one candidate and what a champion must be scored on to compare."""

    metrics: dict[str, float]
    cases: list[TruthCase] = field(default_factory=list)
    heldout: pd.DataFrame = field(default_factory=pd.DataFrame)
    truth: Truth | None = None


def evaluate_model(
    model: GapClosureModel,
    prior: GapClosureModel,
    history: History,
    cutoff: date,
    profiles: list[Profile],
    truth: Truth | None,
) -> Report:
    """Score the model, the popularity and rule baselines, the prior and the oracle."""
    later = history.episodes.loc[history.episodes["assessed_on"] > pd.Timestamp(cutoff)]
    heldout = later.loc[later["programs"].map(len) > 0]
    metrics = {
        "heldout_gain_mae": gain_error(model, heldout),
        "baseline_prior_heldout_gain_mae": gain_error(prior, heldout),
        "n_heldout_exposed": float(len(heldout)),
        "n_train_episodes": float(model.n_episodes_),
        "n_train_exposures": float(model.n_treated_.sum()),
    }
    report = Report(metrics, heldout=heldout, truth=truth)
    if truth is None:
        return report
    programs = {p.code: p for p in history.catalogue.programs}
    report.cases = truth_cases(profiles, list(programs.values()), truth.effects, truth.levels)
    catalogue = history.catalogue
    rankers = {
        "": gains_ranker(catalogue, model, K_NDCG),
        "baseline_popularity_": popularity_ranker(
            catalogue, training_completions(history, cutoff), K_NDCG
        ),
        "baseline_rule_": rule_ranker(catalogue, K_NDCG),
        "baseline_prior_": gains_ranker(catalogue, prior, K_NDCG),
    }
    for prefix, ranker in rankers.items():
        scores = score_ranker(ranker, report.cases, programs, truth.effects)
        metrics.update({prefix + name: value for name, value in scores.items()})
    oracle = oracle_closure(report.cases, programs, truth.effects)
    metrics["oracle_gap_closure_at_3"] = oracle
    metrics["gap_closure_ratio"] = metrics["gap_closure_at_3"] / oracle if oracle else math.nan
    known = gains_ranker(catalogue, with_true_effects(model, truth), K_NDCG)
    closure = score_ranker(known, report.cases, programs, truth.effects)["gap_closure_at_3"]
    metrics["known_effects_gap_closure_at_3"] = closure
    metrics["n_eval_employees"] = float(len(report.cases))
    return report


def with_true_effects(model: GapClosureModel, truth: Truth) -> GapClosureModel:
    """Return the model with the generator's true effects in place of its learned ones.

    Ranked with the model's own level beliefs, it shows what perfect effect estimates would
    reach: the distance from it to the oracle is what the noisy assessments leave unknown.
    """
    known = copy.copy(model)
    known.effect_by_pair_ = {pair: truth.effects.get(pair, 0.0) for pair in model.effect_by_pair_}
    return known


def gain_error(gains: GainModel, heldout: pd.DataFrame) -> float:
    """Return the mean |observed gain - expected gain| over exposed held-out episodes."""
    if heldout.empty:
        return math.nan
    exposed = exposures_long(heldout.reset_index(drop=True))
    maxima = getattr(gains, "max_level_by_pair_", {})
    expected = np.zeros(len(heldout))
    for row, code, competency, level in zip(
        exposed["row"],
        exposed["training_code"],
        exposed["competency_code"],
        exposed["level"],
        strict=True,
    ):
        max_level = maxima.get(f"{code}|{competency}", level)
        expected[row] += expected_gain(gains, code, competency, level, max_level)
    observed = heldout["gain"].to_numpy(dtype=np.float64)
    return float(np.mean(np.abs(observed - expected)))


def ranking_score(gains: GainModel, report: Report, history: History) -> float:
    """The number a candidate and the champion are compared on (higher is better).

    With truth: ndcg_at_5 on the report's cases; without: minus heldout_gain_mae.
    """
    if report.truth is None:
        return -gain_error(gains, report.heldout)
    programs = {p.code: p for p in history.catalogue.programs}
    ranker = gains_ranker(history.catalogue, gains, K_NDCG)
    return score_ranker(ranker, report.cases, programs, report.truth.effects)["ndcg_at_5"]
