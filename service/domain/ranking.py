"""Rank training programmes for one employee by expected gap closure (issue 5).

Candidates are the programmes that fit the employee (the position kind is among the
programme's position kinds, a leadership programme is for the position's tier, the golongan
reaches the minimum grade), that the employee has neither completed nor enrolled in, and that
develop at least one competency with a gap up to a level above the current one. They are
ranked by expected gap closure:

    closure(p) = sum over the competencies c it develops of E[min(gap_c, gain_pc)]
    gain_pc    = share_pc * max(0, top_pc - level_c)

where `share_pc` comes from a `GainModel`: the trained recommender (shares learned from later
re-assessments, `program_effects.GapClosureModel`) or, when none is served, the rule that a
programme brings a person up to its top level (`RuleGains`, share 1). The level is what the
gain model believes: the trained model's estimate of the true level with its uncertainty, or
the latest assessed level (the rule, certain). The expectation is over that belief, on
`NODES` Gauss-Hermite points: a programme for a competency that is probably, not surely, at
the standard still closes something in expectation, and one whose gain would be capped by a
small gap is not overrated. With a certain level it is the plain closure.

Ranking is greedy on the *marginal* closure: once a programme is picked, the levels it is
expected to raise are raised, so a second programme for the same competency only ranks high
while that gap stays large. On top of that, at most `max_per_competency` items share a main
competency while programmes for other gaps remain. The rule ranks an unassessed competency
of the standard as if at the scale's floor (level 1).
"""

from __future__ import annotations

from collections.abc import Iterable
from collections.abc import Iterator
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field
from functools import lru_cache
from typing import Protocol

import numpy as np

from service.domain.competency import LEVEL_MAX
from service.domain.competency import LEVEL_MIN
from service.domain.recommender_data import LevelHistory
from service.domain.recommender_data import Profile
from service.domain.recommender_data import Program
from service.domain.recommender_data import ProgramLink
from service.domain.recommender_data import history_of

#: Items that may share a main competency while programmes for other gaps remain.
MAX_PER_COMPETENCY = 2
#: Gauss-Hermite points (and weights) a level belief is integrated on.
NODES, _RAW_WEIGHTS = np.polynomial.hermite_e.hermegauss(5)
WEIGHTS = _RAW_WEIGHTS / _RAW_WEIGHTS.sum()
#: Leadership programmes and the one tier (position level) each is for (domain.md 5.3).
LEADERSHIP_TIERS = {
    "pkp": "pengawas",
    "pka": "administrator",
    "pkn_ii": "jpt_pratama",
    "pkn_i": "jpt_madya",
}
_ROMAN = {"I": 1, "II": 2, "III": 3, "IV": 4}


@dataclass(frozen=True)
class Evidence:
    """Outcomes seen after a programme: how many people, and their mean gain in levels."""

    n: int
    mean_gain: float
    similar_gap: bool = True


class GainModel(Protocol):
    """What a programme does to a competency, what a person's levels are, and the evidence."""

    def level_beliefs(self, history: LevelHistory) -> tuple[np.ndarray, np.ndarray]:
        """Return the level to rank from and its sd, per item of `history`."""
        ...

    def share(self, code: str, competency: str) -> float:
        """Return the share of the distance to the programme's top level one completion
        closes (the expected gain is share x max(0, top - level))."""
        ...

    def evidence(self, code: str, competency: str, gap: float) -> Evidence | None:
        """Return the outcomes seen for people with a similar gap, or None."""
        ...


class RuleGains:
    """Fallback: a programme brings a person up to its top level; no outcome evidence."""

    def level_beliefs(self, history: LevelHistory) -> tuple[np.ndarray, np.ndarray]:
        """Rank from the latest assessed levels (the floor when never assessed), certain."""
        latest = history.latest()
        return np.where(np.isnan(latest), float(LEVEL_MIN), latest), np.zeros(len(latest))

    def share(self, code: str, competency: str) -> float:
        """Return 1: the whole distance up to the programme's top level."""
        return 1.0

    def evidence(self, code: str, competency: str, gap: float) -> Evidence | None:
        """Return None: the rule has seen no outcomes."""
        return None


def expected_gain(gains: GainModel, code: str, competency: str, level: float, top: int) -> float:
    """Return the expected gain of one completion for a person at `level`."""
    return gains.share(code, competency) * max(0.0, top - level)


