"""Rows that do not change over the history: units, positions, standards, employees, traits."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from training.synthetic.history import Chunk
from training.synthetic.organisation import TIER_NAMES
from training.synthetic.organisation import TIERS
from training.synthetic.writer import Batch


def static_batches(chunk: Chunk, nips: list[str]) -> Iterator[Batch]:
    """Yield the organisation, the employees (supervisors first) and their hidden traits."""
    yield _units(chunk)
    yield _positions(chunk)
    yield _standards(chunk)
    yield _employees(chunk, nips)
    yield _truth_employees(chunk)


def _units(chunk: Chunk) -> Batch:
    org, ids = chunk.org, chunk.ids
    parent = org.unit_parent
    return Batch(
        "units",
        {
            "id": ids.units,
            "name": org.unit_names,
            "code": org.unit_codes,
            "parent_id": [None if p < 0 else int(ids.units[p]) for p in parent.tolist()],
            "region": org.unit_regions,
        },
    )


def _positions(chunk: Chunk) -> Batch:
    org = chunk.org
    tiers = np.array(TIER_NAMES, dtype=object)[org.position_tier]
    kinds = np.array([TIERS[name][0].value for name in TIER_NAMES], dtype=object)
    return Batch(
        "positions",
        {
            "id": chunk.ids.positions,
            "title": org.position_titles,
            "kind": kinds[org.position_tier],
            "level": tiers,
            "unit_id": chunk.ids.units[org.position_unit],
        },
    )


def _standards(chunk: Chunk) -> Batch:
    rows, columns = np.nonzero(chunk.org.required > 0)
    return Batch(
        "competency_standards",
        {
            "position_id": chunk.ids.positions[rows],
            "competency_code": np.array(chunk.catalogue.competency_codes, dtype=object)[columns],
            "required_level": chunk.org.required[rows, columns],
        },
    )


def _employees(chunk: Chunk, nips: list[str]) -> Batch:
    people, ids = chunk.people, chunk.ids
    return Batch(
        "employees",
        {
            "id": ids.employees,
            "nip": nips,
            "name": people.names,
            "gender": people.genders,
            "birth_date": people.birth,
            "hire_date": people.hire,
            "grade": people.grades,
            "employment_status": people.status,
            "unit_id": ids.units[people.unit],
            "position_id": ids.positions[people.position],
            "supervisor_id": ids.supervisors(people.supervisor),
        },
    )


def _truth_employees(chunk: Chunk) -> Batch:
    people = chunk.people
    return Batch(
        "truth_employees",
        {
            "employee_id": chunk.ids.employees,
            "ability": people.ability,
            "disposition": people.disposition,
            "leniency": people.leniency,
            "harsh_rater": people.harsh,
            "rater_shift": chunk.shift,
        },
    )
