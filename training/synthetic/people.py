"""Employees of one agency: who they are (observable) and their hidden causes (static part).

Observable: name, gender (56% P), birth date (age 22-58 at the end of the history, older
floors for higher tiers), hire date (TMT CPNS, before the history starts), golongan from tier
and years of service, employment status (about 12% of staff are PPPK), unit, position and
supervisor (the head of the unit; for a head, the head of the parent unit; none for the
agency head). Nobody joins, leaves or moves during the history.

Hidden: ability and behaviour disposition (N(0, 1)), leniency and harsh-rater flag as a rater,
and true competency levels (continuous, 1-5) = standard + offset + ability + person + item
noise. None of them depends on gender, age or region.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from service.domain.entities import EmploymentStatus
from service.domain.entities import Gender
from training.synthetic.catalogue import GRADES
from training.synthetic.causal import PARAMS
from training.synthetic.causal import CausalParams
from training.synthetic.organisation import TIER_NAMES
from training.synthetic.organisation import Organisation
from training.synthetic.vocabulary import FAMILY_NAMES
from training.synthetic.vocabulary import FEMALE_NAMES
from training.synthetic.vocabulary import MALE_NAMES

FEMALE_SHARE = 0.56
PPPK_SHARE = 0.12
MAX_AGE = 58
#: Youngest age at the end of the history, per tier.
MIN_AGE = {
    "jpt_madya": 45,
    "jpt_pratama": 40,
    "administrator": 35,
    "pengawas": 30,
    "ahli_madya": 35,
    "ahli_muda": 28,
    "ahli_pertama": 22,
    "pelaksana": 22,
}
#: Golongan range (indices into GRADES) per tier: entry grade, highest grade.
GRADE_RANGE = {
    "jpt_madya": (15, 16),
    "jpt_pratama": (14, 15),
    "administrator": (11, 13),
    "pengawas": (9, 11),
    "ahli_madya": (12, 14),
    "ahli_muda": (10, 11),
    "ahli_pertama": (8, 9),
    "pelaksana": (4, 10),
}
#: PPPK grade (golongan I-XVII) per tier and its PNS-equivalent rank for eligibility.
PPPK_GRADES = {
    "ahli_madya": ("XIII", 12),
    "ahli_muda": ("XI", 10),
    "ahli_pertama": ("IX", 8),
    "pelaksana": ("VII", 6),
}
DAYS_PER_YEAR = 365.25


@dataclass
class People:
    """Employees of one agency in insertion order (heads first, so supervisors come first).

    Arrays have one entry per employee; `levels`, `required` and `weights` have shape
    (employees, competencies). `supervisor` is a local index, -1 for none.
    """

    unit: np.ndarray
    position: np.ndarray
    tier: np.ndarray
    supervisor: np.ndarray
    names: list[str]
    female: np.ndarray
    birth: np.ndarray
    hire: np.ndarray
    grades: np.ndarray
    grade_rank: np.ndarray
    status: np.ndarray
    ability: np.ndarray
    disposition: np.ndarray
    leniency: np.ndarray
    harsh: np.ndarray
    levels: np.ndarray
    required: np.ndarray
    weights: np.ndarray
    assessment_quarter: np.ndarray

    def __len__(self) -> int:
        return len(self.unit)

    @property
    def genders(self) -> np.ndarray:
        """Gender codes (L, P) as stored."""
        return np.where(self.female, Gender.P.value, Gender.L.value)


def build_people(
    org: Organisation,
    n_employees: int,
    history: tuple[np.datetime64, np.datetime64],
    harsh_fraction: float,
    technical: np.ndarray,
    rng: np.random.Generator,
    params: CausalParams = PARAMS,
) -> People:
    """Place `n_employees` in the organisation and draw their observable and hidden traits."""
    unit, position, supervisor = _placement(org, n_employees, rng)
    tier = org.position_tier[position]
    female = rng.random(n_employees) < FEMALE_SHARE
    birth, hire = _dates(tier, history, rng)
    status, grades, rank = _grades(tier, hire, history[1], rng)
    ability = rng.standard_normal(n_employees)
    required = org.required[position]
    return People(
        unit=unit,
        position=position,
        tier=tier,
        supervisor=supervisor,
        names=_names(female, rng),
        female=female,
        birth=birth,
        hire=hire,
        grades=grades,
        grade_rank=rank,
        status=status,
        ability=ability,
        disposition=rng.standard_normal(n_employees),
        leniency=params.leniency_sd * rng.standard_normal(n_employees),
        harsh=rng.random(n_employees) < harsh_fraction,
        levels=_initial_levels(required, ability, rng, params),
        required=required,
        weights=fit_weights(required, technical),
        assessment_quarter=rng.integers(1, 5, n_employees),
    )


def _placement(
    org: Organisation, n: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return unit, position and supervisor (local indices) for heads then staff."""
    heads = org.n_units
    staff_units = np.repeat(np.arange(heads), rng.multinomial(n - heads, org.staff_weight))
    staff_positions = np.empty(len(staff_units), dtype=np.int64)
    for u in np.unique(staff_units):
        members = np.flatnonzero(staff_units == u)
        choices, weights = org.staff_positions[int(u)]
        staff_positions[members] = rng.choice(choices, size=len(members), p=weights)
    unit = np.concatenate([np.arange(heads), staff_units])
    position = np.concatenate([org.unit_head_position, staff_positions])
    supervisor = np.concatenate([org.unit_parent, staff_units])
    return unit, position, supervisor


