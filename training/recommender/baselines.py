"""Rankers compared in evaluation: the model, its two baselines and the content prior.

- popularity: the fitting candidates (`recommendations.candidates`) by how many people
  completed them in the training window, most first (ties by code);
- rule: pure gap matching, the service's fallback: `rank_programs` with `RuleGains`, so a
  programme is worth min(gap, max_level - level) on each gap it covers (largest gap x the
  share of it within the programme's reach);
- model (and the content prior, the model fitted on no outcomes): `rank_programs` with the
  learned gains.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from service.domain.ranking import GainModel
from service.domain.ranking import RuleGains
from service.domain.ranking import candidates
from service.domain.ranking import rank_programs
from service.domain.recommender_data import Catalogue
from service.domain.recommender_data import Profile
from training.recommender.evaluate import Ranker


def gains_ranker(catalogue: Catalogue, gains: GainModel, k: int) -> Ranker:
    """Rank with the service's own ranking and the given gains."""

    def ranker(profile: Profile) -> Sequence[str]:
        return [r.program.code for r in rank_programs(profile, catalogue.programs, gains, k)]

    return ranker


def rule_ranker(catalogue: Catalogue, k: int) -> Ranker:
    """Rank by pure gap matching (the fallback the service serves without a model)."""
    return gains_ranker(catalogue, RuleGains(), k)


def popularity_ranker(catalogue: Catalogue, completions: pd.DataFrame, k: int) -> Ranker:
    """Rank the fitting candidates by completions in `completions` (training_code column)."""
    counts = completions["training_code"].value_counts().to_dict()

    def ranker(profile: Profile) -> Sequence[str]:
        found = candidates(profile, catalogue.programs)
        found.sort(key=lambda p: (-counts.get(p.code, 0), p.code))
        return [p.code for p in found[:k]]

    return ranker
