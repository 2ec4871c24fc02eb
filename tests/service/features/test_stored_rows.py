"""The feature-set id stored beside each feature row names all the code that computed it."""

from __future__ import annotations

import shutil
from pathlib import Path

import service
from service.db.repositories import risk
from service.db.repositories import risk_history as history
from service.features.stored_rows import HISTORY_READERS
from service.features.stored_rows import feature_set_digest
from service.features.stored_rows import feature_set_id
from service.features.stored_rows import feature_sources


def _copy(tmp_path: Path) -> Path:
    """The files `feature_sources` names, copied under a `service` tree of their own."""
    package = Path(service.__file__).parent
    root = tmp_path / "service"
    for source in feature_sources():
        target = root / source.relative_to(package)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
    return root


def test_the_id_covers_the_features_and_the_history_reads() -> None:
    names = {(path.parent.name, path.name) for path in feature_sources()}
    assert {("repositories", name) for name in HISTORY_READERS} <= names
    assert ("features", "catalogue.py") in names and ("features", "window.py") in names
    assert all(path.is_file() for path in feature_sources())
    assert feature_set_id() == feature_set_digest(feature_sources())


def test_an_edit_of_a_history_read_changes_the_id(tmp_path: Path) -> None:
    """A stored feature row was read by these statements: edited, they may read other rows,
    so the rows stored before are not reused (by `kinerja score` or the risk read)."""
    root = _copy(tmp_path)
    before = feature_set_digest(feature_sources(root))
    assert before == feature_set_id()
    for name in HISTORY_READERS:
        reader = root / "db" / "repositories" / name
        original = reader.read_bytes()
        reader.write_bytes(original + b"\n# a changed statement\n")
        assert feature_set_digest(feature_sources(root)) != before, name
        reader.write_bytes(original)
    assert feature_set_digest(feature_sources(root)) == before


def test_the_write_side_of_the_risk_repository_is_not_part_of_the_id() -> None:
    """Stored scores, their invalidation and retrain jobs (`repositories/risk.py`) compute no
    feature: an edit there must not make every stored feature row unusable (a full
    `kinerja score` of every employee)."""
    names = {(path.parent.name, path.name) for path in feature_sources()}
    assert ("repositories", "risk.py") not in names
    assert hasattr(risk, "forget_scores") and hasattr(risk, "claim_job")
    assert hasattr(history, "histories") and not hasattr(history, "forget_scores")
