"""evaluation period check

`evaluations.period` referred to `periods.code` by a foreign key; it is now checked by a
CHECK constraint `ck_evaluations_period_code` that accepts exactly the period codes API.md
allows (a year 1990-2100, a quarter, a month). Why:

* A `periods` row is derived from its code alone (kind, year, first and last day), so what
  the key guarded, "the period is a real period", is what the CHECK states, on every row,
  without a second table. Every writer still records the period (`ensure_periods`, called
  by the API, the import and the CLI before they write), and periods are never deleted.
* The key was checked row by row: on PostgreSQL one trigger call and one `FOR KEY SHARE`
  look-up per inserted row, a quarter of the server's CPU in a bulk import (0.33 of 1.35 s
  per 100k rows); the CHECK is a regular expression on a seven-character text.

The keys to `employees` (the evaluated employee and the rater) stay: an employee is real
data, and only a key locks it against a concurrent delete.

SQLite cannot drop a foreign key, so its table is rebuilt from its own DDL as in 0008
(nothing refers to `evaluations`), with GLOB patterns instead of the regular expression
(a CASE or substr() in the rule would cost SQLite four times the key per row).
Downgrade first stores the `periods` rows that evaluations name and the table lacks, then
puts the key back.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-05 21:40:00
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable
from collections.abc import Sequence
from datetime import date

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLE = "evaluations"
KEY = "fk_evaluations_period_periods"
CHECK = "ck_evaluations_period_code"
POSTGRESQL_RULE = r"period ~ '^(199[0-9]|20[0-9][0-9]|2100)(-Q[1-4]|-0[1-9]|-1[0-2])?$'"
# BETWEEN compares bytes under SQLite's BINARY collation; the quarter's pattern comes first
# (the common case: one GLOB per row, about what the key's look-up cost).
SQLITE_RULE = (
    "period BETWEEN '1990' AND '2100-Q4' AND (period GLOB '[12][0-9][0-9][0-9]-Q[1-4]' "
    "OR period GLOB '[12][0-9][0-9][0-9]' OR period GLOB '[12][0-9][0-9][0-9]-0[1-9]' "
    "OR period GLOB '[12][0-9][0-9][0-9]-1[0-2]')"
)
_SQLITE_KEY = f"CONSTRAINT {KEY} FOREIGN KEY(period) REFERENCES periods (code)"
_SQLITE_CHECK = f"CONSTRAINT {CHECK} CHECK ({SQLITE_RULE})"


def upgrade() -> None:
    if op.get_context().dialect.name == "sqlite":
        _rebuild(lambda ddl: _replace(ddl, _SQLITE_KEY, _SQLITE_CHECK))
        return
    op.drop_constraint(op.f(KEY), TABLE, type_="foreignkey")
    op.create_check_constraint(op.f(CHECK), TABLE, sa.text(POSTGRESQL_RULE))


def downgrade() -> None:
    _store_missing_periods()
    if op.get_context().dialect.name == "sqlite":
        _rebuild(lambda ddl: _replace(ddl, _SQLITE_CHECK, _SQLITE_KEY))
        return
    op.drop_constraint(op.f(CHECK), TABLE, type_="check")
    op.create_foreign_key(op.f(KEY), TABLE, "periods", ["period"], ["code"])


def _replace(ddl: str, old: str, new: str) -> str:
    if old not in ddl:
        raise RuntimeError(f"{TABLE} has no {old!r}; was it changed by hand?")
    return ddl.replace(old, new, 1)


def _rebuild(rewrite: Callable[[str], str]) -> None:
    """Recreate the table from its own DDL passed through `rewrite`, keeping rows and indexes."""
    bind = op.get_bind()
    ddl = bind.exec_driver_sql(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", (TABLE,)
    ).scalar_one()
    indexes = list(
        bind.exec_driver_sql(
            "SELECT sql FROM sqlite_master "
            "WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL",
            (TABLE,),
        ).scalars()
    )
    staged = f"{TABLE}_0010"
    ddl = re.sub(rf'^CREATE TABLE "?{TABLE}"?', f"CREATE TABLE {staged}", ddl, count=1)
    op.execute(rewrite(ddl))
    op.execute(f"INSERT INTO {staged} SELECT * FROM {TABLE}")
    op.execute(f"DROP TABLE {TABLE}")
    op.execute(f"ALTER TABLE {staged} RENAME TO {TABLE}")
    for index in indexes:
        op.execute(index)


def _store_missing_periods() -> None:
    """Insert the `periods` rows of codes that evaluations name and the table lacks."""
    bind = op.get_bind()
    missing = bind.execute(
        sa.text(
            f"SELECT DISTINCT period FROM {TABLE} WHERE period NOT IN (SELECT code FROM periods)"
        )
    ).scalars()
    rows = [_period_row(code) for code in missing]
    if rows:
        insert = "INSERT INTO periods (code, kind, year, starts_on, ends_on) "
        bind.execute(sa.text(insert + "VALUES (:code, :kind, :year, :starts_on, :ends_on)"), rows)


def _period_row(code: str) -> dict[str, object]:
    """The `periods` row of a code the CHECK accepted (service.domain.periods, frozen here)."""
    year = int(code[:4])
    if len(code) == 4:
        kind, first, last = "year", 1, 12
    elif code[5] == "Q":
        kind, first = "quarter", 3 * int(code[6]) - 2
        last = first + 2
    else:
        kind, first = "month", int(code[5:])
        last = first
    end = date(year, last, calendar.monthrange(year, last)[1])
    return {
        "code": code,
        "kind": kind,
        "year": year,
        "starts_on": date(year, first, 1),
        "ends_on": end,
    }
