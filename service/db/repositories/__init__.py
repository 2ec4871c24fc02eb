"""Repositories: the only code that builds `select()` for the API's aggregates; never commits.

One module per aggregate: `organisation` (units, positions, employees and the two trees),
`performance` (SKP, evaluations, feedback, unit grades), `development` (competencies,
assessments, attendance, trainings), `access` (users, tokens, login attempts, idempotency,
audit). Lists come back as a `Page` of items and the total before paging.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from typing import Generic
from typing import TypeVar

from sqlalchemy import Select
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.orm import Session

T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a list and the number of rows of the whole list."""

    items: list[T]
    total: int


def paginate(session: Session, query: Select[Any], limit: int, offset: int) -> Page[Any]:
    """Run `query` for one page (it must be ordered) and count the whole result."""
    total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    items = list(session.scalars(query.limit(limit).offset(offset)))
    return Page(items, int(total or 0))
