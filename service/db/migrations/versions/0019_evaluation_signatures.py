"""evaluation signatures

The `evaluation_signatures` table: the rater's and the evaluated employee's signatures on
one version of an evaluation's sheet, each with the SHA-256 digest of what the sheet held
when it was signed. One per evaluation, role and version (UNIQUE). A new table only: an
instance still on the previous release runs beside it, and downgrade drops it.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-07 04:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
ROLE = sa.Enum(
    "rater",
    "employee",
    name="signerrole",
    native_enum=False,
    create_constraint=True,
    length=32,
)


def upgrade() -> None:
    op.create_table(
        "evaluation_signatures",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("evaluation_id", BIG_ID, nullable=False),
        sa.Column("role", ROLE, nullable=False),
        sa.Column("signer_id", sa.Integer(), nullable=False),
        sa.Column("evaluation_version", sa.Integer(), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column(
            "signed_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["evaluation_id"],
            ["evaluations.id"],
            name=op.f("fk_evaluation_signatures_evaluation_id_evaluations"),
        ),
        sa.ForeignKeyConstraint(
            ["signer_id"],
            ["employees.id"],
            name=op.f("fk_evaluation_signatures_signer_id_employees"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evaluation_signatures")),
        sa.UniqueConstraint(
            "evaluation_id",
            "role",
            "evaluation_version",
            name=op.f("uq_evaluation_signatures_evaluation_id_role_evaluation_version"),
        ),
    )
    op.create_index(
        op.f("ix_evaluation_signatures_evaluation_id"),
        "evaluation_signatures",
        ["evaluation_id"],
    )


def downgrade() -> None:
    op.drop_index(
        op.f("ix_evaluation_signatures_evaluation_id"), table_name="evaluation_signatures"
    )
    op.drop_table("evaluation_signatures")
