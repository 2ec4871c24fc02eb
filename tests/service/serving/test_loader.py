"""Alias resolution, hot swap, the exported fallback copy and its checksum."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import skops.io
from mlflow import MlflowClient
from sklearn.base import BaseEstimator

from service.serving.loader import METADATA_FILE
from service.serving.loader import MODEL_FILE
from service.serving.loader import ModelLoadError
from service.serving.loader import ModelSource
from service.serving.loader import load_verified
from service.serving.loader import read_export
from service.serving.loader import sha256_of
from training.sample import Sample

NAME = "kinerja-risk"


def source(sample: Sample, **overrides: object) -> ModelSource:
    settings = {"refresh_seconds": 0.0, **overrides}
    return ModelSource(NAME, sample.tracking_uri, sample.models_dir, **settings)  # type: ignore[arg-type]


def test_the_first_run_is_promoted_and_served_from_the_registry(risk_sample: Sample) -> None:
    assert risk_sample.promoted
    model = source(risk_sample).current()
    assert model is not None
    assert (model.version, model.source) == (risk_sample.version, "registry")
    assert 0.0 < model.threshold < 1.0


def _second_version(sample: Sample) -> str:
    """Register the champion's artefact again as a new version and move the alias to it."""
    client = MlflowClient(sample.tracking_uri, sample.tracking_uri)
    current = client.get_model_version_by_alias(NAME, "champion")
    copy = client.create_model_version(NAME, current.source, current.run_id, tags=current.tags)
    client.set_registered_model_alias(NAME, "champion", copy.version)
    return str(copy.version)


def test_a_moved_alias_is_picked_up_without_restart(sample_copy: Sample) -> None:
    served = source(sample_copy)
    first = served.current()
    assert first is not None and first.version == sample_copy.version
    newer = _second_version(sample_copy)
    assert newer != first.version
    swapped = served.current()
    assert swapped is not None and swapped.version == newer
    assert served.status()["version"] == newer


def test_the_alias_is_checked_at_most_every_refresh_interval(sample_copy: Sample) -> None:
    served = source(sample_copy, refresh_seconds=3600.0)
    first = served.current()
    _second_version(sample_copy)
    assert served.current() is first


def test_an_unreachable_store_falls_back_to_the_exported_copy(
    sample_copy: Sample, tmp_path: Path
) -> None:
    missing = f"sqlite:///{tmp_path / 'nowhere' / 'mlflow.db'}"
    served = ModelSource(NAME, missing, sample_copy.models_dir, refresh_seconds=0.0)
    model = served.current()
    assert model is not None
    assert (model.source, model.version) == ("export", sample_copy.version)
    assert not (tmp_path / "nowhere").exists(), "the service must not create a tracking store"
    assert "unreachable" in served.status()["error"]


@pytest.mark.parametrize("damage", ["missing", "altered", "half metadata"])
def test_no_model_when_store_unreachable_and_export_unusable(
    sample_copy: Sample, tmp_path: Path, damage: str
) -> None:
    model_file = Path(sample_copy.models_dir) / NAME / MODEL_FILE
    metadata = model_file.with_name(METADATA_FILE)
    if damage == "missing":
        model_file.unlink()
    elif damage == "altered":
        model_file.write_bytes(model_file.read_bytes() + b"\0")
    else:  # a crash in the middle of writing it, before exports were written whole
        metadata.write_text(metadata.read_text()[:40])
    served = ModelSource(
        NAME, f"sqlite:///{tmp_path / 'none.db'}", sample_copy.models_dir, refresh_seconds=0.0
    )
    assert served.current() is None
    status = served.status()
    assert status["fallback"] is True
    expected = {"missing": "does not exist", "altered": "checksum mismatch"}
    assert expected.get(damage, f"no readable {METADATA_FILE}") in status["error"]


def test_export_checksum_matches_the_registered_tag(risk_sample: Sample) -> None:
    exported = read_export(risk_sample.models_dir, NAME)
    client = MlflowClient(risk_sample.tracking_uri, risk_sample.tracking_uri)
    tag = client.get_model_version(NAME, risk_sample.version).tags["sha256"]
    assert exported.sha256 == tag == sha256_of(Path(risk_sample.models_dir) / NAME / MODEL_FILE)


class Untrusted(BaseEstimator):
    """A type that is not on the loader's allow-list."""


def test_types_outside_the_allow_list_are_refused(tmp_path: Path) -> None:
    path = tmp_path / MODEL_FILE
    skops.io.dump(Untrusted(), path)
    with pytest.raises(ModelLoadError, match="outside the allow-list"):
        load_verified(path, sha256_of(path))


