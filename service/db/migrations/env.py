"""Alembic environment: the engine comes from the caller or DATABASE_URL; metadata from models."""

from __future__ import annotations

import os

from alembic import context

from service.db import make_engine
from service.db import models  # noqa: F401  (registers every table on Base.metadata)
from service.db.base import Base

target_metadata = Base.metadata


def include_object(obj, name, type_, reflected, compare_to) -> bool:  # noqa: ANN001
    """Leave the synthetic generator's truth tables alone: they are not product schema."""
    return not (type_ == "table" and reflected and str(name).startswith("truth_"))


def _engine():
    engine = context.config.attributes.get("engine")
    if engine is not None:
        return engine
    from service.config import load_config

    url = os.environ.get("DATABASE_URL") or load_config({"KINERJA_ENV": "demo"})["DATABASE_URL"]
    return make_engine(url)


def run_migrations_offline() -> None:
    url = os.environ.get("DATABASE_URL", "sqlite:///var/kinerja.db")
    context.configure(url=url, target_metadata=target_metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    engine = _engine()
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
            include_object=include_object,
        )
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
