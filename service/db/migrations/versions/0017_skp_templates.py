"""skp templates

The `skp_templates` table: one SKP template per position (model, approach, and its RHK with
their indicators as one JSON document), which bulk drafting copies into each holder's draft
SKP. A new table only: nothing existing is rebuilt, and downgrade drops it.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07 03:45:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _enum(name: str, *values: str) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True, length=32)


def upgrade() -> None:
    op.create_table(
        "skp_templates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("position_id", sa.Integer(), nullable=False),
        sa.Column("model", _enum("skpmodel", "jpt", "ja_jf"), nullable=False),
        sa.Column("approach", _enum("skpapproach", "kuantitatif", "kualitatif"), nullable=False),
        sa.Column("rhks", sa.JSON(), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.ForeignKeyConstraint(
            ["position_id"], ["positions.id"], name=op.f("fk_skp_templates_position_id_positions")
        ),
        sa.ForeignKeyConstraint(
            ["updated_by_id"],
            ["employees.id"],
            name=op.f("fk_skp_templates_updated_by_id_employees"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_skp_templates")),
        sa.UniqueConstraint("position_id", name=op.f("uq_skp_templates_position_id")),
    )


def downgrade() -> None:
    op.drop_table("skp_templates")