def test_a_sqlite_store_whose_champion_is_exported_is_served_without_importing_mlflow(
    risk_sample: Sample,
) -> None:
    code = (
        "import sys; from service.serving.loader import ModelSource; "
        f"m = ModelSource({NAME!r}, sys.argv[1], sys.argv[2]).current(); "
        "print(m.version, m.source, m.pipeline is not None, 'mlflow' in sys.modules)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, risk_sample.tracking_uri, risk_sample.models_dir],
        capture_output=True,
        text=True,
        check=True,
    )
    assert done.stdout.split() == [str(risk_sample.version), "registry", "True", "False"]


def test_an_altered_export_of_the_champion_is_not_used_and_mlflow_copy_is(
    sample_copy: Sample,
) -> None:
    model_file = Path(sample_copy.models_dir) / NAME / MODEL_FILE
    model_file.write_bytes(model_file.read_bytes() + b"\0")
    served = source(sample_copy)
    model = served.current()
    assert model is not None and (model.version, model.source) == (sample_copy.version, "registry")
    assert model.sha256 != sha256_of(model_file) and 0.0 < model.threshold < 1.0
    assert served.status()["error"] is None


def test_a_first_load_in_the_background_is_reported_and_not_waited_for(
    risk_sample: Sample,
) -> None:
    served = source(risk_sample, refresh_seconds=3600.0)
    loader = served.start()
    assert loader is not None
    during = served.status()  # answers while the loader thread holds the lock
    assert during["loading"] or during["checked_at"] is not None
    assert during["fallback"] is False
    announced = served.announced()
    assert announced is None or announced.version == risk_sample.version
    loader.join(timeout=120)
    after = served.status()
    assert (after["loading"], after["version"], after["source"]) == (
        False,
        risk_sample.version,
        "registry",
    )
    assert served.start() is None or served.current() is not None  # loaded once, not again


@pytest.mark.parametrize(
    ("uri", "missing"),
    [
        ("sqlite:///{dir}/absent.db", True),
        ("sqlite:///{dir}/present.db", False),
        ("sqlite:///:memory:", False),
        ("sqlite://", False),
    ],
)
def test_the_registry_refuses_a_missing_sqlite_store_and_nothing_else(
    tmp_path: Path, uri: str, missing: bool
) -> None:
    """One reading of a SQLite tracking URI for the client and the alias probe alike."""
    from service.serving.alias_probe import sqlite_store
    from service.serving.loader import RegistryUnreachable
    from service.serving.loader import registry_client

    (tmp_path / "present.db").touch()
    uri = uri.format(dir=tmp_path)
    store = sqlite_store(uri)
    assert (store is not None and not store.is_file()) is missing
    if missing:
        with pytest.raises(RegistryUnreachable, match="does not exist"):
            registry_client(uri)


@pytest.mark.parametrize("registry", ["reachable", "unreachable"])
def test_the_bytes_loaded_are_the_bytes_whose_checksum_was_checked(
    sample_copy: Sample, monkeypatch: pytest.MonkeyPatch, registry: str
) -> None:
    """`kinerja train` may write a new export while a worker loads the old one: the file is
    replaced after its checksum matched and before skops reads it. The version served must
    hold the bytes its checksum names, never the file found at load time."""
    model_file = Path(sample_copy.models_dir) / NAME / MODEL_FILE
    decoy = skops.io.dumps({"not": "the champion"})
    real = skops.io.get_untrusted_types

    def replaced_meanwhile(**kwargs: object) -> list[str]:
        model_file.write_bytes(decoy)  # the concurrent export, between check and load
        return real(**kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(skops.io, "get_untrusted_types", replaced_meanwhile)
    uri = sample_copy.tracking_uri
    if registry == "unreachable":
        uri = uri.replace("mlflow.db", "absent.db")  # the export is read on its own
    model = ModelSource(NAME, uri, sample_copy.models_dir, refresh_seconds=0.0).current()
    assert model is not None and model.version == sample_copy.version
    assert 0.0 < model.threshold < 1.0  # the champion's pipeline, not the decoy


def test_a_new_champion_that_skops_cannot_read_is_refused_and_the_old_one_stays(
    sample_copy: Sample, tmp_path: Path
) -> None:
    """A registered file whose checksum matches but which skops cannot read (written by
    another skops version, or truncated before it was hashed) is refused like an altered
    one: the model in place keeps answering and /readyz says why, instead of every request
    retrying the load and failing."""
    served = source(sample_copy)
    first = served.current()
    assert first is not None
    artefacts = tmp_path / "unreadable"
    artefacts.mkdir()
    (artefacts / MODEL_FILE).write_bytes(b"not a skops file")
    client = MlflowClient(sample_copy.tracking_uri, sample_copy.tracking_uri)
    tags = {"sha256": sha256_of(artefacts / MODEL_FILE)}
    version = client.create_model_version(NAME, str(artefacts), tags=tags)
    client.set_registered_model_alias(NAME, "champion", version.version)
    assert served.current() is first
    assert served.current() is first  # refused once, not loaded again
    error = served.status()["error"]
    assert error is not None and "cannot be read" in error
