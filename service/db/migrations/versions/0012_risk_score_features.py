"""risk score features

Each stored risk score keeps the feature row it was computed from (`features`: float64
little-endian bytes in `FEATURE_NAMES` order) and the id of that feature list
(`feature_set`). A score that is not outdated still has valid inputs
(`service.serving.freshness`), so `kinerja score` answers it from the stored row instead of
reading the employee's history again.

Columns are added and dropped with plain ALTER TABLE on both backends (SQLite has native
ADD and DROP COLUMN since 3.35): `batch_alter_table` would rebuild `risk_scores` on SQLite
and lose the change-counter triggers of migration 0011.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06 05:15:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = ("features", "feature_set")


def upgrade() -> None:
    op.add_column("risk_scores", sa.Column("features", sa.LargeBinary(), nullable=True))
    op.add_column("risk_scores", sa.Column("feature_set", sa.String(16), nullable=True))


def downgrade() -> None:
    for name in reversed(COLUMNS):
        op.drop_column("risk_scores", name)
