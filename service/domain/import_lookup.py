"""What the database already holds for an import file, looked up at once, never per row."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy import ColumnElement
from sqlalchemy import Text
from sqlalchemy import and_
from sqlalchemy import any_
from sqlalchemy import bindparam
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.db.models import Employee
from service.db.models import Evaluation
from service.db.repositories.organisation import unit_subtree_ids

_LOOKUP_CHUNK = 5000
_SQLITE_HAS_JSON = sqlite3.sqlite_version_info >= (3, 38)  # JSON functions built in


@dataclass(frozen=True)
class Known:
    """NIP -> employee id, each employee's unit, and the stored (id, period) pairs."""

    employee_ids: dict[str, int]
    unit_of: dict[int, int]
    evaluated: set[tuple[int, str]]

    @classmethod
    def load(cls, session: Session, nips: Collection[str], periods: Collection[str]) -> Known:
        """Look up the file's NIPs and their evaluations for the file's periods, at once.

        Plain rows on the session's connection: the ORM's result handling would cost more
        than the query for a file of 100k NIPs.
        """
        employee_ids: dict[str, int] = {}
        unit_of: dict[int, int] = {}
        evaluated: set[tuple[int, str]] = set()
        on = and_(Evaluation.employee_id == Employee.id, Evaluation.period.in_(list(periods)))
        for condition in _nip_conditions(session.get_bind().dialect.name, list(nips)):
            query = (
                select(Employee.nip, Employee.id, Employee.unit_id, Evaluation.period)
                .outerjoin(Evaluation, on)
                .where(condition)
            )
            for nip, employee_id, unit_id, period in session.connection().execute(query):
                employee_ids[nip] = employee_id
                unit_of[employee_id] = unit_id
                if period is not None:
                    evaluated.add((employee_id, period))
        return cls(employee_ids, unit_of, evaluated)


def units_below(session: Session, root_id: int | None) -> set[int]:
    """The ids of `root_id` and every unit below it (none without a root)."""
    if root_id is None:
        return set()
    return set(session.scalars(unit_subtree_ids(root_id)))


def _nip_conditions(dialect: str, nips: list[str]) -> list[ColumnElement[bool]]:
    """One condition per query: a whole-list parameter where the database has one."""
    if dialect == "postgresql":  # NIPs are digits: one comma-separated text is the cheapest
        listed = func.string_to_array(bindparam("nips", ",".join(nips), type_=Text), ",")
        return [Employee.nip == any_(listed)]
    if dialect == "sqlite" and _SQLITE_HAS_JSON:
        listed = func.json_each(json.dumps(nips)).table_valued("value")
        return [Employee.nip.in_(select(listed.c.value))]
    chunks = range(0, len(nips), _LOOKUP_CHUNK)
    return [Employee.nip.in_(nips[start : start + _LOOKUP_CHUNK]) for start in chunks]
