"""window reopening period

A reopening of the realisation window may name one period (`window_reopenings.period`, a
period code): it then reopens that period and the periods within it (a quarter its months,
a year its quarters and months), not every closed period of the employee or unit. Null
keeps the reopening as before: every period. A new nullable column only: an instance still
on the previous release runs beside it and reads a limited reopening as a whole one.

Downgrade deletes the reopenings limited to a period before it drops the column: kept, the
previous release would read them as reopening every period, which nobody granted. The
audit log keeps the record of each (`window_reopening` create rows).

Revision ID: 0022
Revises: 0020
Create Date: 2026-12-07 09:40:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0022"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("window_reopenings") as batch:
        batch.add_column(sa.Column("period", sa.String(length=7), nullable=True))


def downgrade() -> None:
    op.execute("DELETE FROM window_reopenings WHERE period IS NOT NULL")
    with op.batch_alter_table("window_reopenings") as batch:
        batch.drop_column("period")
