"""objections

The `objections` table: an employee's objection (*keberatan*) to an evaluation, with its
reason, the predikat before and after, who decided (the rater's superior) and when. One per
evaluation (UNIQUE), and a version column for If-Match. A new table only: nothing existing
is rebuilt, and downgrade drops it.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06 21:45:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
PREDIKAT = ("sangat_baik", "baik", "butuh_perbaikan", "kurang", "sangat_kurang")


def _enum(name: str, *values: str) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True, length=32)


def upgrade() -> None:
    op.create_table(
        "objections",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("evaluation_id", BIG_ID, nullable=False),
        sa.Column("employee_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column(
            "status",
            _enum("objectionstatus", "pending", "upheld", "rejected", "withdrawn"),
            server_default="pending",
            nullable=False,
        ),
        sa.Column("predikat_before", _enum("predikat_before", *PREDIKAT), nullable=False),
        sa.Column("predikat_after", _enum("predikat_after", *PREDIKAT), nullable=True),
        sa.Column("decided_by_user_id", sa.Integer(), nullable=True),
        sa.Column("decision_note", sa.Text(), nullable=True),
        sa.Column(
            "filed_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.ForeignKeyConstraint(
            ["evaluation_id"],
            ["evaluations.id"],
            name=op.f("fk_objections_evaluation_id_evaluations"),
        ),
        sa.ForeignKeyConstraint(
            ["employee_id"], ["employees.id"], name=op.f("fk_objections_employee_id_employees")
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_user_id"],
            ["users.id"],
            name=op.f("fk_objections_decided_by_user_id_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_objections")),
        sa.UniqueConstraint("evaluation_id", name=op.f("uq_objections_evaluation_id")),
    )
    op.create_index(op.f("ix_objections_employee_id"), "objections", ["employee_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_objections_employee_id"), table_name="objections")
    op.drop_table("objections")
