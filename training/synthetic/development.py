"""Competency development over the history: enrolments, true gains and assessments.

Enrolment: each quarter a person starts at most one program, with probability
0.08 + 0.30 (1 - exp(-3 gap)), where gap is the mean shortfall of their TRUE levels below
the standard, plus 0.35 in the fourth quarter while the year's completed JP is under the
20 JP minimum (domain.md 5.1). The program is drawn among those the person may take
(position kind, minimum golongan, leadership tier) with weight
popularity x (0.2 + 3 headroom) / (1 + JP / 100), where headroom sums, over the covered
competencies of the standard, how far the program's max_level (capped at the required level)
lies above the current true level. People therefore pick programs for gaps they really have,
which a recommender must not mistake for the program's effect.

Completion: every enrolment completes within its quarter, except in the last quarter where
40% are still running (status `enrolled`, no JP). A completion raises each covered true level
by `causal.true_gain(effect, level, max_level)` from the next quarter on.

Assessment: everyone once a year in their own quarter, plus a follow-up (probability 0.3) in
the quarter after a completion. Measured level = true level + noise, rounded to the method's
step and kept within 1-5: assessment_center (sd 0.3, steps of 0.5) for struktural and
ahli_madya; otherwise cat (sd 0.4, 0.5) or penilaian_atasan (sd 0.5, whole levels).
"""

from __future__ import annotations

import numpy as np

from service.domain.entities import EnrolmentStatus
from service.domain.entities import PositionKind
from service.domain.periods import Period
from training.synthetic.catalogue import Catalogue
from training.synthetic.causal import true_gain
from training.synthetic.ids import IdBlock
from training.synthetic.organisation import TIER_NAMES
from training.synthetic.organisation import TIERS
from training.synthetic.people import People
from training.synthetic.vocabulary import ASSESSORS
from training.synthetic.writer import Batch

MIN_JP_PER_YEAR = 20
BLOCK = 4_096
#: method -> (measurement sd, rounding step)
METHODS = {
    "assessment_center": (0.3, 0.5),
    "cat": (0.4, 0.5),
    "penilaian_atasan": (0.5, 1.0),
}
CENTER_TIERS = ("jpt_madya", "jpt_pratama", "administrator", "pengawas", "ahli_madya")
ONGOING_SHARE = 0.4
FOLLOW_UP_SHARE = 0.3


def eligibility(people: People, catalogue: Catalogue) -> np.ndarray:
    """Boolean (employees, programs): which programs each person may take."""
    kinds = list(PositionKind)
    tier_kind = np.array([kinds.index(TIERS[name][0]) for name in TIER_NAMES])
    kind_ok = catalogue.position_kinds[:, tier_kind[people.tier]].T
    grade_ok = people.grade_rank[:, None] >= catalogue.min_grade_rank[None, :]
    tier_ok = np.array(
        [[only is None or only == tier for only in catalogue.tier_only] for tier in TIER_NAMES]
    )[people.tier]
    return kind_ok & grade_ok & tier_ok


def choose_enrolments(
    people: People,
    eligible: np.ndarray,
    jp_this_year: np.ndarray,
    period: Period,
    catalogue: Catalogue,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray]:
    """Return who starts a program this quarter and which one (program index)."""
    standard = people.required > 0
    shortfall = np.maximum(people.required - people.levels, 0.0) * standard
    gap = shortfall.sum(axis=1) / np.maximum(standard.sum(axis=1), 1)
    chance = 0.08 + 0.30 * (1 - np.exp(-3 * gap))
    if period.index == 4:
        chance = chance + 0.35 * (jp_this_year < MIN_JP_PER_YEAR)
    who = np.flatnonzero((rng.random(len(people)) < chance) & eligible.any(axis=1))
    programs = np.empty(len(who), dtype=np.int64)
    for start in range(0, len(who), BLOCK):
        block = who[start : start + BLOCK]
        weights = _choice_weights(people, block, eligible, catalogue)
        cumulative = np.cumsum(weights, axis=1)
        draw = rng.random(len(block)) * cumulative[:, -1]
        programs[start : start + BLOCK] = (cumulative < draw[:, None]).sum(axis=1)
    return who, programs