@dataclass(frozen=True)
class Belief:
    """What a gain model believes of one person's levels: mean and sd per competency."""

    mean: Mapping[str, float]
    sd: Mapping[str, float]


def belief_of(profile: Profile, gains: GainModel) -> Belief:
    """Return `gains`' belief about each competency of the profile's standard."""
    history = history_of([profile])
    mean, sd = gains.level_beliefs(history)
    codes = history.competency.tolist()
    return Belief(
        dict(zip(codes, mean.tolist(), strict=True)), dict(zip(codes, sd.tolist(), strict=True))
    )


def certain(levels: Mapping[str, float]) -> Belief:
    """Return a belief that is sure of `levels`."""
    return Belief(dict(levels), dict.fromkeys(levels, 0.0))


@dataclass(frozen=True)
class Ranked:
    """A programme picked by `rank_programs` with its marginal closure per competency."""

    program: Program
    score: float
    gains: Mapping[str, float] = field(default_factory=dict)


@lru_cache(maxsize=64)
def grade_rank(grade: str | None) -> int | None:
    """Return a sortable rank of a golongan such as `III/c` (None when absent or unreadable)."""
    if not grade or "/" not in grade:
        return None
    roman, letter = grade.split("/", 1)
    if roman not in _ROMAN or len(letter) != 1 or not letter.isalpha():
        return None
    return _ROMAN[roman] * 10 + ord(letter.lower()) - ord("a")


def assessed_levels(profile: Profile) -> dict[str, float]:
    """Return the latest assessed level per competency of the standard (floor when unknown)."""
    return {code: float(profile.levels.get(code, LEVEL_MIN)) for code in profile.standard}


def fits(profile: Profile, program: Program) -> bool:
    """Whether a programme suits the position (kind, leadership tier, grade), not yet taken."""
    if program.code in profile.taken:
        return False
    if program.position_kinds and profile.position_kind not in program.position_kinds:
        return False
    tier = LEADERSHIP_TIERS.get(program.kind)
    if tier is not None and profile.position_level not in (None, tier):
        return False
    needed = grade_rank(program.min_grade)
    held = grade_rank(profile.grade)
    return needed is None or held is None or held >= needed


class RankingState:
    """The standard and the believed levels a ranking works from (raised as it picks).

    Each competency's level is held on the belief's Gauss-Hermite points (one point when
    the belief is certain), so closures are expectations over the belief.
    """

    def __init__(self, standard: Mapping[str, int], belief: Belief) -> None:
        self.standard = standard
        self.codes = list(standard)
        self.index = {code: i for i, code in enumerate(self.codes)}
        self.required = np.array([standard[c] for c in self.codes], dtype=np.float64)
        mean = np.array([belief.mean[c] for c in self.codes], dtype=np.float64)
        sd = np.array([belief.sd.get(c, 0.0) for c in self.codes], dtype=np.float64)
        spread = bool((sd > 0).any())
        nodes = NODES if spread else np.zeros(1)
        self.weights = WEIGHTS if spread else np.ones(1)
        self.levels = np.clip(mean[:, None] + sd[:, None] * nodes, LEVEL_MIN, LEVEL_MAX)

    def covered(self, program: Program) -> Iterator[ProgramLink]:
        """Yield the links of `program` whose competency may still lie below both the standard
        and the programme's top level."""
        for link in program.links:
            row = self.index.get(link.competency)
            if row is not None:
                low = self.levels[row].min()
                if self.required[row] > low < link.max_level:
                    yield link

    def expected_gap(self, competency: str) -> float:
        """Return the expected shortfall below the standard of one competency."""
        row = self.index[competency]
        return float(self.weights @ np.maximum(self.required[row] - self.levels[row], 0.0))

    def mean_level(self, competency: str) -> float:
        """Return the believed mean level of one competency."""
        return float(self.weights @ self.levels[self.index[competency]])

    def marginal_gains(self, program: Program, gains: GainModel) -> dict[str, float]:
        """Return the gap closure `program` is expected to add per competency from here."""
        return {
            link.competency: self._closure(link, gains.share(program.code, link.competency))
            for link in self.covered(program)
        }

    def _closure(self, link: ProgramLink, share: float) -> float:
        level = self.levels[self.index[link.competency]]
        gap = np.maximum(self.required[self.index[link.competency]] - level, 0.0)
        return float(self.weights @ np.minimum(gap, share * np.maximum(link.max_level - level, 0)))

    def take(self, program: Program, gains: GainModel) -> None:
        """Raise the levels `program` develops by its expected gain."""
        for link in program.links:
            row = self.index.get(link.competency)
            if row is not None:
                level = self.levels[row]
                share = gains.share(program.code, link.competency)
                self.levels[row] = level + share * np.maximum(link.max_level - level, 0.0)


