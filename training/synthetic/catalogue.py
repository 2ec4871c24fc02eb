"""The competency dictionary and training catalogue as arrays, with each program's TRUE effect.

True effects are drawn once per seed from their own random stream (independent of chunking):
a program is either near-useless (probability `USELESS_SHARE`, effect 0-0.05) or effective
(a program quality of 0.2-0.6); each competency it covers gets that quality times a factor of
0.7-1.3 (capped at 0.9). The effect is the fraction of the distance to the program's
`max_level` that one completion closes (`causal.true_gain`). Effects are deliberately not tied
to JP, mode or kind, so a recommender has to learn them from enrolments and re-assessments.
Popularity (how often a program is picked beyond need) is drawn independently of the effect.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from service.domain.entities import CompetencyGroup
from service.domain.entities import PositionKind
from service.reference import Competency
from service.reference import Training

USELESS_SHARE = 0.3
EFFECT_STREAM = 0x7E55EC7
POPULARITY_STREAM = 0x9091A
#: Kinds left out of the simulated history: Latsar is for new CPNS, and the history has none.
EXCLUDED_KINDS = frozenset({"latsar"})
#: Leadership programs, each only for its tier.
LEADERSHIP_TIERS = {
    "pkp": "pengawas",
    "pka": "administrator",
    "pkn_ii": "jpt_pratama",
    "pkn_i": "jpt_madya",
}


@dataclass(frozen=True)
class Catalogue:
    """Competencies and programs indexed for vectorised simulation.

    `max_levels` and `effects` have shape (programs, competencies); a zero max level means
    the program does not cover that competency.
    """

    competency_codes: tuple[str, ...]
    managerial: np.ndarray
    sociocultural: np.ndarray
    technical: np.ndarray
    program_codes: tuple[str, ...]
    program_ids: np.ndarray
    jp: np.ndarray
    kinds: tuple[str, ...]
    position_kinds: np.ndarray
    min_grade_rank: np.ndarray
    tier_only: tuple[str | None, ...]
    max_levels: np.ndarray
    effects: np.ndarray
    popularity: np.ndarray

    @property
    def covers(self) -> np.ndarray:
        """Boolean (programs, competencies): which competencies each program develops."""
        return self.max_levels > 0

    def effect_rows(self) -> list[tuple[str, str, float]]:
        """Return (training_code, competency_code, effect) for every covered pair."""
        rows = []
        for p, k in zip(*np.nonzero(self.covers), strict=True):
            rows.append(
                (self.program_codes[p], self.competency_codes[k], float(self.effects[p, k]))
            )
        return rows


def build_catalogue(
    competencies: list[Competency],
    trainings: list[Training],
    training_ids: dict[str, int],
    seed: int,
) -> Catalogue:
    """Index the reference data and draw each program's true effect for `seed`."""
    codes = tuple(c.code for c in competencies)
    index = {code: k for k, code in enumerate(codes)}
    programs = [t for t in trainings if t.kind not in EXCLUDED_KINDS]
    missing = [t.code for t in programs if t.code not in training_ids]
    if missing:
        raise ValueError(
            f"training catalogue not in the database ({', '.join(missing[:5])}); "
            "run `kinerja init-db` to load the reference data"
        )
    max_levels = np.zeros((len(programs), len(codes)), dtype=np.int8)
    for p, training in enumerate(programs):
        for link in training.competencies:
            max_levels[p, index[link.competency_code]] = link.max_level
    return Catalogue(
        competency_codes=codes,
        managerial=_group(competencies, CompetencyGroup.MANAJERIAL),
        sociocultural=_group(competencies, CompetencyGroup.SOSIAL_KULTURAL),
        technical=_group(competencies, CompetencyGroup.TEKNIS),
        program_codes=tuple(t.code for t in programs),
        program_ids=np.array([training_ids[t.code] for t in programs], dtype=np.int64),
        jp=np.array([t.jp for t in programs], dtype=np.float64),
        kinds=tuple(t.kind for t in programs),
        position_kinds=_position_kind_matrix(programs),
        min_grade_rank=np.array([grade_rank(t.min_grade) for t in programs], dtype=np.int16),
        tier_only=tuple(LEADERSHIP_TIERS.get(t.kind) for t in programs),
        max_levels=max_levels,
        effects=draw_effects(max_levels > 0, seed),
        popularity=draw_popularity(len(programs), seed),
    )


def draw_effects(covers: np.ndarray, seed: int) -> np.ndarray:
    """Draw the true effect of each (program, competency) pair; 0 where not covered."""
    rng = np.random.default_rng([seed, EFFECT_STREAM])
    n_programs, n_competencies = covers.shape
    useless = rng.random(n_programs) < USELESS_SHARE
    quality = np.where(
        useless, rng.uniform(0.0, 0.05, n_programs), rng.uniform(0.2, 0.6, n_programs)
    )
    factor = rng.uniform(0.7, 1.3, (n_programs, n_competencies))
    return np.where(covers, np.minimum(quality[:, None] * factor, 0.9), 0.0)


def draw_popularity(n_programs: int, seed: int) -> np.ndarray:
    """Draw how much each program is chosen beyond need (log-normal, independent of effect)."""
    rng = np.random.default_rng([seed, POPULARITY_STREAM])
    return rng.lognormal(0.0, 0.5, n_programs)


#: Golongan in ascending order; PPPK grades (roman numerals alone) rank by their own scale.
GRADES = tuple(
    f"{roman}/{letter}"
    for roman, letters in (("I", "abcd"), ("II", "abcd"), ("III", "abcd"), ("IV", "abcde"))
    for letter in letters
)


def grade_rank(grade: str | None) -> int:
    """Return the rank of a golongan (I/a = 0 ... IV/e = 16); -1 for none."""
    return GRADES.index(grade) if grade else -1


def _group(competencies: list[Competency], group: CompetencyGroup) -> np.ndarray:
    return np.array([k for k, c in enumerate(competencies) if c.group is group], dtype=np.intp)


def _position_kind_matrix(programs: list[Training]) -> np.ndarray:
    """Boolean (programs, 3): fits struktural, fungsional, pelaksana (PositionKind order)."""
    kinds = list(PositionKind)
    return np.array([[kind in t.position_kinds for kind in kinds] for t in programs], dtype=bool)
