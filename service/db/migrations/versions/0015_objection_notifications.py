"""objection notifications

Two notification kinds: `objection_filed` (to the superior of the evaluation's rater, who
decides it) and `objection_decided` (to the employee who objected). The kind is checked by
the CHECK constraint `ck_notifications_notificationkind`: PostgreSQL drops and adds it;
SQLite cannot alter a CHECK, so the table is rebuilt from its own DDL with the new list
(nothing refers to it; its rows and indexes are kept). Downgrade deletes the notifications
of the two kinds, which the old list refuses, and writes the old list back.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06 22:10:00
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLE = "notifications"
CHECK = "ck_notifications_notificationkind"
OLD = (
    "realisation_due",
    "evaluation_due",
    "feedback_round_waiting",
    "development_jp_low",
    "risk_without_dialogue",
)
NEW = (*OLD, "objection_filed", "objection_decided")


def _condition(kinds: Sequence[str]) -> str:
    return "kind IN (" + ", ".join(f"'{kind}'" for kind in kinds) + ")"


def _set_kinds(kinds: Sequence[str]) -> None:
    if op.get_context().dialect.name == "postgresql":
        op.drop_constraint(op.f(CHECK), TABLE, type_="check")
        op.create_check_constraint(op.f(CHECK), TABLE, _condition(kinds))
        return
    bind = op.get_bind()
    ddl = bind.exec_driver_sql(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", (TABLE,)
    ).scalar_one()
    indexes = list(
        bind.exec_driver_sql(
            "SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? "
            "AND sql IS NOT NULL",
            (TABLE,),
        ).scalars()
    )
    check = re.compile(rf"CONSTRAINT {CHECK} CHECK \(kind IN \([^)]*\)\)")
    assert check.search(ddl), f"{TABLE} has no {CHECK} of the expected form"
    staged = f"{TABLE}_0015"
    ddl = re.sub(rf'^CREATE TABLE "?{TABLE}"?', f"CREATE TABLE {staged}", ddl, count=1)
    op.execute(check.sub(f"CONSTRAINT {CHECK} CHECK ({_condition(kinds)})", ddl))
    op.execute(f"INSERT INTO {staged} SELECT * FROM {TABLE}")
    op.execute(f"DROP TABLE {TABLE}")
    op.execute(f"ALTER TABLE {staged} RENAME TO {TABLE}")
    for index in indexes:
        op.execute(index)


def upgrade() -> None:
    _set_kinds(NEW)


def downgrade() -> None:
    op.execute(f"DELETE FROM {TABLE} WHERE kind IN ('objection_filed', 'objection_decided')")
    _set_kinds(OLD)
