"""evaluation revisions

The `evaluation_revisions` table: each version of an evaluation that a change replaced (the
rater's correction, an upheld objection), with every column a change can set, who changed
it, when and why. Before this revision a correction overwrote the ratings and only the audit
log said who and when; from it on the values as the raters first gave them are kept, so the
calibration page can show that distribution. Evaluations changed before it have no
revisions of those changes: their first-given values stay unknown.

The table is evidence, like the audit log (0002): the database refuses to change or remove a
row (SQLite BEFORE UPDATE / DELETE triggers; PostgreSQL a trigger function for UPDATE, DELETE
and TRUNCATE, SQLSTATE 23001, so both surface an IntegrityError with the same message).

A new table only: an instance still on the previous release runs beside it (it writes no
revisions), and downgrade drops it with its triggers.

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-07 12:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0023"
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLE = "evaluation_revisions"
MESSAGE = f"{TABLE} is append-only"
BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
RATING = ("di_atas_ekspektasi", "sesuai_ekspektasi", "di_bawah_ekspektasi")
PREDIKAT = ("sangat_baik", "baik", "butuh_perbaikan", "kurang", "sangat_kurang")
BEHAVIORS = (
    "berorientasi_pelayanan",
    "akuntabel",
    "kompeten",
    "harmonis",
    "loyal",
    "adaptif",
    "kolaboratif",
)

SQLITE_UPGRADE = [
    f"""
    CREATE TRIGGER {TABLE}_no_{op_name} BEFORE {op_name.upper()} ON {TABLE}
    BEGIN
        SELECT RAISE(ABORT, '{MESSAGE}');
    END
    """
    for op_name in ("update", "delete")
]
SQLITE_DOWNGRADE = [f"DROP TRIGGER IF EXISTS {TABLE}_no_{name}" for name in ("delete", "update")]
POSTGRESQL_UPGRADE = [
    f"""
    CREATE FUNCTION {TABLE}_append_only() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION '{MESSAGE}' USING
            ERRCODE = 'restrict_violation',
            DETAIL = TG_OP || ' on {TABLE} is refused; revisions can only be inserted';
    END
    $$
    """,
    f"""
    CREATE TRIGGER {TABLE}_no_update_delete BEFORE UPDATE OR DELETE ON {TABLE}
    FOR EACH ROW EXECUTE FUNCTION {TABLE}_append_only()
    """,
    f"""
    CREATE TRIGGER {TABLE}_no_truncate BEFORE TRUNCATE ON {TABLE}
    FOR EACH STATEMENT EXECUTE FUNCTION {TABLE}_append_only()
    """,
]
POSTGRESQL_DOWNGRADE = [
    f"DROP TRIGGER IF EXISTS {TABLE}_no_truncate ON {TABLE}",
    f"DROP TRIGGER IF EXISTS {TABLE}_no_update_delete ON {TABLE}",
    f"DROP FUNCTION IF EXISTS {TABLE}_append_only()",
]
PROTECT = {"sqlite": SQLITE_UPGRADE, "postgresql": POSTGRESQL_UPGRADE}
UNPROTECT = {"sqlite": SQLITE_DOWNGRADE, "postgresql": POSTGRESQL_DOWNGRADE}


def _enum(values: tuple[str, ...], name: str) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True, length=32)


def _rating(name: str, *, nullable: bool) -> sa.Column:
    return sa.Column(name, _enum(RATING, name), nullable=nullable)


def _statements(by_dialect: dict[str, list[str]]) -> list[str]:
    """Pick the statements of the dialect being migrated (works offline with --sql too)."""
    dialect = op.get_context().dialect.name
    if dialect not in by_dialect:
        raise NotImplementedError(f"{TABLE} protection is not written for {dialect!r}")
    return by_dialect[dialect]


def upgrade() -> None:
    op.create_table(
        TABLE,
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("evaluation_id", BIG_ID, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        _rating("work_result_rating", nullable=False),
        _rating("behavior_rating", nullable=False),
        *(_rating(f"behavior_{value}", nullable=True) for value in BEHAVIORS),
        sa.Column("predikat", _enum(PREDIKAT, "predikat"), nullable=False),
        sa.Column(
            "predikat_source", _enum(("matrix", "override"), "predikatsource"), nullable=False
        ),
        sa.Column("rater_id", sa.Integer(), nullable=True),
        sa.Column("feedback", sa.Text(), nullable=True),
        sa.Column("cause", _enum(("correction", "objection"), "revisioncause"), nullable=False),
        sa.Column("revised_by_user_id", sa.Integer(), nullable=True),
        sa.Column(
            "revised_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["evaluation_id"],
            ["evaluations.id"],
            name=op.f("fk_evaluation_revisions_evaluation_id_evaluations"),
        ),
        sa.ForeignKeyConstraint(
            ["rater_id"], ["employees.id"], name=op.f("fk_evaluation_revisions_rater_id_employees")
        ),
        sa.ForeignKeyConstraint(
            ["revised_by_user_id"],
            ["users.id"],
            name=op.f("fk_evaluation_revisions_revised_by_user_id_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evaluation_revisions")),
        sa.UniqueConstraint(
            "evaluation_id", "version", name=op.f("uq_evaluation_revisions_evaluation_id_version")
        ),
    )
    op.create_index("ix_evaluation_revisions_evaluation_id", TABLE, ["evaluation_id", "id"])
    for statement in _statements(PROTECT):
        op.execute(statement)


def downgrade() -> None:
    for statement in _statements(UNPROTECT):
        op.execute(statement)
    op.drop_index("ix_evaluation_revisions_evaluation_id", table_name=TABLE)
    op.drop_table(TABLE)
