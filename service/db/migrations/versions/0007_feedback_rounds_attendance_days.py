"""feedback rounds attendance days

Tables of issue 8, parts 2 and 5: 360-degree feedback (`feedback_rounds`, `feedback_raters`,
`feedback_answers`: one answer per nominated rater, a rating per BerAKHLAK value) and the raw
daily attendance rows (`attendance_days`) that the attendance import aggregates into the
monthly `attendance` summaries. Only new tables.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-24 10:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
RATINGS = ("di_atas_ekspektasi", "sesuai_ekspektasi", "di_bawah_ekspektasi")
VALUES = (
    "berorientasi_pelayanan",
    "akuntabel",
    "kompeten",
    "harmonis",
    "loyal",
    "adaptif",
    "kolaboratif",
)


def _enum(name: str, *members: str) -> sa.Enum:
    return sa.Enum(*members, name=name, native_enum=False, create_constraint=True, length=32)


def upgrade() -> None:
    op.create_table(
        "feedback_rounds",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("employee_id", sa.Integer(), nullable=False),
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column(
            "status", _enum("roundstatus", "open", "closed"), server_default="open", nullable=False
        ),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.Column("closes_on", sa.Date(), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_feedback_rounds_created_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["employee_id"],
            ["employees.id"],
            name=op.f("fk_feedback_rounds_employee_id_employees"),
        ),
        sa.ForeignKeyConstraint(
            ["period"], ["periods.code"], name=op.f("fk_feedback_rounds_period_periods")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feedback_rounds")),
        sa.UniqueConstraint(
            "employee_id", "period", name=op.f("uq_feedback_rounds_employee_id_period")
        ),
    )
    op.create_table(
        "feedback_raters",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("round_id", BIG_ID, nullable=False),
        sa.Column("rater_employee_id", sa.Integer(), nullable=False),
        sa.Column(
            "rater_group",
            _enum("ratergroup", "supervisor", "peer", "subordinate", "self"),
            nullable=False,
        ),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["rater_employee_id"],
            ["employees.id"],
            name=op.f("fk_feedback_raters_rater_employee_id_employees"),
        ),
        sa.ForeignKeyConstraint(
            ["round_id"],
            ["feedback_rounds.id"],
            name=op.f("fk_feedback_raters_round_id_feedback_rounds"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feedback_raters")),
        sa.UniqueConstraint(
            "round_id",
            "rater_employee_id",
            name=op.f("uq_feedback_raters_round_id_rater_employee_id"),
        ),
    )
    with op.batch_alter_table("feedback_raters", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_feedback_raters_rater_employee_id"), ["rater_employee_id"], unique=False
        )
    op.create_table(
        "feedback_answers",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("rater_id", BIG_ID, nullable=False),
        *(
            sa.Column(f"behavior_{value}", _enum(f"behavior_{value}", *RATINGS), nullable=False)
            for value in VALUES
        ),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["rater_id"],
            ["feedback_raters.id"],
            name=op.f("fk_feedback_answers_rater_id_feedback_raters"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feedback_answers")),
        sa.UniqueConstraint("rater_id", name=op.f("uq_feedback_answers_rater_id")),
    )
    op.create_table(
        "attendance_days",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("employee_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("check_in", sa.Time(), nullable=True),
        sa.Column("check_out", sa.Time(), nullable=True),
        sa.CheckConstraint(
            "check_out IS NULL OR check_in IS NOT NULL",
            name=op.f("ck_attendance_days_check_out_needs_check_in"),
        ),
        sa.ForeignKeyConstraint(
            ["employee_id"],
            ["employees.id"],
            name=op.f("fk_attendance_days_employee_id_employees"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attendance_days")),
        sa.UniqueConstraint("employee_id", "day", name=op.f("uq_attendance_days_employee_id_day")),
    )


def downgrade() -> None:
    op.drop_table("attendance_days")
    op.drop_table("feedback_answers")
    with op.batch_alter_table("feedback_raters", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_feedback_raters_rater_employee_id"))
    op.drop_table("feedback_raters")
    op.drop_table("feedback_rounds")
