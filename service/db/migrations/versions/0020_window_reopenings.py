"""window reopenings

The `window_reopenings` table: hr reopening the realisation window of one employee or one
unit (and the units below it) until a day, with the reason (`domain.entry_windows`). Exactly
one of employee and unit is set (CHECK). A new table only: an instance still on the previous
release runs beside it (it ignores reopenings and keeps no window), and downgrade drops it.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-07 06:40:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "window_reopenings",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("employee_id", sa.Integer(), nullable=True),
        sa.Column("unit_id", sa.Integer(), nullable=True),
        sa.Column("until", sa.Date(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("granted_by_user_id", sa.Integer(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "(employee_id IS NULL) <> (unit_id IS NULL)",
            name=op.f("ck_window_reopenings_one_scope"),
        ),
        sa.ForeignKeyConstraint(
            ["employee_id"],
            ["employees.id"],
            name=op.f("fk_window_reopenings_employee_id_employees"),
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["units.id"], name=op.f("fk_window_reopenings_unit_id_units")
        ),
        sa.ForeignKeyConstraint(
            ["granted_by_user_id"],
            ["users.id"],
            name=op.f("fk_window_reopenings_granted_by_user_id_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_window_reopenings")),
    )
    op.create_index(op.f("ix_window_reopenings_employee_id"), "window_reopenings", ["employee_id"])
    op.create_index(op.f("ix_window_reopenings_unit_id"), "window_reopenings", ["unit_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_window_reopenings_unit_id"), table_name="window_reopenings")
    op.drop_index(op.f("ix_window_reopenings_employee_id"), table_name="window_reopenings")
    op.drop_table("window_reopenings")
