"""window reopening period, SKP drafting runs

A reopening of the realisation window may name one period (`window_reopenings.period`, a
period code): it then reopens that period and the periods within it (a quarter its months,
a year its quarters and months), not every closed period of the employee or unit. Null
keeps the reopening as before: every period. A new nullable column only: an instance still
on the previous release runs beside it and reads a limited reopening as a whole one.

Downgrade deletes the reopenings limited to a period before it drops the column: kept, the
previous release would read them as reopening every period, which nobody granted. The
audit log keeps the record of each (`window_reopening` create rows).

The `skp_drafting_runs` table keeps each bulk drafting of a unit's SKPs (unit, year, scope,
who, how many drafts) and `skp_drafting_skips` whom it left without one and why, so the
page of a run shows what that run decided rather than what the rule gives on later data.
New tables only; downgrade drops them (the runs' plans and audit rows stay).

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-07 09:40:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("window_reopenings") as batch:
        batch.add_column(sa.Column("period", sa.String(length=7), nullable=True))
    _create_drafting_runs()


def _create_drafting_runs() -> None:
    op.create_table(
        "skp_drafting_runs",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("include_subunits", sa.Boolean(), nullable=False),
        sa.Column("created", sa.Integer(), nullable=False),
        sa.Column("run_by_user_id", sa.Integer(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["units.id"], name=op.f("fk_skp_drafting_runs_unit_id_units")
        ),
        sa.ForeignKeyConstraint(
            ["run_by_user_id"],
            ["users.id"],
            name=op.f("fk_skp_drafting_runs_run_by_user_id_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_skp_drafting_runs")),
    )
    op.create_index(op.f("ix_skp_drafting_runs_unit_id"), "skp_drafting_runs", ["unit_id"])
    op.create_table(
        "skp_drafting_skips",
        sa.Column("run_id", BIG_ID, nullable=False),
        sa.Column("employee_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=24), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["skp_drafting_runs.id"],
            name=op.f("fk_skp_drafting_skips_run_id_skp_drafting_runs"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["employee_id"],
            ["employees.id"],
            name=op.f("fk_skp_drafting_skips_employee_id_employees"),
        ),
        sa.PrimaryKeyConstraint("run_id", "employee_id", name=op.f("pk_skp_drafting_skips")),
    )


def downgrade() -> None:
    op.drop_table("skp_drafting_skips")
    op.drop_index(op.f("ix_skp_drafting_runs_unit_id"), table_name="skp_drafting_runs")
    op.drop_table("skp_drafting_runs")
    op.execute("DELETE FROM window_reopenings WHERE period IS NOT NULL")
    with op.batch_alter_table("window_reopenings") as batch:
        batch.drop_column("period")
