"""risk reviews

The `risk_reviews` table: a supervisor's review (agree or disagree, and why) of one
employee's risk answer for one period, with the probability, flag and model version the
answer had. One per employee and period (UNIQUE). A new table only: nothing existing is
rebuilt, and downgrade drops it.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07 01:15:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
DECISION = sa.Enum(
    "agree",
    "disagree",
    name="reviewdecision",
    native_enum=False,
    create_constraint=True,
    length=32,
)


def upgrade() -> None:
    op.create_table(
        "risk_reviews",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("employee_id", sa.Integer(), nullable=False),
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("decision", DECISION, nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("probability", sa.Float(), nullable=True),
        sa.Column("flagged", sa.Boolean(), nullable=False),
        sa.Column("model_version", sa.String(length=20), nullable=True),
        sa.Column("fallback", sa.Boolean(), nullable=False),
        sa.Column("reviewer_id", sa.Integer(), nullable=False),
        sa.Column(
            "reviewed_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["employee_id"], ["employees.id"], name=op.f("fk_risk_reviews_employee_id_employees")
        ),
        sa.ForeignKeyConstraint(
            ["reviewer_id"], ["employees.id"], name=op.f("fk_risk_reviews_reviewer_id_employees")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_risk_reviews")),
        sa.UniqueConstraint(
            "employee_id", "period", name=op.f("uq_risk_reviews_employee_id_period")
        ),
    )
    op.create_index(op.f("ix_risk_reviews_period"), "risk_reviews", ["period"])


def downgrade() -> None:
    op.drop_index(op.f("ix_risk_reviews_period"), table_name="risk_reviews")
    op.drop_table("risk_reviews")
