"""change counters

One row, `change_counters.generation`, bumped by triggers on every INSERT, UPDATE or DELETE
of the tables an access decision or a stored risk answer reads: `employees` (supervisor
chain, unit), `units` (the hr subtree), `skps` (appointed raters), `users` and `api_tokens`
(who the caller is), `risk_scores` (the stored answer). A worker may then keep decisions and
answers it computed and check them with one read of the counter per request: a change
committed to any of those tables moves the counter in the same transaction, so a cached
value is never staler than a read of the database would be (`service.auth.memo`).

SQLite has row triggers only (three per table: about a microsecond per written row).
PostgreSQL gets one statement trigger per table, so a bulk write bumps it once; the row is
locked from the statement to the commit, so writers of those tables commit one at a time.

A later revision that rebuilds one of these tables with `batch_alter_table` on SQLite (move
and copy) loses its triggers and must create them again.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06 02:15:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

WATCHED = ("employees", "units", "skps", "users", "api_tokens", "risk_scores")
OPERATIONS = ("insert", "update", "delete")
BUMP = "UPDATE change_counters SET generation = generation + 1 WHERE id = 1"


def _sqlite_upgrade() -> list[str]:
    return [
        f"CREATE TRIGGER {table}_{operation}_bumps_generation "
        f"AFTER {operation.upper()} ON {table} BEGIN {BUMP}; END"
        for table in WATCHED
        for operation in OPERATIONS
    ]


def _sqlite_downgrade() -> list[str]:
    return [
        f"DROP TRIGGER IF EXISTS {table}_{operation}_bumps_generation"
        for table in WATCHED
        for operation in OPERATIONS
    ]


def _postgresql_upgrade() -> list[str]:
    function = f"""
    CREATE FUNCTION bump_change_generation() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        {BUMP};
        RETURN NULL;
    END
    $$
    """
    triggers = [
        f"CREATE TRIGGER {table}_bumps_generation "
        f"AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table} "
        "FOR EACH STATEMENT EXECUTE FUNCTION bump_change_generation()"
        for table in WATCHED
    ]
    return [function, *triggers]


def _postgresql_downgrade() -> list[str]:
    triggers = [f"DROP TRIGGER IF EXISTS {table}_bumps_generation ON {table}" for table in WATCHED]
    return [*triggers, "DROP FUNCTION IF EXISTS bump_change_generation()"]


def upgrade() -> None:
    op.create_table(
        "change_counters",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("generation", sa.BigInteger(), server_default="0", nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_change_counters")),
    )
    op.execute("INSERT INTO change_counters (id, generation) VALUES (1, 0)")
    dialect = op.get_bind().dialect.name
    statements = _postgresql_upgrade() if dialect == "postgresql" else _sqlite_upgrade()
    for statement in statements:
        op.execute(statement)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    statements = _postgresql_downgrade() if dialect == "postgresql" else _sqlite_downgrade()
    for statement in statements:
        op.execute(statement)
    op.drop_table("change_counters")
