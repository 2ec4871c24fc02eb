"""risk scores fillfactor

PostgreSQL only: `risk_scores` pages are filled to half (`fillfactor` 50), so that the new
version of a row `kinerja score` rewrites in place (`training.score_write.update_arrays`:
every column it sets is unindexed) finds room in the row's own page. PostgreSQL then makes
it a HOT update (no entry added to the table's three indexes, the old version pruned from
the page by the next update that needs the room, without VACUUM); with full pages every new
version went to another page with three index entries. The re-score after a promotion,
6,250 rows a write on the 25k sample: 18.7 us of backend CPU a row with full pages, 6.2
with half-full ones. The web writes' `UPDATE ... SET outdated` (`service.serving.freshness`)
is such an update too.

The price is disk: the rows of every period take about twice the pages (some 300 bytes a
row with its drivers on the sample: 1.7 GB a period of 5.6 million employees at full pages,
3.4 GB at half). Pages written before stay as they are until a row moves out of one; the
first re-score after the upgrade moves the rows it rewrites into pages filled to half. SQLite
has no such setting (it rewrites a record in place whatever its page holds).

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-07 22:50:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0026"
down_revision: str | None = "0025"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: Per cent of a page PostgreSQL fills with new rows (the models' `postgresql_with`).
FILLFACTOR = 50


def upgrade() -> None:
    if op.get_context().dialect.name == "postgresql":
        op.execute(f"ALTER TABLE risk_scores SET (fillfactor = {FILLFACTOR})")


def downgrade() -> None:
    if op.get_context().dialect.name == "postgresql":
        op.execute("ALTER TABLE risk_scores RESET (fillfactor)")
