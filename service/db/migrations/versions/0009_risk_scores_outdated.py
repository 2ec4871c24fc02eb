"""risk scores outdated

A stored risk score whose inputs changed after `kinerja score` wrote it was deleted; but the
batch score is also a record (the reminders read who was flagged, the team page keeps the
batch's order until the next run). The column marks it outdated instead: the single risk
read then computes the answer live, and the next `kinerja score` writes a fresh row.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-05 19:50:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("risk_scores") as batch:
        batch.add_column(
            sa.Column("outdated", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table("risk_scores") as batch:
        batch.drop_column("outdated")
