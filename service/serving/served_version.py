"""Which risk model version the service serves, known without loading the model.

A batch command that reads what the service stored (`kinerja remind` reads the flags of
`risk_scores`) has no model loaded, and loading one (skops, the trees) costs seconds and
memory a daily cron job does not need. The version served is found as a fresh
`ModelSource` would find it, minus the load: the `champion` alias of the registry (read
without MLflow from a SQLite store); when the registry cannot be reached, the copy
exported to KINERJA_MODELS_DIR once its bytes match its checksum file. A version the
service would refuse before loading it is not served: an alias naming a version without a
sha256 tag, an export that is missing, altered or without its metadata. None: no model is
served, and the rule-based fallback answers.

What this cannot see without downloading the registry's file is a version whose file does
not match its tag; the service refuses that one at its load and answers with the fallback.
"""

from __future__ import annotations

from pathlib import Path

from service.serving.loader import ModelLoadError
from service.serving.loader import RegistryUnreachable
from service.serving.loader import alias_target
from service.serving.loader import registry_client
from service.serving.loader import verified_export
from service.serving.predictor import RISK_MODEL_NAME


def served_version(
    tracking_uri: str,
    models_dir: str | Path,
    alias: str = "champion",
    name: str = RISK_MODEL_NAME,
) -> str | None:
    """The version of `name` the service answers with now, None for the rule fallback."""
    try:
        target, _record = alias_target(
            tracking_uri, name, alias, lambda: registry_client(tracking_uri)
        )
    except RegistryUnreachable:
        return _exported_version(models_dir, name)
    if target is None or target.sha256 is None:
        return None
    return target.version


def _exported_version(models_dir: str | Path, name: str) -> str | None:
    """The exported copy's version when its file matches its checksum file, else None."""
    try:
        _data, _checksum, metadata = verified_export(models_dir, name)
    except (ModelLoadError, OSError, ValueError, IndexError):
        return None
    return str(metadata["version"])
