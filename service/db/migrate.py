"""Schema migrations through Alembic, driven from code so an installed package can migrate.

Alembic is imported inside the functions that need it, not at the top: `/readyz` imports this
module in every web worker, and Alembic (with Mako and Pygments behind it) is a noticeable
part of a worker's start. The head revision is read from the migration scripts once per
process: the code, and so its head, does not change while the process runs.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine
from sqlalchemy import text

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
#: The PostgreSQL advisory lock key that `migration_lock` holds (any fixed 64-bit number).
PG_LOCK_KEY = 0x4B494E45524A41  # "KINERJA"


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
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["engine"] = engine
    return config


@functools.cache
def head_revision() -> str:
    from alembic.script import ScriptDirectory

    head = ScriptDirectory(str(MIGRATIONS_DIR)).get_current_head()
    assert head is not None, "no migration revisions found"
    return head


@functools.cache
def known_revisions() -> frozenset[str]:
    """Every revision of this code's migration scripts (a database at another one was
    migrated by a newer Kinerja: this code can neither serve nor migrate it)."""
    from alembic.script import ScriptDirectory

    scripts = ScriptDirectory(str(MIGRATIONS_DIR))
    return frozenset(script.revision for script in scripts.walk_revisions())


def revisions_above(target: str, current: str) -> list[str]:
    """The revisions a downgrade from `current` to `target` undoes, newest first; ValueError
    when `target` is not one of `current`'s ancestors (or either is unknown)."""
    from alembic.script import ScriptDirectory

    scripts = ScriptDirectory(str(MIGRATIONS_DIR))
    undone: list[str] = []
    revision: str | None = current
    while revision is not None and revision != target:
        if revision not in known_revisions():
            raise ValueError(f"revision {revision} is not one of this code's")
        undone.append(revision)
        down = scripts.get_revision(revision).down_revision
        revision = down if isinstance(down, str) or down is None else down[0]
    if revision != target:
        raise ValueError(f"revision {target} is not below {current}")
    return undone


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def schema_status(engine: Engine) -> SchemaStatus:
    """Compare the database's revision with the code's head (used by /readyz)."""
    return SchemaStatus(current=current_revision(engine), head=head_revision())


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Migrate to `revision`; running it again at head changes nothing."""
    from alembic import command

    command.upgrade(alembic_config(engine), revision)


def downgrade(engine: Engine, revision: str = "base") -> None:
    from alembic import command

    command.downgrade(alembic_config(engine), revision)


@contextmanager
def migration_lock(engine: Engine) -> Iterator[None]:
    """Let one process at a time migrate the database behind `engine` (and load what goes
    with it): instances started together, each running `kinerja init-db`, otherwise ran the
    same migration at once, and all but one failed on the objects the first had created.

    PostgreSQL: a session advisory lock, held on a connection of its own until the end.
    SQLite: an exclusive `flock` on a file beside the database (`<database>.migrate.lock`).
    """
    if engine.dialect.name == "postgresql":
        with engine.connect() as connection:
            connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": PG_LOCK_KEY})
            connection.commit()  # the lock is the session's: it outlives the transaction
            try:
                yield
            finally:
                connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": PG_LOCK_KEY})
                connection.commit()
        return
    database = engine.url.database if engine.dialect.name == "sqlite" else None
    if not database or database == ":memory:" or database.startswith("file:"):
        yield
        return
    import fcntl

    descriptor = os.open(f"{database}.migrate.lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)  # released when the descriptor is closed
        yield
    finally:
        os.close(descriptor)
