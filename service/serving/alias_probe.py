"""Which version an alias names, read straight from a SQLite tracking store, without MLflow.

Importing MLflow and starting its SQLite store (it checks the store's schema with Alembic)
costs a web worker more than a second of CPU, while the question asked every
RISK_MODEL_REFRESH_SECONDS is one row: which version does `champion` name, and what is its
sha256 tag. For a SQLite store this module answers it with one read-only query; when that
version is the one exported to KINERJA_MODELS_DIR with the same checksum, the loader reads
the exported file (the bytes the registry's checksum names) and MLflow is never imported.

The query depends on MLflow's table layout. Anything it cannot answer for sure (another
kind of store, workspaces in use, a table or column that is not there) raises
`AliasUnknown`, and the loader asks MLflow instead.
"""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import make_url

#: MLflow's marker of a deleted model version (its aliases are removed with it; checked anyway).
DELETED_STAGE = "Deleted_Internal"
#: The only workspace the probe reads; with workspaces switched on, MLflow is asked.
DEFAULT_WORKSPACE = "default"
WORKSPACE_VARIABLES = ("MLFLOW_WORKSPACE", "MLFLOW_ENABLE_WORKSPACES")
TIMEOUT_SECONDS = 5.0
_QUERY = """
SELECT alias.version, tag.value
FROM registered_model_aliases AS alias
JOIN model_versions AS version
  ON version.workspace = alias.workspace AND version.name = alias.name
 AND version.version = alias.version
LEFT JOIN model_version_tags AS tag
  ON tag.workspace = alias.workspace AND tag.name = alias.name
 AND tag.version = alias.version AND tag.key = ?
WHERE alias.workspace = ? AND alias.name = ? AND alias.alias = ?
  AND COALESCE(version.current_stage, '') != ?
"""


class AliasUnknown(RuntimeError):
    """The probe cannot tell; ask MLflow."""


@dataclass(frozen=True)
class AliasTarget:
    """The version an alias names and its registered sha256 tag (None when untagged)."""

    version: str
    sha256: str | None


def sqlite_store(tracking_uri: str) -> Path | None:
    """The file of a `sqlite:///` tracking URI, None for any other kind of store."""
    if not tracking_uri.startswith("sqlite"):
        return None
    database = make_url(tracking_uri).database
    return Path(database) if database and database != ":memory:" else None


def read_alias(tracking_uri: str, name: str, alias: str, tag: str) -> AliasTarget | None:
    """The version `alias` of `name` names in a SQLite store (None: no such alias).

    Raises FileNotFoundError when the store's file does not exist (it is never created), and
    AliasUnknown when the store is not SQLite, workspaces are in use or the query fails.
    """
    path = sqlite_store(tracking_uri)
    if path is None or any(os.environ.get(variable) for variable in WORKSPACE_VARIABLES):
        raise AliasUnknown(f"not a SQLite store of the default workspace: {tracking_uri}")
    if not path.is_file():
        raise FileNotFoundError(f"tracking store {path} does not exist")
    try:
        connection = sqlite3.connect(
            f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=TIMEOUT_SECONDS
        )
    except sqlite3.Error as exc:
        raise AliasUnknown(f"cannot open {path}: {exc}") from exc
    try:
        parameters = (tag, DEFAULT_WORKSPACE, name, alias, DELETED_STAGE)
        row = connection.execute(_QUERY, parameters).fetchone()
    except sqlite3.Error as exc:
        raise AliasUnknown(f"cannot read the alias from {path}: {exc}") from exc
    finally:
        connection.close()
    if row is None:
        return None
    return AliasTarget(str(row[0]), row[1] or None)
