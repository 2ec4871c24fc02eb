"""notification preferences

The `notification_preferences` table: per login, the notification kinds it does not want
emailed (a JSON list; no row: every kind is emailed), versioned for If-Match. The nullable
column `notifications.email_skipped_at` marks a notification the mail sender left out
because its kind was switched off, so it is not picked up again (the in-app entry stays).

Both are additions an instance still on the previous release can run beside (a new table,
a nullable column). Downgrade drops them; on SQLite the column goes with ALTER TABLE DROP
COLUMN (3.35+) rather than a batch rebuild, which would lose the CHECK on `kind`.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-07 03:45:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "notification_preferences",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("email_off", sa.JSON(), nullable=False),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_notification_preferences_user_id_users")
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_notification_preferences")),
    )
    op.add_column(
        "notifications", sa.Column("email_skipped_at", sa.DateTime(timezone=True), nullable=True)
    )


def downgrade() -> None:
    if op.get_context().dialect.name == "sqlite":
        op.execute("ALTER TABLE notifications DROP COLUMN email_skipped_at")
    else:
        op.drop_column("notifications", "email_skipped_at")
    op.drop_table("notification_preferences")
