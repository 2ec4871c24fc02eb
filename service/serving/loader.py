"""Find, verify and load the served risk model; swap it when the `champion` alias moves.

Sources, in order: the MLflow registry (`models:/kinerja-risk@champion`), and when the tracking
store cannot be reached, the copy `kinerja train` exported to KINERJA_MODELS_DIR. Files are
loaded with skops and an allow-list of types kept here in code (not read from the model), and
only when their sha256 matches the checksum recorded by our own training run. A version that
fails those checks is refused once (logged, counted in `kinerja_model_load_failures_total`)
and the model being served stays in place: no swap.

The service talks to an MLflow tracking server with bounded waits (`SERVING_HTTP_LIMITS`):
MLflow's own defaults retry a refused connection for about four minutes, longer than a web
worker may take to answer.

Start-up cost: for a SQLite tracking store the alias is read without MLflow
(`serving.alias_probe`), and when it names the version exported to KINERJA_MODELS_DIR with
the same sha256 the exported file is loaded (source `registry`: the registry chose it and its
checksum vouches for the bytes), so a web worker imports MLflow only to download a version
it has no copy of. Gunicorn workers start the first load in the background at boot
(`ModelSource.start`); until it ends `/readyz` says `loading` instead of waiting, and a risk
read that a stored score answers needs only the version (`ModelSource.announced`).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
import threading
import time
from collections.abc import Callable
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field
from datetime import UTC
from datetime import datetime
from pathlib import Path
from typing import Any

from service.ops.metrics import record_model_answer_sent
from service.ops.metrics import record_model_load_failure
from service.serving.alias_probe import AliasTarget
from service.serving.alias_probe import AliasUnknown
from service.serving.alias_probe import read_alias
from service.serving.alias_probe import sqlite_store
from service.serving.uncertainty import Band
from service.serving.uncertainty import bands_from_json

log = logging.getLogger(__name__)

#: Types outside skops' defaults that our registered models contain (the risk pipeline and
#: the recommender's gap-closure model); nothing else is loaded.
TRUSTED_TYPES: tuple[str, ...] = (
    "service.domain.program_effects.GapClosureModel",
    "service.features.estimators.FeatureMatrix",
    "service.features.estimators.PeriodCalibratedClassifier",
    "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
)
MODEL_FILE = "model.skops"
CHECKSUM_FILE = "model.skops.sha256"
METADATA_FILE = "metadata.json"
SHA256_TAG = "sha256"
RULE_TABLE_TAG = "rule_table"
#: The held-out record per probability band (`service.serving.uncertainty`), as JSON.
RELIABILITY_TAG = "reliability"
#: MLflow HTTP client settings for serving processes (the environment may override them):
#: one retry, then give up, and at most 5 s per connect or read.
SERVING_HTTP_LIMITS: dict[str, str] = {
    "MLFLOW_HTTP_REQUEST_MAX_RETRIES": "1",
    "MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR": "1",
    "MLFLOW_HTTP_REQUEST_TIMEOUT": "5",
}
#: The limits this process set itself (not given by the operator): jobs started from a
#: serving process drop them, so a long training run keeps MLflow's patient defaults.
APPLIED_HTTP_LIMITS: dict[str, str] = {}


class ModelLoadError(RuntimeError):
    """A model file is missing, altered (checksum) or holds types outside the allow-list."""

    def __init__(self, message: str, reason: str = "unusable") -> None:
        super().__init__(message)
        self.reason = reason


class RegistryUnreachable(RuntimeError):
    """The tracking store cannot be reached (missing SQLite file, server down)."""


@dataclass
class LoadedModel:
    """A verified model and what answers need to cite about it."""

    name: str
    version: str
    pipeline: Any
    sha256: str
    source: str
    rule_table: dict[str, float] = field(default_factory=dict)
    bands: tuple[Band, ...] = ()

    @property
    def threshold(self) -> float:
        """The flag threshold the risk pipeline chose on its calibration period."""
        return float(self.pipeline.named_steps["model"].threshold_)


def sha256_of(path: Path) -> str:
    """Hex sha256 of a file, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def verified_bytes(path: Path, expected_sha256: str) -> bytes:
    """The content of `path`, read once, when its sha256 is `expected_sha256`.

    Raises ModelLoadError when the file is missing or its content has another checksum.
    What is loaded is these bytes, not the file read again: `kinerja train` may replace an
    exported file between the check and the load, and the version served must hold the
    bytes its checksum names.
    """
    try:
        data = path.read_bytes()
    except (FileNotFoundError, IsADirectoryError) as exc:
        raise ModelLoadError(f"model file {path} does not exist", "missing") from exc
    actual = hashlib.sha256(data).hexdigest()
    if actual != expected_sha256:
        raise ModelLoadError(
            f"checksum mismatch for {path}: expected {expected_sha256}, found {actual}",
            "checksum",
        )
    return data


