"""The rule an evaluation's period code must follow in the database (migration 0010).

The same rule in each dialect's terms: a regular expression on PostgreSQL, BETWEEN and GLOB
patterns on SQLite, where a regular expression does not exist and a CASE or substr() would
cost four times the foreign key it replaced. The CHECK constraint of `evaluations` holds it;
compiled as a SQL expression, it also lets the synthetic writer verify rows on either
backend. Migration 0010 keeps its own frozen copy of both texts.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Boolean
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import ColumnElement

POSTGRESQL_RULE = r"period ~ '^(199[0-9]|20[0-9][0-9]|2100)(-Q[1-4]|-0[1-9]|-1[0-2])?$'"
# BETWEEN compares bytes under SQLite's BINARY collation; the quarter's pattern comes first.
SQLITE_RULE = (
    "period BETWEEN '1990' AND '2100-Q4' AND (period GLOB '[12][0-9][0-9][0-9]-Q[1-4]' "
    "OR period GLOB '[12][0-9][0-9][0-9]' OR period GLOB '[12][0-9][0-9][0-9]-0[1-9]' "
    "OR period GLOB '[12][0-9][0-9][0-9]-1[0-2]')"
)


class PeriodCodeRule(ColumnElement[bool]):
    """`period` is a year 1990-2100, a quarter or a month code, in the dialect's SQL."""

    type = Boolean()
    inherit_cache = True


@compiles(PeriodCodeRule)
def _postgresql(element: PeriodCodeRule, compiler: Any, **kwargs: Any) -> str:
    return POSTGRESQL_RULE


@compiles(PeriodCodeRule, "sqlite")
def _sqlite(element: PeriodCodeRule, compiler: Any, **kwargs: Any) -> str:
    return SQLITE_RULE