def candidates(profile: Profile, programs: Iterable[Program]) -> list[Program]:
    """Return the programmes that fit the employee and cover at least one assessed gap."""
    state = RankingState(profile.standard, certain(assessed_levels(profile)))
    return [p for p in programs if fits(profile, p) and any(state.covered(p))]


class _Links:
    """The pool's programme-competency links as arrays, for closures of every link at once."""

    def __init__(self, pool: list[Program], state: RankingState, gains: GainModel) -> None:
        rows = [
            (i, state.index[link.competency], link.max_level, gains.share(p.code, link.competency))
            for i, p in enumerate(pool)
            for link in p.links
            if link.competency in state.index
        ]
        table = np.array(rows, dtype=np.float64).reshape(-1, 4)
        self.program = table[:, 0].astype(np.intp)
        self.row = table[:, 1].astype(np.intp)
        self.top = table[:, 2:3]
        self.share = table[:, 3:4]
        self.size = len(pool)

    def scores(self, state: RankingState) -> np.ndarray:
        """Return the expected marginal closure of every programme of the pool."""
        level = state.levels[self.row]
        gap = np.maximum(state.required[self.row, None] - level, 0.0)
        closure = np.minimum(gap, self.share * np.maximum(self.top - level, 0.0)) @ state.weights
        return np.bincount(self.program, closure, minlength=self.size)


def rank_programs(
    profile: Profile,
    programs: Iterable[Program],
    gains: GainModel,
    k: int,
    *,
    belief: Belief | None = None,
    max_per_competency: int = MAX_PER_COMPETENCY,
) -> list[Ranked]:
    """Pick up to `k` programmes greedily by marginal expected gap closure (module docstring).

    `belief` is the levels to start from (default: `belief_of(profile, gains)`). Ties on the
    marginal closure go to the larger stand-alone closure, then to the code, so the order is
    deterministic. Programmes whose expected closure is zero are never returned.
    """
    state = RankingState(profile.standard, belief or belief_of(profile, gains))
    pool = [p for p in programs if fits(profile, p)]
    links = _Links(pool, state, gains)
    scores = links.scores(state)
    alone = {p.code: float(value) for p, value in zip(pool, scores, strict=True)}
    open_ = scores > 0
    picked: list[Ranked] = []
    per_competency: dict[str, int] = {}
    while open_.any() and len(picked) < k:
        crowded = {code for code, n in per_competency.items() if n >= max_per_competency}
        best = _best(pool, open_, scores, state, gains, alone, crowded)
        program = pool[best]
        closures = state.marginal_gains(program, gains)
        picked.append(Ranked(program, sum(closures.values()), closures))
        open_[best] = False
        state.take(program, gains)
        main = _main_competency(program, closures)
        per_competency[main] = per_competency.get(main, 0) + 1
        scores = links.scores(state)
    return picked


def _best(
    pool: list[Program],
    open_: np.ndarray,
    scores: np.ndarray,
    state: RankingState,
    gains: GainModel,
    alone: Mapping[str, float],
    crowded: set[str],
) -> int:
    """Return the index of the pool's best next item, skipping crowded competencies while
    others remain."""
    choices = np.flatnonzero(open_).tolist()
    if crowded:
        free = [
            i
            for i in choices
            if _main_competency(pool[i], state.marginal_gains(pool[i], gains)) not in crowded
        ]
        choices = free or choices
    return max(choices, key=lambda i: (scores[i], alone[pool[i].code], _neg(pool[i].code)))


def _neg(code: str) -> tuple[int, ...]:
    """Sort key that makes the smaller programme code win a tie under `max`."""
    return tuple(-ord(char) for char in code)


def _main_competency(program: Program, alone_gains: Mapping[str, float]) -> str:
    """Return the competency on which a programme closes the most (its first link if none)."""
    if alone_gains:
        return max(sorted(alone_gains), key=lambda code: alone_gains[code])
    return program.links[0].competency
