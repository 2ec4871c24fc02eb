"""activity dialogues notifications

Tables of continuous performance management (issue 8): `activity_logs` (the employee's daily
or weekly activities, laporan kinerja harian, acknowledged by a supervisor above),
`performance_dialogues` with their agreed `dialogue_actions` (dialog / bimbingan kinerja; a
later dialogue reviews whether each action was done) and `notifications` (in-app reminders,
UNIQUE per recipient, kind and subject so nobody gets the same reminder twice). `users` gets
a nullable `email` for the reminder emails; SQLite adds the column in place, so nothing
existing is rebuilt.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23 18:45:11
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _enum(name: str, *values: str) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True, length=32)


def _created_at() -> sa.Column:
    return sa.Column(
        "created_at",
        sa.DateTime(timezone=True),
        server_default=sa.text("(CURRENT_TIMESTAMP)"),
        nullable=False,
    )


def upgrade() -> None:
    op.add_column("users", sa.Column("email", sa.String(length=254), nullable=True))
    _create_activity_logs()
    _create_dialogues()
    _create_notifications()


def _create_activity_logs() -> None:
    op.create_table(
        "activity_logs",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("employee_id", sa.Integer(), nullable=False),
        sa.Column("rhk_id", BIG_ID, nullable=True),
        sa.Column("activity_date", sa.Date(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("evidence_url", sa.String(length=2000), nullable=True),
        sa.Column(
            "status",
            _enum("activitystatus", "submitted", "acknowledged"),
            server_default="submitted",
            nullable=False,
        ),
        sa.Column("supervisor_comment", sa.Text(), nullable=True),
        sa.Column("acknowledged_by", sa.Integer(), nullable=True),
        sa.Column("acknowledged_at", sa.DateTime(timezone=True), nullable=True),
        _created_at(),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.ForeignKeyConstraint(
            ["acknowledged_by"], ["users.id"], name=op.f("fk_activity_logs_acknowledged_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["employee_id"], ["employees.id"], name=op.f("fk_activity_logs_employee_id_employees")
        ),
        sa.ForeignKeyConstraint(
            ["rhk_id"], ["rhks.id"], name=op.f("fk_activity_logs_rhk_id_rhks")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_activity_logs")),
    )
    op.create_index(
        "ix_activity_logs_employee_date", "activity_logs", ["employee_id", "activity_date"]
    )


def _create_dialogues() -> None:
    op.create_table(
        "performance_dialogues",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("employee_id", sa.Integer(), nullable=False),
        sa.Column("supervisor_employee_id", sa.Integer(), nullable=False),
        sa.Column("held_on", sa.Date(), nullable=False),
        sa.Column(
            "kind",
            _enum("dialoguekind", "dialog", "coaching", "mentoring", "konseling"),
            nullable=False,
        ),
        sa.Column("topics", sa.Text(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("coaching_action", sa.String(length=40), nullable=True),
        sa.Column("follow_up_on", sa.Date(), nullable=True),
        _created_at(),
        sa.CheckConstraint(
            "follow_up_on IS NULL OR follow_up_on >= held_on",
            name=op.f("ck_performance_dialogues_follow_up_after_held"),
        ),
        sa.ForeignKeyConstraint(
            ["employee_id"],
            ["employees.id"],
            name=op.f("fk_performance_dialogues_employee_id_employees"),
        ),
        sa.ForeignKeyConstraint(
            ["supervisor_employee_id"],
            ["employees.id"],
            name=op.f("fk_performance_dialogues_supervisor_employee_id_employees"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_performance_dialogues")),
    )
    op.create_index(
        "ix_performance_dialogues_employee_held",
        "performance_dialogues",
        ["employee_id", "held_on"],
    )
    op.create_table(
        "dialogue_actions",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("dialogue_id", BIG_ID, nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column("done", sa.Boolean(), nullable=True),
        sa.Column("reviewed_in_dialogue_id", BIG_ID, nullable=True),
        sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.ForeignKeyConstraint(
            ["dialogue_id"],
            ["performance_dialogues.id"],
            name=op.f("fk_dialogue_actions_dialogue_id_performance_dialogues"),
        ),
        sa.ForeignKeyConstraint(
            ["reviewed_in_dialogue_id"],
            ["performance_dialogues.id"],
            name=op.f("fk_dialogue_actions_reviewed_in_dialogue_id_performance_dialogues"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dialogue_actions")),
    )
    op.create_index(op.f("ix_dialogue_actions_dialogue_id"), "dialogue_actions", ["dialogue_id"])


def _create_notifications() -> None:
    op.create_table(
        "notifications",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("recipient_user_id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            _enum(
                "notificationkind",
                "realisation_due",
                "evaluation_due",
                "feedback_round_waiting",
                "development_jp_low",
                "risk_without_dialogue",
            ),
            nullable=False,
        ),
        sa.Column("subject_key", sa.String(length=200), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("message_en", sa.Text(), nullable=False),
        _created_at(),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("emailed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["recipient_user_id"],
            ["users.id"],
            name=op.f("fk_notifications_recipient_user_id_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notifications")),
        sa.UniqueConstraint(
            "recipient_user_id",
            "kind",
            "subject_key",
            name=op.f("uq_notifications_recipient_user_id_kind_subject_key"),
        ),
    )
    op.create_index("ix_notifications_pending_email", "notifications", ["emailed_at"])


def downgrade() -> None:
    op.drop_index("ix_notifications_pending_email", table_name="notifications")
    op.drop_table("notifications")
    op.drop_index(op.f("ix_dialogue_actions_dialogue_id"), table_name="dialogue_actions")
    op.drop_table("dialogue_actions")
    op.drop_index("ix_performance_dialogues_employee_held", table_name="performance_dialogues")
    op.drop_table("performance_dialogues")
    op.drop_index("ix_activity_logs_employee_date", table_name="activity_logs")
    op.drop_table("activity_logs")
    # Native DROP COLUMN (SQLite 3.35+): no rebuild of the table every other one references.
    op.drop_column("users", "email")