def load_trusted(data: bytes, name: Path, trusted: Sequence[str] = TRUSTED_TYPES) -> Any:
    """Load the skops model `data` (read from `name`; checksum checked already) when its
    types are all in `trusted`.

    skops (which imports every scikit-learn estimator) is imported here, on the first load.
    Content skops cannot read (another skops version's format, a file cut short before it
    was hashed) is a ModelLoadError too, so the version is refused like an altered one.
    """
    import skops.io

    try:
        untrusted = set(skops.io.get_untrusted_types(data=data)) - set(trusted)
        if not untrusted:
            pipeline = skops.io.loads(data, trusted=list(trusted))
    except Exception as exc:  # noqa: BLE001 - whatever skops raises on content it cannot read
        raise ModelLoadError(f"{name} cannot be read by skops: {exc!r}") from exc
    if untrusted:
        message = f"{name} holds types outside the allow-list: {sorted(untrusted)}"
        raise ModelLoadError(message, "untrusted_types")
    one_openmp_thread()
    return pipeline


def one_openmp_thread() -> None:
    """Limit the trees' OpenMP to one thread in the thread that loads a model.

    A request predicts a few dozen rows, where threads only add start-up cost, and on a busy
    machine their spin-waiting makes one prediction take 50 times longer; parallelism comes
    from the worker processes. The limit is set once the model is loaded: one set before
    OpenMP is loaded does not apply, and OpenMP limits hold for the calling thread only
    (gunicorn workers also get OMP_NUM_THREADS=1, which holds for every thread).
    """
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=1, user_api="openmp")


def load_verified(path: Path, expected_sha256: str, trusted: Sequence[str] = TRUSTED_TYPES) -> Any:
    """Load a skops model file after checking its checksum and its types against `trusted`."""
    return load_trusted(verified_bytes(path, expected_sha256), path, trusted)


def export_dir(models_dir: str | Path, name: str) -> Path:
    return Path(models_dir) / name


def read_export(
    models_dir: str | Path, name: str, trusted: Sequence[str] = TRUSTED_TYPES
) -> LoadedModel:
    """Load the exported champion from `models_dir/<name>/`, verifying its checksum file."""
    data, expected, metadata = verified_export(models_dir, name)
    path = export_dir(models_dir, name) / MODEL_FILE
    pipeline = load_trusted(data, path, trusted)
    bands = bands_from_json(metadata.get("reliability"))
    version = str(metadata["version"])
    return LoadedModel(name, version, pipeline, expected, "export", metadata["rule_table"], bands)


def verified_export(models_dir: str | Path, name: str) -> tuple[bytes, str, dict[str, Any]]:
    """The exported model's bytes, checksum and metadata, once its bytes match its checksum
    file (not yet loaded: `read_export` loads them). ModelLoadError otherwise, `absent`
    when nothing was exported."""
    directory = export_dir(models_dir, name)
    checksum_file = directory / CHECKSUM_FILE
    if not checksum_file.is_file():
        message = f"no exported model at {directory} (missing {CHECKSUM_FILE})"
        raise ModelLoadError(message, "absent")
    expected = checksum_file.read_text().split()[0]
    metadata = read_export_metadata(models_dir, name)
    if metadata is None or "version" not in metadata or "rule_table" not in metadata:
        message = f"the exported model at {directory} has no readable {METADATA_FILE}"
        raise ModelLoadError(message, "unusable")
    return verified_bytes(directory / MODEL_FILE, expected), expected, metadata


