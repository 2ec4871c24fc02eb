"""A small seeded and trained installation: for tests, notebooks and demos.

`build_sample(directory)` seeds a SQLite database with the synthetic generator, trains the risk
model into a SQLite MLflow store and exports the champion, all under `directory`. A finished
sample is reused: calling it again with the same directory returns at once.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from service.db import make_engine
from service.db.migrate import upgrade
from training.pipeline import run
from training.register import Gates
from training.synthetic.config import SyntheticConfig
from training.synthetic.seed import run_seed

DONE = "sample.json"
#: A few hundred employees give a held-out period of a few dozen poor cases: calibration error
#: and group TPRs are too noisy for the national gates (0.05, 0.10), so the sample, which shows
#: the mechanics, uses wider ones. `kinerja train` always uses `Gates()`.
SAMPLE_GATES = Gates(max_ece=0.15, max_tpr_gap=0.5)


@dataclass(frozen=True)
class Sample:
    """Where a sample lives and what its first training run decided."""

    database_url: str
    tracking_uri: str
    models_dir: str
    version: str | None
    promoted: bool
    metrics: dict[str, float]

    def config(self, **overrides: Any) -> dict[str, Any]:
        """App configuration pointing at this sample's stores."""
        return {
            "DATABASE_URL": self.database_url,
            "MLFLOW_TRACKING_URI": self.tracking_uri,
            "KINERJA_MODELS_DIR": self.models_dir,
            **overrides,
        }


def seed_database(path: Path, employees: int, seed: int) -> str:
    """Create, migrate and seed a SQLite database at `path`; return its URL."""
    url = f"sqlite:///{path}"
    seed_into(url, employees, seed)
    return url


def seed_into(database_url: str, employees: int, seed: int) -> None:
    """Migrate and seed the empty database at `database_url` (the same records for the same
    `employees` and `seed` on any backend, so one sample's model scores them all)."""
    engine = make_engine(database_url)
    try:
        upgrade(engine)
        run_seed(engine, SyntheticConfig(employees=employees, seed=seed))
    finally:
        engine.dispose()


def build_sample(
    directory: Path, employees: int = 600, seed: int = 7, params: dict[str, Any] | None = None
) -> Sample:
    """Seed and train once under `directory` (reused when already built)."""
    marker = directory / DONE
    if marker.is_file():
        return Sample(**json.loads(marker.read_text()))
    directory.mkdir(parents=True, exist_ok=True)
    database_url = seed_database(directory / "kinerja.db", employees, seed)
    tracking_uri = f"sqlite:///{directory / 'mlflow.db'}"
    models_dir = str(directory / "models")
    summary = run(
        database_url,
        tracking_uri,
        models_dir,
        params,
        chunk_size=max(employees, 1000),
        threads=1,
        gates=SAMPLE_GATES,
    )
    metrics = {k: float(v) for k, v in summary.metrics.items() if v == v}
    sample = Sample(
        database_url, tracking_uri, models_dir, summary.version, summary.promoted, metrics
    )
    marker.write_text(json.dumps(asdict(sample)))
    return sample
