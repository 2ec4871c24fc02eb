"""`kinerja remind` reminds of the risk flags of the model version served, found without
loading it (`serving.served_version`), against the session's trained sample: a real MLflow
store with a promoted champion and its export in KINERJA_MODELS_DIR."""

from __future__ import annotations

import shutil
from datetime import UTC
from datetime import datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from click.testing import Result
from mlflow import MlflowClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.cli import main
from service.db.models import Notification
from service.db.models import RiskScore
from service.domain.entities import NotificationKind
from service.features.stored_rows import feature_set_id
from service.serving.loader import CHECKSUM_FILE
from service.serving.loader import MODEL_FILE
from service.serving.served_version import served_version
from tests.service.api.world import World
from tests.service.serving.samples import sample_copy  # noqa: F401 (fixture)
from tests.service.serving.samples import shared_sample
from training.sample import Sample

NAME = "kinerja-risk"


@pytest.fixture(scope="module")
def risk_sample(tmp_path_factory: pytest.TempPathFactory) -> Sample:
    return shared_sample(tmp_path_factory)


def _nowhere(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'nowhere' / 'mlflow.db'}"


def test_the_served_version_is_the_champion_else_the_verified_export(
    risk_sample: Sample, tmp_path: Path
) -> None:
    assert risk_sample.promoted and risk_sample.version is not None
    assert served_version(risk_sample.tracking_uri, risk_sample.models_dir) == risk_sample.version
    unreachable = _nowhere(tmp_path)
    assert served_version(unreachable, risk_sample.models_dir) == risk_sample.version
    assert served_version(unreachable, tmp_path / "no-models") is None
    assert not (tmp_path / "nowhere").exists(), "no tracking store is created"


def test_an_altered_export_or_a_removed_alias_serves_no_model(
    sample_copy: Sample,  # noqa: F811
    tmp_path: Path,
) -> None:
    """What the service would refuse before loading: the export's bytes against its
    checksum file, and no champion at all (the rule fallback answers)."""
    exported = Path(sample_copy.models_dir) / NAME
    with (exported / MODEL_FILE).open("ab") as model:
        model.write(b"\0")
    assert served_version(_nowhere(tmp_path), sample_copy.models_dir) is None
    (exported / CHECKSUM_FILE).unlink()
    assert served_version(_nowhere(tmp_path), sample_copy.models_dir) is None
    client = MlflowClient(sample_copy.tracking_uri, sample_copy.tracking_uri)
    client.delete_registered_model_alias(NAME, "champion")
    assert served_version(sample_copy.tracking_uri, sample_copy.models_dir) is None


def _remind(database_url: str, tmp_path: Path, tracking_uri: str, models_dir: str) -> Result:
    env = {
        "KINERJA_ENV": "test",
        "KINERJA_HOME": str(tmp_path / "home"),
        "DATABASE_URL": database_url,
        "MLFLOW_TRACKING_URI": tracking_uri,
        "KINERJA_MODELS_DIR": models_dir,
    }
    return CliRunner().invoke(main, ["remind", "--as-of", "2026-07-20", "--no-email"], env=env)


def _flag(session: Session, employee_id: int, version: str | None) -> None:
    session.add(
        RiskScore(
            employee_id=employee_id, period="2026-Q2", status="ok", probability=0.7,
            flagged=True, threshold=0.5, drivers=[], model_name=NAME, model_version=version,
            fallback=version is None, scored_at=datetime(2026, 7, 10, 8, 0, tzinfo=UTC),
            feature_set=feature_set_id(),
        )
    )  # fmt: skip


def _reminded(session: Session) -> set[str]:
    session.expire_all()
    query = select(Notification.subject_key).where(
        Notification.kind == NotificationKind.RISK_WITHOUT_DIALOGUE
    )
    return set(session.scalars(query))


def test_remind_counts_the_flags_of_the_served_version_only(
    session: Session, world: World, database_url: str, tmp_path: Path, risk_sample: Sample
) -> None:
    """E1 flagged by the champion, S by a version no longer served, AS by the rule fallback:
    served from the registry, E1's supervisor is reminded; with no model served (no store,
    no export), AS's is; S's never."""
    assert risk_sample.version is not None
    stale = str(int(risk_sample.version) + 1)
    for person, version in (("E1", risk_sample.version), ("S", stale), ("AS", None)):
        _flag(session, world.employees[person], version)
    session.commit()
    served = _remind(database_url, tmp_path, risk_sample.tracking_uri, risk_sample.models_dir)
    assert served.exit_code == 0, served.output
    assert f"those of model version {risk_sample.version}" in served.output
    assert _reminded(session) == {f"risk:2026-Q2:employee:{world.employees['E1']}"}

    empty = tmp_path / "no-models"
    empty.mkdir()
    fallback = _remind(database_url, tmp_path, _nowhere(tmp_path), str(empty))
    assert fallback.exit_code == 0, fallback.output
    assert "the rule fallback" in fallback.output
    assert _reminded(session) == {
        f"risk:2026-Q2:employee:{world.employees[person]}" for person in ("E1", "AS")
    }
    shutil.rmtree(empty)