def read_export_metadata(models_dir: str | Path, name: str) -> dict[str, Any] | None:
    """The exported model's metadata (rule table, metrics), or None when there is none."""
    path = export_dir(models_dir, name) / METADATA_FILE
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def write_export(
    models_dir: str | Path, name: str, model_file: Path, metadata: dict[str, Any]
) -> Path:
    """Copy `model_file` into `models_dir/<name>/` with its checksum and metadata files."""
    directory = export_dir(models_dir, name)
    directory.mkdir(parents=True, exist_ok=True)
    data = model_file.read_bytes()  # once: the bytes copied are the bytes hashed
    checksum = hashlib.sha256(data).hexdigest()
    _replace(directory / MODEL_FILE, data)
    _replace(directory / METADATA_FILE, json.dumps({**metadata, "sha256": checksum}, indent=2))
    _replace(directory / CHECKSUM_FILE, f"{checksum}  {MODEL_FILE}\n")
    return directory


def _replace(path: Path, content: bytes | str) -> None:
    """Write `path` whole or not at all (a staged file renamed over it): a crash or a reader
    in between never sees half a model, metadata or checksum file."""
    staged = path.with_name(f".{path.name}.tmp")
    data = content.encode() if isinstance(content, str) else content
    staged.write_bytes(data)
    staged.replace(path)


def bound_http_waits() -> None:
    """Apply `SERVING_HTTP_LIMITS` to this process unless the environment sets them.

    MLflow reads them from the environment at each request, so this is the only handle.
    """
    for key, value in SERVING_HTTP_LIMITS.items():
        if key not in os.environ:
            os.environ[key] = APPLIED_HTTP_LIMITS[key] = value


def registry_client(tracking_uri: str) -> Any:
    """An MlflowClient for `tracking_uri`; RegistryUnreachable if its SQLite file is missing.

    A missing SQLite store is not created here: the service never makes an empty registry.
    A tracking server is reached with bounded waits (`bound_http_waits`).
    """
    if tracking_uri.startswith(("http://", "https://")):
        bound_http_waits()
    store = sqlite_store(tracking_uri)
    if store is not None and not store.is_file():
        raise RegistryUnreachable(f"tracking store {store} does not exist")
    from mlflow import MlflowClient

    try:
        return MlflowClient(tracking_uri=tracking_uri, registry_uri=tracking_uri)
    except Exception as exc:  # noqa: BLE001 - any backend failure means "unreachable"
        raise RegistryUnreachable(f"tracking store {tracking_uri}: {exc}") from exc


def champion_version(client: Any, name: str, alias: str) -> Any | None:
    """The model version the alias points to, None if there is none; raises if unreachable."""
    from mlflow.exceptions import MlflowException

    try:
        return client.get_model_version_by_alias(name, alias)
    except MlflowException as exc:
        if exc.error_code in {"RESOURCE_DOES_NOT_EXIST", "INVALID_PARAMETER_VALUE"}:
            return None
        raise RegistryUnreachable(str(exc)) from exc
    except Exception as exc:  # noqa: BLE001 - connection errors of any backend
        raise RegistryUnreachable(str(exc)) from exc


def load_version(client: Any, version: Any, trusted: Sequence[str] = TRUSTED_TYPES) -> LoadedModel:
    """Download one registered version's model file and load it if its checksum tag matches."""
    expected = version.tags.get(SHA256_TAG)
    if not expected:
        message = f"{version.name} v{version.version} has no {SHA256_TAG} tag"
        raise ModelLoadError(message, "checksum")
    from mlflow.artifacts import download_artifacts

    with tempfile.TemporaryDirectory() as tmp:
        try:
            uri = client.get_model_version_download_uri(version.name, version.version)
            local = download_artifacts(
                artifact_uri=f"{uri.rstrip('/')}/{MODEL_FILE}",
                dst_path=tmp,
                tracking_uri=client.tracking_uri,
            )
        except Exception as exc:  # noqa: BLE001 - artefact store down or file gone
            message = f"cannot download {version.name} v{version.version}: {exc}"
            raise RegistryUnreachable(message) from exc
        pipeline = load_verified(Path(local), expected, trusted)
    table = json.loads(version.tags.get(RULE_TABLE_TAG, "{}"))
    bands = bands_from_json(version.tags.get(RELIABILITY_TAG))
    return LoadedModel(
        version.name, str(version.version), pipeline, expected, "registry", table, bands
    )


def registered_version(client: Any, name: str, version: str) -> Any:
    """One registered version (its tags carry the checksum); RegistryUnreachable if down."""
    try:
        return client.get_model_version(name, version)
    except Exception as exc:  # noqa: BLE001 - any backend failure means "unreachable"
        raise RegistryUnreachable(f"cannot read {name} v{version}: {exc}") from exc


