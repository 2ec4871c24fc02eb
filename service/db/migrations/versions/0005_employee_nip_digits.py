"""employee nip digits

The NIP CHECK of 0001 tests the length only; this makes the database refuse any NIP that is
not 18 digits too, so a bulk load that bypasses the API cannot store one. PostgreSQL gets a
CHECK constraint; SQLite gets triggers, because adding a CHECK there means rebuilding the
`employees` table that half the schema references. Not declared on the model: autogenerate
compares neither CHECK constraints nor triggers, and the API validates NIPs before writing.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 18:08:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NAME = "ck_employees_nip_digits"
MESSAGE = f"{NAME}: a NIP is 18 digits"


def _sqlite_trigger(event: str) -> str:
    return (
        f"CREATE TRIGGER {NAME}_{event.lower()} BEFORE {event} ON employees "
        f"WHEN NEW.nip GLOB '*[^0-9]*' BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END"
    )


def upgrade() -> None:
    if op.get_context().dialect.name == "sqlite":
        op.execute(_sqlite_trigger("INSERT"))
        op.execute(_sqlite_trigger("UPDATE"))
    else:
        # Named "nip_digits": the naming convention renders it ck_employees_nip_digits. Digits
        # only; the length stays with ck_employees_nip_length.
        op.create_check_constraint("nip_digits", "employees", "nip ~ '^[0-9]*$'")


def downgrade() -> None:
    if op.get_context().dialect.name == "sqlite":
        op.execute(f"DROP TRIGGER IF EXISTS {NAME}_insert")
        op.execute(f"DROP TRIGGER IF EXISTS {NAME}_update")
    else:
        op.drop_constraint("nip_digits", "employees", type_="check")
