"""Rank training programmes for one employee by expected gap closure (issue 5).

Candidates are the programmes that fit the employee (the position kind is among the
programme's position kinds, a leadership programme is for the position's tier, the golongan
reaches the minimum grade), that the employee has neither completed nor enrolled in, and that
develop at least one competency with a gap up to a level above the current one. They are
ranked by expected gap closure:

    closure(p) = sum over the competencies c it develops of min(remaining gap_c, gain_pc)

where `gain_pc` comes from a `GainModel`: the trained recommender (gains learned from later
re-assessments, `program_effects.GapClosureModel`, ranking from its estimate of the true
levels) or, when none is served, the rule that a programme brings a person up to its maximum
level from the latest assessed level (`RuleGains`).

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

from service.domain.competency import LEVEL_MIN
from service.domain.recommender_data import Profile
from service.domain.recommender_data import Program
from service.domain.recommender_data import ProgramLink

#: Items that may share a main competency while programmes for other gaps remain.
MAX_PER_COMPETENCY = 2
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
    """Expected level gain from one programme on one competency, with the evidence behind it."""

    def ranking_levels(self, profile: Profile) -> dict[str, float]:
        """Return the level to rank from per competency of the standard."""
        ...

    def gain(self, code: str, competency: str, level: float, max_level: int) -> float:
        """Return the expected gain in levels for a person at `level`."""
        ...

    def evidence(self, code: str, competency: str, gap: float) -> Evidence | None:
        """Return the outcomes seen for people with a similar gap, or None."""
        ...


class RuleGains:
    """Fallback: a programme brings a person up to its maximum level; no outcome evidence."""

    def ranking_levels(self, profile: Profile) -> dict[str, float]:
        """Rank from the latest assessed levels."""
        return assessed_levels(profile)

    def gain(self, code: str, competency: str, level: float, max_level: int) -> float:
        """Return the distance from `level` up to the programme's maximum level."""
        return max(0.0, max_level - level)

    def evidence(self, code: str, competency: str, gap: float) -> Evidence | None:
        """Return None: the rule has seen no outcomes."""
        return None


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


@dataclass
class RankingState:
    """The standard and the levels a ranking works from (raised as it picks)."""

    standard: Mapping[str, int]
    levels: dict[str, float]

    def covered(self, program: Program) -> Iterator[ProgramLink]:
        """Yield the links of `program` on a gap that it develops above the current level."""
        for link in program.links:
            level = self.levels.get(link.competency)
            if level is not None and self.standard[link.competency] > level < link.max_level:
                yield link

    def marginal_gains(self, program: Program, gains: GainModel) -> dict[str, float]:
        """Return the gap closure `program` is expected to add per competency from here."""
        closure: dict[str, float] = {}
        for link in self.covered(program):
            level = self.levels[link.competency]
            gain = gains.gain(program.code, link.competency, level, link.max_level)
            closure[link.competency] = max(0.0, min(self.standard[link.competency] - level, gain))
        return closure


def candidates(profile: Profile, programs: Iterable[Program]) -> list[Program]:
    """Return the programmes that fit the employee and cover at least one assessed gap."""
    state = RankingState(profile.standard, assessed_levels(profile))
    return [p for p in programs if fits(profile, p) and any(state.covered(p))]


def rank_programs(
    profile: Profile,
    programs: Iterable[Program],
    gains: GainModel,
    k: int,
    *,
    levels: Mapping[str, float] | None = None,
    max_per_competency: int = MAX_PER_COMPETENCY,
) -> list[Ranked]:
    """Pick up to `k` programmes greedily by marginal expected gap closure (module docstring).

    `levels` are the levels to start from (default: `gains.ranking_levels(profile)`). Ties
    on the marginal closure go to the larger stand-alone closure, then to the code, so the
    order is deterministic. Programmes whose expected closure is zero are never returned.
    """
    start = gains.ranking_levels(profile) if levels is None else levels
    state = RankingState(profile.standard, dict(start))
    alone = {
        p.code: sum(state.marginal_gains(p, gains).values()) for p in programs if fits(profile, p)
    }
    pool = {p.code: p for p in programs if alone.get(p.code, 0.0) > 0}
    picked: list[Ranked] = []
    per_competency: dict[str, int] = {}
    while pool and len(picked) < k:
        crowded = {code for code, n in per_competency.items() if n >= max_per_competency}
        ranked = _best(pool, state, gains, alone, crowded)
        picked.append(ranked)
        del pool[ranked.program.code]
        for code, gain in ranked.gains.items():
            state.levels[code] += gain
        main = _main_competency(ranked.program, alone_gains=ranked.gains)
        per_competency[main] = per_competency.get(main, 0) + 1
    return picked


def _best(
    pool: Mapping[str, Program],
    state: RankingState,
    gains: GainModel,
    alone: Mapping[str, float],
    crowded: set[str],
) -> Ranked:
    """Return the pool's best next item, skipping crowded competencies while others remain."""
    scored = [
        Ranked(p, sum(g.values()), g)
        for p in pool.values()
        for g in [state.marginal_gains(p, gains)]
    ]
    open_ = [r for r in scored if _main_competency(r.program, r.gains) not in crowded]
    return max(open_ or scored, key=lambda r: (r.score, alone[r.program.code], _neg(r)))


def _neg(ranked: Ranked) -> tuple[int, ...]:
    """Sort key that makes the smaller programme code win a tie under `max`."""
    return tuple(-ord(char) for char in ranked.program.code)


def _main_competency(program: Program, alone_gains: Mapping[str, float]) -> str:
    """Return the competency on which a programme closes the most (its first link if none)."""
    if alone_gains:
        return max(sorted(alone_gains), key=lambda code: alone_gains[code])
    return program.links[0].competency
