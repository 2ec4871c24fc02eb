"""calibration closings

The `calibration_closings` table: hr closing (locking) the calibration of a unit and the
units below it for a period, with a snapshot of the distribution then, and its reopening
(who, when, why) kept on the same row; a partial unique index allows one standing closing
per unit and period. The `calibration_changes` table: a predikat an upheld objection changed
while a closing stood, recorded against that closing. New tables only: an instance still on
the previous release runs beside them (it ignores closings), and downgrade drops them.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-07 09:40:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
PREDIKAT = ("sangat_baik", "baik", "butuh_perbaikan", "kurang", "sangat_kurang")
STANDING = sa.text("reopened_at IS NULL")


def _enum(name: str) -> sa.Enum:
    return sa.Enum(*PREDIKAT, name=name, native_enum=False, create_constraint=True, length=32)


def _now(name: str) -> sa.Column:
    return sa.Column(
        name,
        sa.DateTime(timezone=True),
        server_default=sa.text("(CURRENT_TIMESTAMP)"),
        nullable=False,
    )


def upgrade() -> None:
    op.create_table(
        "calibration_closings",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("period", sa.String(7), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("snapshot", sa.JSON(), nullable=False),
        sa.Column("closed_by_user_id", sa.Integer(), nullable=True),
        _now("closed_at"),
        sa.Column("reopened_by_user_id", sa.Integer(), nullable=True),
        sa.Column("reopened_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reopen_reason", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "(reopened_at IS NULL) = (reopen_reason IS NULL)",
            name=op.f("ck_calibration_closings_reopen_has_reason"),
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["units.id"], name=op.f("fk_calibration_closings_unit_id_units")
        ),
        sa.ForeignKeyConstraint(
            ["closed_by_user_id"],
            ["users.id"],
            name=op.f("fk_calibration_closings_closed_by_user_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["reopened_by_user_id"],
            ["users.id"],
            name=op.f("fk_calibration_closings_reopened_by_user_id_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calibration_closings")),
    )
    op.create_index(
        "ix_calibration_closings_period_unit", "calibration_closings", ["period", "unit_id"]
    )
    op.create_index(
        "uq_calibration_closings_standing",
        "calibration_closings",
        ["unit_id", "period"],
        unique=True,
        sqlite_where=STANDING,
        postgresql_where=STANDING,
    )
    op.create_table(
        "calibration_changes",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("closing_id", BIG_ID, nullable=False),
        sa.Column("objection_id", BIG_ID, nullable=False),
        sa.Column("evaluation_id", BIG_ID, nullable=False),
        sa.Column("employee_id", sa.Integer(), nullable=False),
        sa.Column("predikat_before", _enum("predikat_before"), nullable=False),
        sa.Column("predikat_after", _enum("predikat_after"), nullable=False),
        _now("changed_at"),
        sa.ForeignKeyConstraint(
            ["closing_id"],
            ["calibration_closings.id"],
            name=op.f("fk_calibration_changes_closing_id_calibration_closings"),
        ),
        sa.ForeignKeyConstraint(
            ["objection_id"],
            ["objections.id"],
            name=op.f("fk_calibration_changes_objection_id_objections"),
        ),
        sa.ForeignKeyConstraint(
            ["evaluation_id"],
            ["evaluations.id"],
            name=op.f("fk_calibration_changes_evaluation_id_evaluations"),
        ),
        sa.ForeignKeyConstraint(
            ["employee_id"],
            ["employees.id"],
            name=op.f("fk_calibration_changes_employee_id_employees"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calibration_changes")),
    )
    op.create_index(
        op.f("ix_calibration_changes_closing_id"), "calibration_changes", ["closing_id"]
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_calibration_changes_closing_id"), table_name="calibration_changes")
    op.drop_table("calibration_changes")
    op.drop_index("uq_calibration_closings_standing", table_name="calibration_closings")
    op.drop_index("ix_calibration_closings_period_unit", table_name="calibration_closings")
    op.drop_table("calibration_closings")