def alias_target(
    tracking_uri: str, name: str, alias: str, client: Callable[[], Any]
) -> tuple[AliasTarget | None, Any]:
    """The version `alias` names (None: no such alias) and MLflow's record of it when MLflow
    was asked: read without MLflow from a SQLite store (`alias_probe`), else through
    `client()`. RegistryUnreachable when the store is missing or down."""
    try:
        return read_alias(tracking_uri, name, alias, SHA256_TAG), None
    except FileNotFoundError as exc:
        raise RegistryUnreachable(str(exc)) from exc
    except AliasUnknown:
        pass
    version = champion_version(client(), name, alias)
    if version is None:
        return None, None
    return AliasTarget(str(version.version), version.tags.get(SHA256_TAG) or None), version


class ModelSource:
    """Serve one registered model's alias: load once, re-check the alias at most every N s.

    `trusted` lists the non-default skops types this model may hold (default: the risk
    pipeline's). `current()` is cheap and thread-safe. When a check is due, the request that
    finds it due reloads under a lock; the others keep answering with the model in place
    (only the very first load makes them wait), so a slow tracking server delays one request
    per interval, not all of them. A version that fails verification is refused once and
    remembered, so it is neither swapped in nor downloaded again while the alias points at it.

    `start()` makes the first load in a background thread (gunicorn workers, at boot): while
    it runs, `status()` reports `loading` without waiting, and `announced()` gives the version
    being loaded as soon as its file matched its checksum, for answers that only cite it.
    """

    def __init__(
        self,
        name: str,
        tracking_uri: str,
        models_dir: str | Path,
        alias: str = "champion",
        refresh_seconds: float = 30.0,
        trusted: Sequence[str] = TRUSTED_TYPES,
    ) -> None:
        self.name = name
        self.trusted = tuple(trusted)
        self.tracking_uri = tracking_uri
        self.models_dir = Path(models_dir)
        self.alias = alias
        self.refresh_seconds = refresh_seconds
        self._model: LoadedModel | None = None
        self._announced: LoadedModel | None = None
        self._cache: dict[str, LoadedModel] = {}
        self._refused: dict[str, str] = {}
        self._client: Any = None
        self._checked_at = float("-inf")
        self._checked_wall: float | None = None
        self._error: str | None = None
        self._lock = threading.Lock()

    def start(self) -> threading.Thread | None:
        """Make the first load in a background thread; requests that need it wait for it.

        The lock is taken here, before the thread runs, so no request can start the same
        load in its own thread meanwhile. None when a load is under way already.
        """
        if not self._lock.acquire(blocking=False):
            return None
        thread = threading.Thread(target=self._check, name=f"load {self.name}", daemon=True)
        thread.start()
        return thread

    def current(self) -> LoadedModel | None:
        """Return the model to answer with now (None: the rule-based fallback).

        Callers ask once per answer (or per batch of answers of one request), so this is where
        the served version and the fallback answers are counted for /metrics.
        """
        model = self._fresh()
        self.count(model)
        return model

    def announced(self) -> LoadedModel | None:
        """The model answers cite now, without waiting for a first load under way.

        During that load: the version being loaded once its file matched its checksum (its
        `pipeline` is None until loaded: only for answers that cite the version, such as a
        stored score of that version), else None. Nothing is counted: call `count()` for an
        answer given with it, or `current()` to predict.
        """
        model = self._fresh(wait=False)
        return self._announced if self.loading else model

    def count(self, model: LoadedModel | None) -> None:
        """Count one answer given with `model` (None: the rule) for /metrics, once sent."""
        record_model_answer_sent(self.name, model.version if model else None, model is None)

    @property
    def loading(self) -> bool:
        """Whether the first load is under way (in another thread)."""
        return self._checked_wall is None and self._lock.locked()

    def _fresh(self, wait: bool = True) -> LoadedModel | None:
        """Return the served model, re-checking the alias first when a check is due.

        Only the first load makes a caller wait, and only when `wait` is true.
        """
        if self._due() and self._lock.acquire(blocking=wait and self._checked_wall is None):
            self._check()
        return self._model

    def _check(self) -> None:
        """Re-check the alias unless another thread just did; called holding the lock."""
        try:
            if self._due():
                self._refresh()
                self._checked_at = time.monotonic()
                self._checked_wall = time.time()
        finally:
            self._announced = None
            self._lock.release()

    def _due(self) -> bool:
        return time.monotonic() - self._checked_at >= self.refresh_seconds

    def _refresh(self) -> None:
        try:
            self._model = self._from_registry()
            self._error = None
        except RegistryUnreachable as exc:
            self._error = f"registry unreachable: {exc}"
            self._model = self._model or self._from_export()
        except ModelLoadError as exc:  # the model in place keeps answering: no swap
            self._error = str(exc)

    def _mlflow(self) -> Any:
        if self._client is None:
            self._client = registry_client(self.tracking_uri)
        return self._client

    def _from_registry(self) -> LoadedModel | None:
        target, registered = self._alias_target()
        if target is None:
            return None
        key = target.version
        if key in self._refused:
            raise ModelLoadError(self._refused[key])
        if key not in self._cache:
            try:
                loaded = self._load(target, registered)
            except ModelLoadError as exc:
                self._refuse(key, exc)
                raise
            self._cache = {key: loaded, **self._latest_cache()}
            log.info("loaded %s version %s (%s)", self.name, key, loaded.source)
        return self._cache[key]

    def _alias_target(self) -> tuple[AliasTarget | None, Any]:
        """The version the alias names, and MLflow's record of it when MLflow was asked."""
        return alias_target(self.tracking_uri, self.name, self.alias, self._mlflow)

    def _load(self, target: AliasTarget, registered: Any) -> LoadedModel:
        """The exported copy when it is this version with the same checksum, else MLflow's."""
        exported = self._exported_copy_of(target)
        if exported is not None:
            return exported
        client = self._mlflow()
        if registered is None:
            registered = registered_version(client, self.name, target.version)
        return load_version(client, registered, self.trusted)

    def _exported_copy_of(self, target: AliasTarget) -> LoadedModel | None:
        """Load the exported copy when the registry's version and checksum name its bytes.

        None when it is another version, or missing or altered (MLflow's copy is then read).
        """
        metadata = read_export_metadata(self.models_dir, self.name)
        if not target.sha256 or not metadata or str(metadata.get("version")) != target.version:
            return None
        path = export_dir(self.models_dir, self.name) / MODEL_FILE
        try:
            data = verified_bytes(path, target.sha256)
        except ModelLoadError as exc:
            log.warning("exported %s is not version %s: %s", self.name, target.version, exc)
            return None
        table = metadata.get("rule_table") or {}
        bands = bands_from_json(metadata.get("reliability"))
        self._announce(LoadedModel(self.name, target.version, None, target.sha256, "registry"))
        pipeline = load_trusted(data, path, self.trusted)
        return LoadedModel(
            self.name, target.version, pipeline, target.sha256, "registry", table, bands
        )

    def _announce(self, model: LoadedModel) -> None:
        """Name the version of a first load before its (slower) loading, for `announced()`."""
        if self._checked_wall is None:
            self._announced = model

    def _latest_cache(self) -> dict[str, LoadedModel]:
        """Keep only the model being replaced, so a swap back is instant."""
        return {self._model.version: self._model} if self._model is not None else {}

    def _from_export(self) -> LoadedModel | None:
        try:
            return read_export(self.models_dir, self.name, self.trusted)
        except ModelLoadError as exc:
            if exc.reason != "absent":
                self._refuse(f"export: {exc}", exc)
            self._error = f"{self._error}; exported copy unusable: {exc}"
        except (OSError, ValueError, KeyError) as exc:
            self._error = f"{self._error}; exported copy unusable: {exc}"
        return None

    def _refuse(self, key: str, exc: ModelLoadError) -> None:
        """Remember a model that failed verification; log and count it once."""
        if key in self._refused:
            return
        self._refused[key] = str(exc)
        log.error("refused %s (%s): %s", self.name, key, exc)
        record_model_load_failure(self.name, exc.reason)

    def status(self) -> dict[str, Any]:
        """Name, version, source, fallback flag and the last alias check, for /readyz.

        Never waits for a first load under way in another thread: it then says `loading`,
        with the version being loaded when known, and `fallback` false (answers wait for it).
        """
        model = self.announced()
        loading = self.loading
        checked = self._checked_wall
        return {
            "name": self.name,
            "alias": self.alias,
            "version": model.version if model else None,
            "source": model.source if model else None,
            "fallback": model is None and not loading,
            "loading": loading,
            "error": self._error,
            "refresh_seconds": self.refresh_seconds,
            "checked_at": None if checked is None else _iso(checked),
        }


def _iso(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, UTC).isoformat(timespec="milliseconds")
