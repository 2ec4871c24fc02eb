"""panel slices

`risk_feature_rows.panel_slice`: what the batch scoring's panel held for each employee over
the look-back of the row's period (`service.features.panel_slice`, about 0.5 kB deflated).
Scoring the next period then reads only that period's rows for an employee whose score of
this period is still fresh. A nullable column added with plain ALTER TABLE on both backends
(no rewrite); the rows stored before it have none, so their next period is read in full.

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-07 23:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0025"
down_revision: str | None = "0024"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("risk_feature_rows", sa.Column("panel_slice", sa.LargeBinary(), nullable=True))


def downgrade() -> None:
    op.drop_column("risk_feature_rows", "panel_slice")
