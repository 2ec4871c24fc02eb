"""The fairness report of a cycle (peers.md 8.3): do the ratings and the risk flags of a unit
and period differ between groups of people by more than chance explains?

Groups by gender, age band at the period's end, golongan group and the unit's direct child
unit (its own members form a group under its name); a missing gender, birth date or golongan
is the group `unknown`. Per group: the share with a poor predikat, the mean rating score
(`rating_statistics.rating_score`) and the share flagged at risk by the model version served
(or the rule fallback when none is), each with its difference to the rest of the population
and that difference's interval (`rating_statistics`), at 95 % over every group comparison of
the report together, so a big unit does not mark one by chance. A marked group is a question
for calibration, not proof of bias: the group may really perform differently.

Groups under `policy.SMALL_GROUP` people are shown as too small, without figures, for every
reader; so is the next smallest group while the groups left out hold 1 to SMALL_GROUP - 1
people together (their figures would follow from the total's). hr over the unit and admin
also get the raters' gender gaps (`rater_gaps`), each named rater's read audited; the data
team gets the group tables only.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from statistics import fmean
from statistics import pstdev
from typing import Any

from sqlalchemy.orm import Session

from service.auth import policy
from service.db.repositories import calibration as repo
from service.domain.audit import Actor
from service.domain.audit import record_reads
from service.domain.entities import Role
from service.domain.groups import AGE_BANDS
from service.domain.groups import GRADE_GROUPS
from service.domain.groups import UNKNOWN
from service.domain.groups import age_band
from service.domain.groups import grade_group
from service.domain.periods import parse_period
from service.domain.rater_gaps import RaterGaps
from service.domain.rater_gaps import rater_gaps
from service.domain.rating_statistics import Interval
from service.domain.rating_statistics import against_rest
from service.domain.rating_statistics import critical_z
from service.domain.rating_statistics import rating_score

RESOURCE = "rating_fairness"
READERS = (Role.ADMIN, Role.HR, Role.DATA)
SMALL = policy.SMALL_GROUP
ATTRIBUTES = ("gender", "age_band", "grade_group", "unit")
RATING_MEASURES = ("poor_share", "mean_score")
FLAG_MEASURE = "flagged_share"
#: The order groups are listed in (units: by name).
_ORDER = {
    "gender": ("L", "P", UNKNOWN),
    "age_band": (*(name for _, _, name in AGE_BANDS), UNKNOWN),
    "grade_group": (*GRADE_GROUPS, UNKNOWN),
}
#: One person's group under each attribute, and their value under each measure.
Person = tuple[dict[str, str], dict[str, float]]
ByGroup = dict[str, list[float]]


@dataclass(frozen=True)
class GroupFigure:
    """One group under one measure; `size` None: too small to show."""

    group: str
    name: str | None
    size: int | None
    value: float | None
    #: The group's value minus the rest's (None: too small, or no rest to compare with).
    interval: Interval | None

    @property
    def marked(self) -> bool:
        """Whether the interval excludes zero."""
        return self.interval is not None and self.interval.sign != 0


@dataclass(frozen=True)
class GroupTable:
    attribute: str
    measure: str
    size: int
    #: The whole population's value (None under `SMALL` people).
    overall: float | None
    groups: list[GroupFigure]


@dataclass(frozen=True)
class FairnessReport:
    unit_id: int
    period: str
    evaluations: int
    scored: int
    model_version: str | None
    critical_z: float | None
    tables: list[GroupTable]
    #: None for the data team (raters are people).
    raters: RaterGaps | None

    def table(self, attribute: str, measure: str) -> GroupTable:
        """The groups of `attribute` under `measure`."""
        return next(t for t in self.tables if (t.attribute, t.measure) == (attribute, measure))


def rating_fairness(
    session: Session, actor: Actor, unit_id: int, period: str, model_version: str | None
) -> FairnessReport:
    """The unit's (and the units below) fairness report of `period`; the flags counted are
    those of model `model_version` (None: of the rule fallback)."""
    parsed = parse_period(period)
    policy.require_role(actor, READERS)
    policy.visible_unit(session, actor, unit_id)
    rows = repo.unit_ratings_of_people(session, unit_id, parsed.code)
    flags = repo.unit_flags(session, unit_id, parsed.code, model_version)
    branch, names = _branches(repo.subtree_units(session, unit_id), unit_id)

    def groups_of(row: Any) -> dict[str, str]:
        return _groups(row, parsed.ends_on, branch)

    rated = [(groups_of(row), _rating_values(row)) for row in rows]
    flagged = [(groups_of(row), {FLAG_MEASURE: float(row.flagged)}) for row in flags]
    tables = _by_group(rated, RATING_MEASURES) + _by_group(flagged, (FLAG_MEASURE,))
    z, figures = _figures(tables, names)
    raters = None if actor.role is Role.DATA else rater_gaps(rows)
    if raters is not None:
        record_reads(session, actor, RESOURCE, sorted(r.rater_id for r in raters.raters))
    return FairnessReport(
        unit_id, parsed.code, len(rows), len(flags), model_version, z, figures, raters
    )


def _groups(row: Any, ends_on: date, branch: dict[int, int]) -> dict[str, str]:
    return {
        "gender": row.gender.value if row.gender is not None else UNKNOWN,
        "age_band": age_band(row.birth_date, ends_on),
        "grade_group": grade_group(row.grade),
        "unit": str(branch[row.unit_id]),
    }


def _rating_values(row: Any) -> dict[str, float]:
    return {"poor_share": float(row.predikat.is_poor), "mean_score": rating_score(row)}


def _branches(units: list[Any], root: int) -> tuple[dict[int, int], dict[str, str]]:
    """Each unit's branch (the root's direct child above it, or the root), and the names."""
    parent = {unit.id: unit.parent_id for unit in units}
    branch = {root: root}

    def find(unit: int) -> int:
        if unit not in branch:
            branch[unit] = unit if parent[unit] == root else find(parent[unit])
        return branch[unit]

    for unit in parent:
        find(unit)
    return branch, {str(unit.id): unit.name for unit in units}


def _by_group(people: list[Person], measures: Sequence[str]) -> list[tuple[str, str, ByGroup]]:
    """(attribute, measure, the values of each group) for every attribute and measure."""
    tables = []
    for measure in measures:
        for attribute in ATTRIBUTES:
            groups: ByGroup = defaultdict(list)
            for grouped, values in people:
                groups[grouped[attribute]].append(values[measure])
            tables.append((attribute, measure, dict(groups)))
    return tables


def _figures(
    tables: list[tuple[str, str, ByGroup]], names: dict[str, str]
) -> tuple[float | None, list[GroupTable]]:
    """The tables with their figures, at the critical z over every comparison in them."""
    shown = [shown_groups(groups) for _, _, groups in tables]
    compared = sum(len(_compared(g, s)) for (_, _, g), s in zip(tables, shown, strict=True))
    z = critical_z(compared)
    order = _order_of(names)
    found = [
        _table(attribute, measure, groups, keep, z, order[attribute], names)
        for (attribute, measure, groups), keep in zip(tables, shown, strict=True)
    ]
    return z, found


def shown_groups(groups: ByGroup) -> set[str]:
    """Groups of at least `SMALL` people, less the smallest others while the groups left
    out hold 1 to SMALL - 1 people together."""
    sizes = {group: len(values) for group, values in groups.items()}
    shown = {group for group, size in sizes.items() if size >= SMALL}
    while shown and 0 < sum(sizes.values()) - sum(sizes[g] for g in shown) < SMALL:
        shown.remove(min(shown, key=lambda g: (sizes[g], g)))
    return shown


def _compared(groups: ByGroup, shown: set[str]) -> set[str]:
    """The shown groups with a rest of at least `SMALL` people to compare with."""
    total = sum(len(values) for values in groups.values())
    return {group for group in shown if total - len(groups[group]) >= SMALL}


def _table(
    attribute: str, measure: str, groups: ByGroup, shown: set[str], z: float | None,
    order: Callable[[str], Any], names: dict[str, str],
) -> GroupTable:  # fmt: skip
    everyone = [value for values in groups.values() for value in values]
    total = sum(everyone)
    overall = fmean(everyone) if len(everyone) >= SMALL else None
    sd = pstdev(everyone) if everyone else 0.0
    compared = _compared(groups, shown)
    figures = []
    for group in sorted(groups, key=order):
        name = names.get(group) if attribute == "unit" else None
        if group not in shown:
            figures.append(GroupFigure(group, name, None, None, None))
            continue
        own = groups[group]
        interval = None
        if group in compared and z is not None:
            rest_total, rest_size = total - sum(own), len(everyone) - len(own)
            interval = against_rest(own, rest_total, rest_size, sd, z)
        figures.append(GroupFigure(group, name, len(own), fmean(own), interval))
    return GroupTable(attribute, measure, len(everyone), overall, figures)


def _order_of(names: dict[str, str]) -> dict[str, Callable[[str], Any]]:
    """Sort keys of the groups under each attribute."""
    order: dict[str, Callable[[str], Any]] = {
        attribute: listed.index for attribute, listed in _ORDER.items()
    }
    order["unit"] = lambda group: (names.get(group, ""), group)
    return order