def _choice_weights(
    people: People, block: np.ndarray, eligible: np.ndarray, catalogue: Catalogue
) -> np.ndarray:
    """(len(block), programs) weights: popularity x need covered / length."""
    required = people.required[block].astype(np.float32)
    reach = np.minimum(catalogue.max_levels[None, :, :], required[:, None, :])
    headroom = np.maximum(reach - people.levels[block].astype(np.float32)[:, None, :], 0.0)
    need = headroom.sum(axis=2)
    appeal = catalogue.popularity / (1 + catalogue.jp / 100)
    return eligible[block] * appeal[None, :] * (0.2 + 3 * need)


def complete(
    people: People,
    who: np.ndarray,
    programs: np.ndarray,
    period: Period,
    last: bool,
    ids: IdBlock,
    catalogue: Catalogue,
    rng: np.random.Generator,
) -> tuple[Batch, np.ndarray, np.ndarray]:
    """Apply the true gains of completions; return the rows, the completers and their JP."""
    n = len(who)
    jp = catalogue.jp[programs]
    length = (period.ends_on - period.starts_on).days
    duration = np.clip(np.ceil(jp * 7 / 40), 1, length - 1).astype(np.int64)
    offset = (rng.random(n) * (length - duration)).astype(np.int64)
    start = np.datetime64(period.starts_on) + offset.astype("timedelta64[D]")
    end = start + duration.astype("timedelta64[D]")
    ongoing = last & (rng.random(n) < ONGOING_SHARE)
    end = np.where(ongoing, end + rng.integers(1, 60, n).astype("timedelta64[D]"), end)
    done = who[~ongoing]
    effect = catalogue.effects[programs[~ongoing]]
    max_level = catalogue.max_levels[programs[~ongoing]]
    people.levels[done] += true_gain(effect, people.levels[done], max_level)
    status = np.where(ongoing, EnrolmentStatus.ENROLLED.value, EnrolmentStatus.COMPLETED.value)
    batch = Batch(
        "enrolments",
        {
            "id": ids.take("enrolments", n),
            "employee_id": ids.employees[who],
            "training_id": catalogue.program_ids[programs],
            "start_date": start,
            "end_date": end,
            "status": status,
            "jp_earned": [
                None if o else j for o, j in zip(ongoing.tolist(), jp.tolist(), strict=True)
            ],
        },
    )
    return batch, done, jp[~ongoing]


def assess(
    people: People,
    who: np.ndarray,
    period: Period,
    ids: IdBlock,
    catalogue: Catalogue,
    rng: np.random.Generator,
) -> list[Batch]:
    """Measure the current true levels of `who` (their standard's competencies)."""
    method = _methods(people.tier[who], rng)
    assessment_ids = ids.take("competency_assessments", len(who))
    length = (period.ends_on - period.starts_on).days
    offset = rng.integers(0, length + 1, len(who)).astype("timedelta64[D]")
    assessors = np.array(ASSESSORS, dtype=object)[rng.integers(len(ASSESSORS), size=len(who))]
    rows, columns = np.nonzero(people.required[who] > 0)
    return [
        Batch(
            "competency_assessments",
            {
                "id": assessment_ids,
                "employee_id": ids.employees[who],
                "assessed_on": np.datetime64(period.starts_on) + offset,
                "method": method,
                "assessor": np.where(method == "penilaian_atasan", "Atasan langsung", assessors),
            },
        ),
        Batch(
            "assessment_levels",
            {
                "assessment_id": assessment_ids[rows],
                "competency_code": np.array(catalogue.competency_codes, dtype=object)[columns],
                "level": _measure(people.levels[who[rows], columns], method[rows], rng),
            },
        ),
    ]


def _measure(true: np.ndarray, method: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """True level + the method's noise, rounded to its step, kept within 1-5."""
    sd = np.array([METHODS[m][0] for m in method.tolist()])
    step = np.array([METHODS[m][1] for m in method.tolist()])
    noisy = true + sd * rng.standard_normal(len(true))
    return np.clip(np.round(noisy / step) * step, 1, 5)


def _methods(tier: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    center = np.isin(tier, [TIER_NAMES.index(name) for name in CENTER_TIERS])
    cat = rng.random(len(tier)) < 0.7
    return np.where(center, "assessment_center", np.where(cat, "cat", "penilaian_atasan")).astype(
        object
    )


def due_for_assessment(
    people: People, period: Period, completed_last_quarter: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """Who is assessed this quarter: the yearly slot, plus some follow-ups after training."""
    due = people.assessment_quarter == period.index
    follow_up = np.zeros(len(people), dtype=bool)
    follow_up[completed_last_quarter] = rng.random(len(completed_last_quarter)) < FOLLOW_UP_SHARE
    return np.flatnonzero(due | follow_up)
