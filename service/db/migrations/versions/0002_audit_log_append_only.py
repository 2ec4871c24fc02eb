"""audit log append-only

The audit log records who touched whose personal data; it is evidence, so the database itself
refuses to change or remove a row, whatever code or console session tries. Inserting stays
allowed. SQLite gets BEFORE UPDATE / BEFORE DELETE triggers; PostgreSQL gets one trigger
function used by a row trigger (UPDATE, DELETE) and a statement trigger (TRUNCATE). On
PostgreSQL the error carries SQLSTATE 23001 (restrict_violation), so both backends surface it
as an IntegrityError with the same message.

A later revision that rebuilds `audit_log` with `batch_alter_table` on SQLite (move and copy)
loses these triggers and must create them again.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 16:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MESSAGE = "audit_log is append-only"

SQLITE_UPGRADE = [
    f"""
    CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
    BEGIN
        SELECT RAISE(ABORT, '{MESSAGE}');
    END
    """,
    f"""
    CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
    BEGIN
        SELECT RAISE(ABORT, '{MESSAGE}');
    END
    """,
]
SQLITE_DOWNGRADE = [
    "DROP TRIGGER IF EXISTS audit_log_no_delete",
    "DROP TRIGGER IF EXISTS audit_log_no_update",
]

POSTGRESQL_UPGRADE = [
    f"""
    CREATE FUNCTION audit_log_append_only() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION '{MESSAGE}' USING
            ERRCODE = 'restrict_violation',
            DETAIL = TG_OP || ' on audit_log is refused; audit entries can only be inserted';
    END
    $$
    """,
    """
    CREATE TRIGGER audit_log_no_update_delete BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()
    """,
    """
    CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only()
    """,
]
POSTGRESQL_DOWNGRADE = [
    "DROP TRIGGER IF EXISTS audit_log_no_truncate ON audit_log",
    "DROP TRIGGER IF EXISTS audit_log_no_update_delete ON audit_log",
    "DROP FUNCTION IF EXISTS audit_log_append_only()",
]

UPGRADE = {"sqlite": SQLITE_UPGRADE, "postgresql": POSTGRESQL_UPGRADE}
DOWNGRADE = {"sqlite": SQLITE_DOWNGRADE, "postgresql": POSTGRESQL_DOWNGRADE}


def _statements(by_dialect: dict[str, list[str]]) -> list[str]:
    """Pick the statements of the dialect being migrated (works offline with --sql too)."""
    dialect = op.get_context().dialect.name
    if dialect not in by_dialect:
        raise NotImplementedError(f"audit_log protection is not written for {dialect!r}")
    return by_dialect[dialect]


def upgrade() -> None:
    for statement in _statements(UPGRADE):
        op.execute(statement)


def downgrade() -> None:
    for statement in _statements(DOWNGRADE):
        op.execute(statement)
