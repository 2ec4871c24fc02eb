"""audit log indexes end in the id

Every audited read (a supervisor's risk read, issue 7) commits one `audit_log` row, which
writes a page of the table and one of each index. The indexes were `(employee_id, at)` and
`(actor_user_id, at)`, but the only query on the log (`GET /audit`,
`repositories.access.list_audit`) filters on the employee or the actor and orders by `id`
(newest first): `at` in the key served no order the query asks for, so SQLite sorted each
employee's rows in a temporary B-tree and PostgreSQL sorted them too. `(employee_id, id)`
and `(actor_user_id, id)` give the rows in the query's order (SQLite and PostgreSQL read the
index backwards, a page of `limit` rows without a sort) and their entries are two integers
instead of an integer and a 26-character timestamp: about a third of the size, so fewer leaf
splits (three pages in the log each) and shallower trees for the insert to walk. A time
filter (`since`, `until`) checks the rows the index found, as before.

Only indexes change (CREATE/DROP INDEX on both backends): the table is not rebuilt, so the
append-only triggers of 0002 stay.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06 16:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: (old name, new name, the column the query filters on)
INDEXES = (
    ("ix_audit_log_employee_at", "ix_audit_log_employee_id", "employee_id"),
    ("ix_audit_log_actor_at", "ix_audit_log_actor_id", "actor_user_id"),
)


def upgrade() -> None:
    for old, new, column in INDEXES:
        op.drop_index(old, table_name="audit_log")
        op.create_index(new, "audit_log", [column, "id"])


def downgrade() -> None:
    for old, new, column in INDEXES:
        op.drop_index(new, table_name="audit_log")
        op.create_index(old, "audit_log", [column, "at"])
