"""Score rankings against the generator's true programme effects (API.md metric names).

For a held-out employee with TRUE levels L*_c (the generator's `truth_levels`) and required
levels R_c, the relevance of a programme p that fits the employee is its true expected gap
closure on its own:

    rel(p) = sum over competencies c it develops of min(max(0, R_c - L*_c), effect_pc * h)
    h      = max(0, max_level_pc - L*_c)            (`causal.true_gain`)

- `ndcg_at_5`: DCG of the first five items with linear gain rel(p) and a log2(rank + 1)
  discount, over the DCG of the five fitting programmes of highest rel (the ideal).
- `precision_at_5`: share of the first five items whose rel is at least that of the fifth
  best fitting programme (ties count; only rel > 0 is relevant; the denominator is five, or
  the number of relevant programmes when fewer exist).
- `gap_closure_at_3`: true total gap closure, in levels, if the employee took the first three
  items in order, each gaining on the level left by the previous ones; mean over employees.
- `oracle_gap_closure_at_3`: the same for the three programmes a greedy oracle picks with the
  true effects (largest true marginal closure first).

Employees are evaluated when some fitting programme has rel > 0 (otherwise no ranking can
help them). Every ranker is evaluated on exactly the same employees.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from service.domain.ranking import fits
from service.domain.recommender_data import Profile
from service.domain.recommender_data import Program

K_NDCG = 5
K_CLOSURE = 3
#: A ranker returns the codes of the programmes it recommends for a profile, best first.
Ranker = Callable[[Profile], Sequence[str]]


@dataclass(frozen=True)
class TruthCase:
    """One held-out employee with the true relevance of every fitting programme."""

    profile: Profile
    true_levels: Mapping[str, float]
    relevance: Mapping[str, float]


def true_closure(
    program: Program, standard: Mapping[str, int], levels: dict[str, float], effects: Mapping
) -> float:
    """Apply a programme's TRUE gains to `levels` in place; return the gap closed, in levels."""
    closed = 0.0
    for link in program.links:
        if link.competency not in standard or link.competency not in levels:
            continue
        level = levels[link.competency]
        effect = effects.get(f"{program.code}|{link.competency}", 0.0)
        new = level + effect * max(0.0, link.max_level - level)
        required = standard[link.competency]
        closed += max(0.0, required - level) - max(0.0, required - new)
        levels[link.competency] = new
    return closed


def truth_cases(
    profiles: Sequence[Profile],
    programs: Sequence[Program],
    effects: Mapping[str, float],
    true_levels: Mapping[int, Mapping[str, float]],
) -> list[TruthCase]:
    """Build the evaluated cases: employees with a true level and some programme worth taking."""
    cases = []
    for profile in profiles:
        levels = true_levels.get(profile.employee_id)
        if not levels:
            continue
        relevance = {
            p.code: true_closure(p, profile.standard, dict(levels), effects)
            for p in programs
            if fits(profile, p)
        }
        if any(value > 0 for value in relevance.values()):
            cases.append(TruthCase(profile, levels, relevance))
    return cases


def ndcg(ranked: Sequence[str], relevance: Mapping[str, float], k: int = K_NDCG) -> float:
    """Return NDCG@k with linear gains (module docstring)."""
    dcg = sum(relevance.get(code, 0.0) / math.log2(i + 2) for i, code in enumerate(ranked[:k]))
    ideal = sorted(relevance.values(), reverse=True)[:k]
    best = sum(value / math.log2(i + 2) for i, value in enumerate(ideal))
    return dcg / best if best > 0 else 0.0


def precision(ranked: Sequence[str], relevance: Mapping[str, float], k: int = K_NDCG) -> float:
    """Return the share of the first k items at least as good as the k-th best programme."""
    positive = sorted((value for value in relevance.values() if value > 0), reverse=True)
    if not positive:
        return 0.0
    bar = positive[min(k, len(positive)) - 1]
    hits = sum(1 for code in ranked[:k] if relevance.get(code, 0.0) >= bar)
    return hits / min(k, len(positive))


def closure_at(
    ranked: Sequence[str],
    case: TruthCase,
    programs: Mapping[str, Program],
    effects: Mapping[str, float],
    k: int = K_CLOSURE,
) -> float:
    """Return the true gap closed by taking the first k items in order."""
    levels = dict(case.true_levels)
    return sum(
        true_closure(programs[code], case.profile.standard, levels, effects) for code in ranked[:k]
    )


def oracle_ranking(
    case: TruthCase, programs: Mapping[str, Program], effects: Mapping[str, float], k: int
) -> list[str]:
    """Pick k programmes greedily by TRUE marginal closure (the oracle of the metrics)."""
    levels = dict(case.true_levels)
    pool = [code for code, value in case.relevance.items() if value > 0]
    chosen: list[str] = []
    while pool and len(chosen) < k:
        gains = {
            code: true_closure(programs[code], case.profile.standard, dict(levels), effects)
            for code in pool
        }
        best = max(sorted(pool), key=lambda code: gains[code])
        true_closure(programs[best], case.profile.standard, levels, effects)
        chosen.append(best)
        pool.remove(best)
    return chosen


def score_ranker(
    ranker: Ranker,
    cases: Sequence[TruthCase],
    programs: Mapping[str, Program],
    effects: Mapping[str, float],
) -> dict[str, float]:
    """Return ndcg_at_5, precision_at_5 and gap_closure_at_3 of `ranker`, means over cases."""
    scores = np.array(
        [
            (
                ndcg(ranked, case.relevance),
                precision(ranked, case.relevance),
                closure_at(ranked, case, programs, effects),
            )
            for case in cases
            for ranked in [list(ranker(case.profile))]
        ]
    ).reshape(-1, 3)
    means = scores.mean(axis=0) if len(scores) else np.full(3, np.nan)
    return dict(
        zip(("ndcg_at_5", "precision_at_5", "gap_closure_at_3"), means.tolist(), strict=True)
    )


def oracle_closure(
    cases: Sequence[TruthCase], programs: Mapping[str, Program], effects: Mapping[str, float]
) -> float:
    """Return the mean true closure of the oracle's top three."""
    values = [
        closure_at(oracle_ranking(case, programs, effects, K_CLOSURE), case, programs, effects)
        for case in cases
    ]
    return float(np.mean(values)) if values else math.nan
