"""risk feature rows

The stored feature rows move from `risk_scores.features` (migration 0012) to a table of
their own, `risk_feature_rows`, keyed like the scores by (employee_id, period). A re-score
after a promotion answers every employee again from the stored feature rows and rewrites
the answers only: on SQLite an update rewrites the whole record, so with the 432-byte blob
inside each score (about 530 bytes an unflagged row, against 100 without) the write stage
cost 11.7 us an employee, much of it moving bytes that did not change. `feature_set` stays
on `risk_scores`: it says what the answer was computed on, and the feature row follows it.

The blobs are copied over (and back on downgrade) with one INSERT ... SELECT (UPDATE on the
way down); the column is dropped and added with plain ALTER TABLE on both backends, as 0012
did, so SQLite keeps the change-counter triggers of 0011. On SQLite the drop rewrites
`risk_scores` (minutes at national size); PostgreSQL only marks the column dropped.

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-07 19:20:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0024"
down_revision: str | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLE = "risk_feature_rows"


def upgrade() -> None:
    op.create_table(
        TABLE,
        sa.Column("employee_id", sa.Integer(), nullable=False),
        sa.Column("period", sa.String(7), nullable=False),
        sa.Column("features", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["employee_id"],
            ["employees.id"],
            name=op.f("fk_risk_feature_rows_employee_id_employees"),
        ),
        sa.PrimaryKeyConstraint("employee_id", "period", name=op.f("pk_risk_feature_rows")),
    )
    op.execute(
        f"INSERT INTO {TABLE} (employee_id, period, features) "
        "SELECT employee_id, period, features FROM risk_scores WHERE features IS NOT NULL"
    )
    op.drop_column("risk_scores", "features")


def downgrade() -> None:
    op.add_column("risk_scores", sa.Column("features", sa.LargeBinary(), nullable=True))
    # Only when there is a row to copy back: PostgreSQL's change counter (0011) is bumped by
    # a statement-level trigger, so an UPDATE of no row would still tell every worker that
    # the scores changed.
    if op.get_bind().execute(sa.text(f"SELECT 1 FROM {TABLE} LIMIT 1")).first() is not None:
        op.execute(
            f"UPDATE risk_scores SET features = (SELECT f.features FROM {TABLE} f "
            "WHERE f.employee_id = risk_scores.employee_id AND f.period = risk_scores.period)"
        )
    op.drop_table(TABLE)