def _dates(
    tier: np.ndarray, history: tuple[np.datetime64, np.datetime64], rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Draw birth dates and hire dates (first of a month, before the history starts)."""
    start, end = history
    years = (end - start).astype(int) / DAYS_PER_YEAR
    floor = np.array([MIN_AGE[TIER_NAMES[t]] for t in tier], dtype=float)
    floor = np.maximum(floor, 20.0 + years)
    age_end = rng.uniform(floor, MAX_AGE + 1)
    birth = end - np.round(age_end * DAYS_PER_YEAR).astype("timedelta64[D]")
    age_start = age_end - years
    hire_age = rng.uniform(19.0, np.minimum(35.0, age_start - 0.2))
    hire_day = birth + np.round(hire_age * DAYS_PER_YEAR).astype("timedelta64[D]")
    hire_month = hire_day.astype("datetime64[M]") + np.timedelta64(1, "M")
    last_month = start.astype("datetime64[M]") - np.timedelta64(1, "M")
    return birth, np.minimum(hire_month, last_month).astype("datetime64[D]")


def _grades(
    tier: np.ndarray, hire: np.ndarray, end: np.datetime64, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return employment status, golongan and a PNS-equivalent grade rank."""
    service = (end - hire).astype(int) / DAYS_PER_YEAR
    low = np.array([GRADE_RANGE[TIER_NAMES[t]][0] for t in tier])
    high = np.array([GRADE_RANGE[TIER_NAMES[t]][1] for t in tier])
    rank = np.clip(low + np.floor(service / 4 + rng.random(len(tier))), low, high).astype(int)
    grades = np.array(GRADES, dtype=object)[rank]
    pppk_tier = np.array([TIER_NAMES[t] in PPPK_GRADES for t in tier])
    pppk = pppk_tier & (rng.random(len(tier)) < PPPK_SHARE)
    for t in np.unique(tier[pppk]):
        grade, equivalent = PPPK_GRADES[TIER_NAMES[t]]
        grades[pppk & (tier == t)] = grade
        rank[pppk & (tier == t)] = equivalent
    status = np.where(pppk, EmploymentStatus.PPPK.value, EmploymentStatus.PNS.value)
    cpns = ~pppk & (service < 1.0)
    status = np.where(cpns, EmploymentStatus.CPNS.value, status).astype(object)
    return status, grades, rank


def _names(female: np.ndarray, rng: np.random.Generator) -> list[str]:
    """Draw a given name by gender and a family name (or a second given name)."""
    n = len(female)
    given = np.where(female, rng.choice(FEMALE_NAMES, n), rng.choice(MALE_NAMES, n))
    second_given = np.where(female, rng.choice(FEMALE_NAMES, n), rng.choice(MALE_NAMES, n))
    family = np.where(rng.random(n) < 0.75, rng.choice(FAMILY_NAMES, n), second_given)
    return [f"{first} {last}" for first, last in zip(given.tolist(), family.tolist(), strict=True)]


def _initial_levels(
    required: np.ndarray, ability: np.ndarray, rng: np.random.Generator, params: CausalParams
) -> np.ndarray:
    """Draw true levels: near the standard where one is set, low elsewhere; within 1-5."""
    n, k = required.shape
    person = params.level_person_sd * rng.standard_normal((n, 1))
    item = params.level_item_sd * rng.standard_normal((n, k))
    near = required + params.level_offset + params.level_ability_weight * ability[:, None]
    elsewhere = 1.0 + np.abs(item)
    return np.clip(np.where(required > 0, near + person + item, elsewhere), 1.0, 5.0)


def fit_weights(required: np.ndarray, technical_columns: np.ndarray) -> np.ndarray:
    """Weigh the standard's items: technical ones share half the fit, the rest the other half.

    Parameters
    ----------
    required
        (employees, competencies) required levels, 0 outside the standard.
    technical_columns
        Indices of the technical competencies (the other half: managerial and SK.01).
    """
    in_standard = required > 0
    technical = np.zeros(required.shape[1], dtype=bool)
    technical[technical_columns] = True
    n_tech = np.maximum((in_standard & technical).sum(axis=1, keepdims=True), 1)
    n_core = np.maximum((in_standard & ~technical).sum(axis=1, keepdims=True), 1)
    return np.where(technical, 0.5 / n_tech, 0.5 / n_core) * in_standard
