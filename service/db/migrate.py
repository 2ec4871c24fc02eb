"""Schema migrations through Alembic, driven from code so an installed package can migrate."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


@dataclass(frozen=True)
class SchemaStatus:
    """Where the database schema stands against the code's latest revision."""

    current: str | None
    head: str

    @property
    def at_head(self) -> bool:
        return self.current == self.head


def alembic_config(engine: Engine) -> Config:
    """Build an Alembic config that migrates `engine` (passed on, not re-created)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["engine"] = engine
    return config


def head_revision() -> str:
    head = ScriptDirectory(str(MIGRATIONS_DIR)).get_current_head()
    assert head is not None, "no migration revisions found"
    return head


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def schema_status(engine: Engine) -> SchemaStatus:
    """Compare the database's revision with the code's head (used by /readyz)."""
    return SchemaStatus(current=current_revision(engine), head=head_revision())


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Migrate to `revision`; running it again at head changes nothing."""
    command.upgrade(alembic_config(engine), revision)


def downgrade(engine: Engine, revision: str = "base") -> None:
    command.downgrade(alembic_config(engine), revision)
