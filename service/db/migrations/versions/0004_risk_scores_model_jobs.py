"""risk scores model jobs

Tables of the risk model (issue 4): `risk_scores` (one batch-scored risk per employee and
period, written by `kinerja score`; read by the service) and `model_jobs` (retrain requests
from `POST /api/v1/models/retrain`, run outside the web workers). Only new tables.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 16:00:23.085785
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "model_jobs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("requested_by_user_id", sa.Integer(), nullable=True),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("result", sa.JSON(), nullable=True),
        sa.Column("message", sa.Text(), nullable=True),
        sa.Column("pid", sa.Integer(), nullable=True),
        sa.Column(
            "requested_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status IN ('queued', 'running', 'succeeded', 'failed')",
            name=op.f("ck_model_jobs_model_job_status"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_model_jobs")),
    )
    with op.batch_alter_table("model_jobs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_model_jobs_status"), ["status"], unique=False)

    op.create_table(
        "risk_scores",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("employee_id", sa.Integer(), nullable=False),
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("probability", sa.Float(), nullable=True),
        sa.Column("flagged", sa.Boolean(), nullable=False),
        sa.Column("threshold", sa.Float(), nullable=True),
        sa.Column("drivers", sa.JSON(), nullable=False),
        sa.Column("model_name", sa.String(length=80), nullable=False),
        sa.Column("model_version", sa.String(length=20), nullable=True),
        sa.Column("fallback", sa.Boolean(), nullable=False),
        sa.Column("scored_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status IN ('ok', 'insufficient_data')", name=op.f("ck_risk_scores_risk_score_status")
        ),
        sa.ForeignKeyConstraint(
            ["employee_id"], ["employees.id"], name=op.f("fk_risk_scores_employee_id_employees")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_risk_scores")),
        sa.UniqueConstraint(
            "employee_id", "period", name=op.f("uq_risk_scores_employee_id_period")
        ),
    )
    with op.batch_alter_table("risk_scores", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_risk_scores_period"), ["period"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("risk_scores", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_risk_scores_period"))

    op.drop_table("risk_scores")
    with op.batch_alter_table("model_jobs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_model_jobs_status"))

    op.drop_table("model_jobs")
