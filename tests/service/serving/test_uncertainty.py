"""The uncertainty beside a risk probability: the model's held-out record in its band.

Unit checks of the interval and the band lookup, then the trained sample: the record is kept
with the registered version and the export, covers exactly the held-out rows the metrics
were computed on, and the live and the stored answers cite the same band.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from mlflow import MlflowClient
from scipy.stats import binomtest
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.db import make_database
from service.db.models import Employee
from service.serving import ModelProvider
from service.serving.loader import RELIABILITY_TAG
from service.serving.loader import load_version
from service.serving.loader import read_export
from service.serving.loader import read_export_metadata
from service.serving.loader import registered_version
from service.serving.stored import stored_answer
from service.serving.uncertainty import LEVEL
from service.serving.uncertainty import Band
from service.serving.uncertainty import bands_from_json
from service.serving.uncertainty import bands_to_json
from service.serving.uncertainty import reliability_bands
from service.serving.uncertainty import uncertainty
from service.serving.uncertainty import wilson_interval
from training.sample import Sample
from training.score import score_all


@pytest.mark.parametrize(("poor", "rows"), [(0, 10), (3, 10), (10, 10), (1, 1), (57, 400)])
def test_wilson_interval_matches_scipy(poor: int, rows: int) -> None:
    expected = binomtest(poor, rows).proportion_ci(confidence_level=LEVEL, method="wilson")
    low, high = wilson_interval(poor, rows)
    assert low == pytest.approx(expected.low, abs=1e-9)
    assert high == pytest.approx(expected.high, abs=1e-9)


def test_bands_count_every_row_once_and_say_what_happened() -> None:
    rng = np.random.default_rng(3)
    probability = np.concatenate([rng.uniform(0, 1, 500), [0.0, 1.0, 0.1, 0.2]])
    y = (rng.uniform(0, 1, probability.size) < probability).astype(int)
    bands = reliability_bands(y, probability)
    assert sum(b.similar for b in bands) == probability.size
    top = bands[-1]
    in_top = probability >= 0.9
    assert (top.low, top.high, top.similar) == (0.9, 1.0, int(in_top.sum()))
    assert top.observed == pytest.approx(y[in_top].mean())
    assert top.interval_low <= top.observed <= top.interval_high
    assert bands_from_json(bands_to_json(bands))[3].similar == bands[3].similar


def test_lookup_finds_the_band_and_abstains_without_a_record() -> None:
    bands = (
        Band(0.0, 0.1, 80, 0.05, 0.02, 0.1),
        Band(0.9, 1.0, 4, 0.75, 0.33, 0.95),
    )
    assert uncertainty(bands, 0.0999)["band"] == {"low": 0.0, "high": 0.1}
    assert uncertainty(bands, 1.0)["similar"] == 4  # exactly 1 is the top band's
    assert uncertainty(bands, 0.5) is None  # nobody held out fell between 0.1 and 0.9
    assert uncertainty((), 0.5) is None  # a model trained before the record was kept
    assert bands_from_json('{"not": "a list"}') == ()
    assert bands_from_json("[[0, 0.1, 3]]") == ()


def test_the_record_covers_the_held_out_rows_and_travels_with_the_model(
    sample_copy: Sample,
) -> None:
    client = MlflowClient(sample_copy.tracking_uri)
    version = registered_version(client, "kinerja-risk", sample_copy.version)
    bands = bands_from_json(version.tags[RELIABILITY_TAG])
    test_rows = client.get_run(version.run_id).data.metrics["test_rows"]
    assert sum(b.similar for b in bands) == test_rows
    assert all(b.interval_low <= b.observed <= b.interval_high for b in bands)
    metadata = read_export_metadata(sample_copy.models_dir, "kinerja-risk")
    assert bands_from_json(metadata["reliability"]) == bands
    assert read_export(sample_copy.models_dir, "kinerja-risk").bands == bands
    assert load_version(client, version).bands == bands


def test_a_version_without_a_record_answers_without_uncertainty(sample_copy: Sample) -> None:
    client = MlflowClient(sample_copy.tracking_uri)
    client.delete_model_version_tag("kinerja-risk", sample_copy.version, RELIABILITY_TAG)
    version = registered_version(client, "kinerja-risk", sample_copy.version)
    assert load_version(client, version).bands == ()


def test_live_and_stored_answers_cite_the_band_of_their_probability(
    sample_copy: Sample,
) -> None:
    score_all(sample_copy.database_url, sample_copy.tracking_uri, sample_copy.models_dir)
    served = ModelProvider(sample_copy.tracking_uri, sample_copy.models_dir)
    database = make_database(sample_copy.database_url)
    seen = 0
    with database.sessions() as session:
        period = served.latest_period(session)
        for employee in _some_employees(session):
            live = served.assess(session, employee)[0]
            stored = stored_answer(session, employee.id, period, served.risk.current())
            assert stored is not None and stored["uncertainty"] == live["uncertainty"]
            if live["status"] != "ok":
                assert live["uncertainty"] is None
                continue
            seen += 1
            band = live["uncertainty"]["band"]
            assert band["low"] <= live["probability"] <= band["high"]
            assert live["uncertainty"]["similar"] > 0
    database.engine.dispose()
    assert seen >= 20


def _some_employees(session: Session) -> list[Employee]:
    return list(session.scalars(select(Employee).order_by(Employee.id).limit(40)))


def test_the_record_is_compact_json() -> None:
    text = bands_to_json([Band(0.1, 0.2, 12, 1 / 3, 0.14, 0.6)])
    assert json.loads(text) == [[0.1, 0.2, 12, 0.3333, 0.14, 0.6]]
