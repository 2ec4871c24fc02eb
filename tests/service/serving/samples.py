"""Fixtures of one small seeded and trained installation per test session.

Imported by the conftests of tests/service/serving and tests/training and by the risk API
tests, so the sample is built once per session whichever test asks first.

Tests that change the registry or the exported files work on `sample_copy`, never on the
shared sample itself.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from threadpoolctl import threadpool_limits

from training.sample import Sample
from training.sample import build_sample


@pytest.fixture(autouse=True)
def one_openmp_thread() -> Iterator[None]:
    """Trees on one OpenMP thread: on a busy machine their threads spin-wait for seconds."""
    with threadpool_limits(limits=1, user_api="openmp"):
        yield


def shared_sample(factory: pytest.TempPathFactory) -> Sample:
    """Seed 600 employees and train the risk model once per session (then reuse it)."""
    return build_sample(factory.getbasetemp() / "risk-sample")


@pytest.fixture(scope="session")
def risk_sample(tmp_path_factory: pytest.TempPathFactory) -> Sample:
    """The session's trained sample (read-only: use `sample_copy` to change it)."""
    return shared_sample(tmp_path_factory)


@pytest.fixture
def sample_copy(risk_sample: Sample, tmp_path: Path) -> Sample:
    """A private copy of the sample's database, tracking store and exported model."""
    source = Path(risk_sample.models_dir).parent
    target = tmp_path / "sample"
    shutil.copytree(source, target, ignore=shutil.ignore_patterns("mlartifacts"))
    return replace(
        risk_sample,
        database_url=f"sqlite:///{target / 'kinerja.db'}",
        tracking_uri=f"sqlite:///{target / 'mlflow.db'}",
        models_dir=str(target / "models"),
    )
