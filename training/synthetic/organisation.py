"""One agency's organisation tree, positions and competency standards (one chunk).

Shape: agency root (head: jpt_madya) -> directorates, bureaus or dinas (jpt_pratama) ->
sub-units (administrator) -> sections (pengawas). About one section per 13 employees, four
sections per sub-unit and four sub-units per directorate, each count varying at random.
Every unit has a head position and staff positions (fungsional ahli_* and, in sections,
pelaksana). Each directorate has a topic that decides the technical competencies of the
positions below it. Standards (domain.md 4.3): the eight managerial competencies and SK.01 at
the tier's level, plus 1-3 technical competencies near the tier's technical level.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from service.domain.entities import PositionKind
from training.synthetic.catalogue import Catalogue
from training.synthetic.vocabulary import CENTRAL_AGENCIES
from training.synthetic.vocabulary import FAMILIES
from training.synthetic.vocabulary import PROVINCES
from training.synthetic.vocabulary import REGENCIES
from training.synthetic.vocabulary import REGIONAL_PREFIXES
from training.synthetic.vocabulary import SUBTOPICS
from training.synthetic.vocabulary import TOPICS

#: Tier (position level) -> (kind, managerial level of domain.md 4.3, technical level).
TIERS: dict[str, tuple[PositionKind, int, int]] = {
    "jpt_madya": (PositionKind.STRUKTURAL, 5, 4),
    "jpt_pratama": (PositionKind.STRUKTURAL, 4, 4),
    "administrator": (PositionKind.STRUKTURAL, 3, 3),
    "pengawas": (PositionKind.STRUKTURAL, 2, 3),
    "ahli_madya": (PositionKind.FUNGSIONAL, 3, 4),
    "ahli_muda": (PositionKind.FUNGSIONAL, 2, 3),
    "ahli_pertama": (PositionKind.FUNGSIONAL, 1, 2),
    "pelaksana": (PositionKind.PELAKSANA, 1, 2),
}
TIER_NAMES: tuple[str, ...] = tuple(TIERS)
HEAD_TIERS: tuple[str, ...] = ("jpt_madya", "jpt_pratama", "administrator", "pengawas")
#: Staff tiers and their weights in a section, and in a higher unit.
SECTION_STAFF = {"pelaksana": 0.45, "ahli_pertama": 0.27, "ahli_muda": 0.2, "ahli_madya": 0.08}
UPPER_STAFF = {"ahli_muda": 0.5, "ahli_madya": 0.5}
EMPLOYEES_PER_SECTION = 13
CHILDREN_PER_UNIT = 4
CENTRAL_SHARE = 0.24
_HEAD_WORDS = (
    ("Direktorat", "Biro", "Pusat"),
    ("Subdirektorat", "Bagian"),
    ("Seksi", "Subbagian"),
)
_REGIONAL_WORDS = (("Dinas", "Badan"), ("Bidang", "Bagian"), ("Seksi", "Subbagian"))


@dataclass
class Organisation:
    """Units and positions of one agency, in insertion order (parents first).

    Unit arrays have one entry per unit, position arrays one per position; `unit_parent` and
    `position_unit` are local indices (-1 for the root's parent), `unit_topic` indexes
    TOPICS. `required` has shape (positions, competencies), 0 where a competency is not in
    the standard.
    """

    unit_names: list[str]
    unit_codes: list[str]
    unit_regions: list[str]
    unit_parent: np.ndarray
    unit_depth: np.ndarray
    unit_head_position: np.ndarray
    unit_topic: np.ndarray
    staff_weight: np.ndarray
    position_titles: list[str]
    position_tier: np.ndarray
    position_unit: np.ndarray
    required: np.ndarray
    staff_positions: dict[int, tuple[np.ndarray, np.ndarray]]

    @property
    def n_units(self) -> int:
        """Number of units (the root included)."""
        return len(self.unit_names)


def build_organisation(
    n_employees: int, agency_no: int, catalogue: Catalogue, rng: np.random.Generator
) -> Organisation:
    """Build the tree, positions and standards for an agency of `n_employees`."""
    parent, depth = _tree_shape(n_employees, rng)
    names, regions, topics = _unit_labels(parent, depth, rng)
    org = Organisation(
        unit_names=names,
        unit_codes=_unit_codes(parent, agency_no),
        unit_regions=regions,
        unit_parent=parent,
        unit_depth=depth,
        unit_head_position=np.zeros(len(parent), dtype=np.int64),
        unit_topic=topics,
        staff_weight=_staff_weights(depth, rng),
        position_titles=[],
        position_tier=np.zeros(0, dtype=np.int8),
        position_unit=np.zeros(0, dtype=np.int64),
        required=np.zeros((0, len(catalogue.competency_codes)), dtype=np.int8),
        staff_positions={},
    )
    _add_positions(org, topics, catalogue, rng)
    return org


def _tree_shape(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Return parent (local index, -1 for the root) and depth of every unit, BFS order."""
    sections = max(1, round(n / EMPLOYEES_PER_SECTION))
    subunits = max(1, -(-sections // CHILDREN_PER_UNIT))
    directorates = max(1, -(-subunits // CHILDREN_PER_UNIT))
    parent = [-1] + [0] * directorates
    first_sub = len(parent)
    parent += list(1 + _spread(subunits, directorates, rng))
    parent += list(first_sub + _spread(sections, subunits, rng))
    depth = np.concatenate(
        [[0], np.full(directorates, 1), np.full(subunits, 2), np.full(sections, 3)]
    )
    return np.array(parent, dtype=np.int64), depth.astype(np.int8)


def _spread(children: int, parents: int, rng: np.random.Generator) -> np.ndarray:
    """Give each parent at least one child and the rest at random; sorted parent indices."""
    extra = rng.multinomial(children - parents, np.full(parents, 1 / parents))
    return np.repeat(np.arange(parents), 1 + extra)


def _unit_labels(
    parent: np.ndarray, depth: np.ndarray, rng: np.random.Generator
) -> tuple[list[str], list[str], np.ndarray]:
    """Name units, place them in provinces and give each its topic (index into TOPICS)."""
    central = rng.random() < CENTRAL_SHARE
    home = "DKI Jakarta" if central else str(rng.choice(PROVINCES))
    words = _HEAD_WORDS if central else _REGIONAL_WORDS
    topics = np.zeros(len(parent), dtype=np.int64)
    names, regions = [_agency_name(central, home, rng)], [home]
    for u in range(1, len(parent)):
        p = int(parent[u])
        level = int(depth[u]) - 1
        topics[u] = rng.integers(len(TOPICS)) if level == 0 else topics[p]
        topic = TOPICS[topics[u]][0]
        word = str(rng.choice(words[level]))
        label = topic if level == 0 else f"{rng.choice(SUBTOPICS)} {topic}"
        names.append(f"{word} {label}")
        vertical = central and level == 0 and rng.random() < 0.3
        regions.append(str(rng.choice(PROVINCES)) if vertical else regions[p])
    topics[0] = rng.integers(len(TOPICS))
    return names, regions, topics


def _agency_name(central: bool, province: str, rng: np.random.Generator) -> str:
    if central:
        return str(rng.choice(CENTRAL_AGENCIES))
    prefix = str(rng.choice(REGIONAL_PREFIXES))
    place = province if prefix == "Pemerintah Provinsi" else str(rng.choice(REGENCIES))
    return f"{prefix} {place}"


def _unit_codes(parent: np.ndarray, agency_no: int) -> list[str]:
    """Hierarchical codes such as S0003.02.01.04, unique across agencies."""
    codes = [f"S{agency_no:04d}"]
    counters: dict[int, int] = {}
    for u in range(1, len(parent)):
        p = int(parent[u])
        counters[p] = counters.get(p, 0) + 1
        codes.append(f"{codes[p]}.{counters[p]:02d}")
    return codes


def _staff_weights(depth: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Share of the staff each unit gets: most in sections (of varying sizes), a few above."""
    share = np.array([0.01, 0.05, 0.10, 0.84])[depth]
    counts = np.bincount(depth, minlength=4).astype(float)
    weights = share / counts[depth] * rng.gamma(4.0, 0.25, len(depth))
    return weights / weights.sum()


def _add_positions(
    org: Organisation, topics: np.ndarray, catalogue: Catalogue, rng: np.random.Generator
) -> None:
    """Create the head and staff positions of every unit with their standards."""
    titles: list[str] = []
    tiers: list[int] = []
    required: list[np.ndarray] = []
    units: list[int] = []
    for u in range(org.n_units):
        focus = [catalogue.competency_codes.index(code) for code in TOPICS[topics[u]][1:]]
        head_tier = HEAD_TIERS[int(org.unit_depth[u])]
        staff = SECTION_STAFF if org.unit_depth[u] == 3 else UPPER_STAFF
        org.unit_head_position[u] = len(titles)
        first_staff = len(titles) + 1
        for tier in (head_tier, *staff):
            if tier == head_tier:
                titles.append(_head_title(org.unit_names[u], root=u == 0))
            else:
                titles.append(_staff_title(tier, catalogue.competency_codes[focus[0]]))
            tiers.append(TIER_NAMES.index(tier))
            required.append(_standard(tier, focus, catalogue, rng))
            units.append(u)
        weights = np.array(list(staff.values()))
        org.staff_positions[u] = (np.arange(first_staff, len(titles)), weights / weights.sum())
    org.position_titles = titles
    org.position_tier = np.array(tiers, dtype=np.int8)
    org.position_unit = np.array(units, dtype=np.int64)
    org.required = np.stack(required).astype(np.int8)


def _standard(
    tier: str, focus: list[int], catalogue: Catalogue, rng: np.random.Generator
) -> np.ndarray:
    """Required levels of one position: managerial and SK.01 at tier level, 1-3 technical."""
    _, managerial, technical = TIERS[tier]
    levels = np.zeros(len(catalogue.competency_codes), dtype=np.int8)
    levels[catalogue.managerial] = managerial
    levels[catalogue.sociocultural] = managerial
    chosen = [focus[0]]
    if rng.random() < 0.6:
        chosen.append(focus[1])
    if rng.random() < 0.3:
        chosen.append(int(rng.choice(catalogue.technical)))
    for k in set(chosen):
        levels[k] = np.clip(technical - rng.integers(0, 2), 1, 5)
    return levels


def _head_title(unit_name: str, *, root: bool) -> str:
    """Title of a unit's head: Direktur X, Kepala X, or the agency's Sekretaris."""
    word, _, rest = unit_name.partition(" ")
    if root and word == "Pemerintah":
        return f"Sekretaris Daerah {rest}"
    if root:
        return f"Sekretaris {unit_name}"
    if word == "Direktorat":
        return f"Direktur {rest}"
    return f"Kepala {unit_name}"


def _staff_title(tier: str, competency_code: str) -> str:
    family, pelaksana = FAMILIES[competency_code]
    if tier == "pelaksana":
        return pelaksana
    return f"{family} {tier.replace('_', ' ').title()}"
