"""The batch scorer's reads and explanations give exactly what the serving paths give.

`kinerja score` reads a range of employee ids with its own statements
(`repositories.risk_batch`, planned by the range) and explains only the features that differ
from their typical value; neither may change a feature value or a contribution.
"""

from __future__ import annotations

import copy
import json
from datetime import date
from functools import partial

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sqlalchemy import Engine
from sqlalchemy import Float
from sqlalchemy import func
from sqlalchemy import literal
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.db import make_engine
from service.db.models import Employee
from service.db.models import Evaluation
from service.db.repositories import risk_batch
from service.db.repositories import risk_history as repo
from service.db.repositories.risk_batch import _RATER_STATS_COLUMNS
from service.db.repositories.risk_batch import listed_histories
from service.db.repositories.risk_batch import range_histories
from service.db.repositories.risk_raters import rounded
from service.features import FEATURE_NAMES
from service.features import build_panel
from service.features import features_at
from service.features import history_start
from service.features import serving_axis
from service.features.estimators import FeatureMatrix
from service.features.estimators import PeriodCalibratedClassifier
from service.serving.history import employee_row
from service.serving.loader import LoadedModel
from service.serving.loader import ModelSource
from service.serving.predictor import RISK_MODEL_NAME
from service.serving.predictor import explain
from service.serving.trees import _SUMS
from service.serving.trees import _TreeSums
from service.serving.trees import explain_rows
from service.serving.trees import predict_rows
from service.serving.trees import prepare_rows
from training import score
from training.extract import read_axis
from training.sample import Sample
from training.score import range_features
from training.score import read_range
from training.score import score_matrix
from training.synthetic.config import SyntheticConfig
from training.synthetic.seed import run_seed


def test_range_reads_give_the_features_of_the_set_reads(database_url: str) -> None:
    """Same rows, same panel, same features as `repositories.risk_history.histories`, on each
    backend."""
    engine = make_engine(database_url)
    run_seed(engine, SyntheticConfig(employees=150, seed=11))
    axis = read_axis(engine)
    axis = serving_axis(axis.code(axis.length - 1))
    first, last = 31, 120
    ids, batch = range_features(read_range(engine, first, last, axis), axis)
    with Session(engine) as session:
        found = repo.histories(
            session, lambda c: c.between(first, last), axis.codes(), history_start(axis)
        )
    engine.dispose()
    panel = build_panel(axis, **found)
    np.testing.assert_array_equal(ids, np.arange(first, last + 1))
    np.testing.assert_array_equal(ids, panel.employee_ids)
    np.testing.assert_array_equal(batch, features_at(panel, axis.length - 1))
    assert (~np.isnan(batch)).sum() > batch.size / 2  # the sources were read, not empty


@pytest.mark.parametrize("coded", [True, False])
def test_listed_reads_give_the_features_of_the_range_reads(database_url: str, coded: bool) -> None:
    """Scattered employees read by an id list: their rows of a range read, bit for bit."""
    engine = make_engine(database_url)
    run_seed(engine, SyntheticConfig(employees=150, seed=11))
    axis = read_axis(engine)
    axis = serving_axis(axis.code(axis.length - 1))
    codes, since = axis.codes(), history_start(axis)
    chosen = [3, 17, 18, 64, 99, 150, 10**6]  # one id is nobody
    with Session(engine) as session:
        ranged = range_histories(session, 1, 150, codes, since, coded=coded)
        listed = listed_histories(session, chosen, codes, since, coded=coded)
    engine.dispose()
    ids, X = range_features(ranged, axis)
    found, rows = range_features(listed, axis)
    np.testing.assert_array_equal(found, chosen[:-1])
    np.testing.assert_array_equal(rows, X[np.searchsorted(ids, found)])
    assert len(listed["rater_stats"]["rater_id"]) > 0


def test_batch_features_equal_the_single_request_features(risk_sample: Sample) -> None:
    engine = make_engine(risk_sample.database_url)
    axis = read_axis(engine)
    period = axis.code(axis.length - 1)
    axis = serving_axis(period)
    ids, batch = range_features(read_range(engine, 1, 10**9, axis), axis)
    chosen = np.random.default_rng(3).choice(len(ids), 25, replace=False)
    with Session(engine) as session:
        for i in chosen.tolist():
            employee = session.get(Employee, int(ids[i]))
            single = employee_row(session, employee, period)[0]
            # the raters' output sums may add the same shares in another order
            np.testing.assert_allclose(batch[i], single, rtol=1e-12, equal_nan=True)
    engine.dispose()


def _served_rows(sample: Sample) -> tuple[LoadedModel, np.ndarray]:
    """The sample's served model and the feature rows of all its employees."""
    model = ModelSource(
        RISK_MODEL_NAME, sample.tracking_uri, sample.models_dir, refresh_seconds=0
    ).current()
    assert model is not None
    engine = make_engine(sample.database_url)
    axis = read_axis(engine)
    axis = serving_axis(axis.code(axis.length - 1))
    _, X = range_features(read_range(engine, 1, 10**9, axis), axis)
    engine.dispose()
    return model, X


@pytest.mark.parametrize("rows", [1, 40])
def test_explained_contributions_equal_substituting_every_feature(
    risk_sample: Sample, rows: int
) -> None:
    """Skipping the features that already have their typical value changes no contribution."""
    model, X = _served_rows(risk_sample)
    X = X[:rows]
    _assert_explained_as_substituted(model.pipeline, X)
    assert _TreeSums.of(model.pipeline) is not None  # the trees were summed one by one


def test_the_prediction_pass_is_predict_proba_and_explains_as_a_fresh_one(
    risk_sample: Sample,
) -> None:
    """`predict_rows` gives `predict_proba` to the bit, and explaining some of its rows from
    its leaf values gives what explaining them afresh gives, to the bit."""
    model, X = _served_rows(risk_sample)
    predicted = predict_rows(model.pipeline, X)
    assert predicted.leaves is not None  # kept for the explanation
    assert np.array_equal(predicted.probability, model.pipeline.predict_proba(X)[:, 1])
    chosen = np.flatnonzero(predicted.probability >= np.median(predicted.probability))[::3]
    reused = explain_rows(model.pipeline, X[chosen], predicted.take(chosen))
    fresh = explain_rows(model.pipeline, X[chosen])
    assert np.array_equal(reused[0], fresh[0]) and np.array_equal(reused[1], fresh[1])
    assert np.array_equal(reused[0], predicted.probability[chosen])


def test_batch_drivers_are_the_json_text_of_the_live_drivers(
    risk_sample: Sample, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`score_matrix` (every row explained, in blocks of 64) writes each row's drivers as
    the text `json.dumps` gives of the single-employee answer's, probability to the bit."""
    monkeypatch.setattr(score, "EXPLAIN_BLOCK", 64)
    model, X = _served_rows(risk_sample)
    X = X[:300]
    probability, flagged, drivers = score_matrix(model, X, explain="all")
    for i in range(len(X)):
        live, reasons = explain(model.pipeline, X[i])
        assert probability[i] == live and flagged[i] == (live >= model.threshold)
        assert drivers[i] == json.dumps(reasons, ensure_ascii=False)
    assert any(json.loads(text) for text in drivers if text)


def test_a_scoring_process_prepares_the_tree_sums_before_its_first_chunk(
    risk_sample: Sample,
) -> None:
    """`prepare_rows` builds the trees' paths and leaving tables once, at a scoring process's
    start-up; the first chunk's prediction then reuses them and still gives `predict_proba`."""
    model, X = _served_rows(risk_sample)
    pipeline = copy.deepcopy(model.pipeline)  # an estimator no process has summed yet
    _SUMS.clear()
    prepare_rows(pipeline)
    (trees,) = _SUMS.values()
    assert trees._leaving_for is not None  # the explanation's table too
    predicted = predict_rows(pipeline, X)
    assert list(_SUMS.values()) == [trees]  # reused, not built again
    assert np.array_equal(predicted.probability, pipeline.predict_proba(X)[:, 1])


def _assert_explained_as_substituted(
    pipeline: Pipeline, X: np.ndarray, tolerance: float = 0
) -> None:
    """`explain_rows` gives what substituting every feature gives (to the bit by default)."""
    reference = pipeline.named_steps["features"].reference_values_
    assert (X == reference).any()  # some cells are skipped
    probability, contribution = explain_rows(pipeline, X)
    n, width = X.shape
    every = np.repeat(X, width + 1, axis=0).reshape(n, width + 1, width)
    every[:, np.arange(width) + 1, np.arange(width)] = reference
    full = pipeline.predict_proba(every.reshape(-1, width))[:, 1].reshape(n, width + 1)
    np.testing.assert_allclose(probability, full[:, 0], rtol=0, atol=tolerance)
    np.testing.assert_allclose(contribution, full[:, :1] - full[:, 1:], rtol=0, atol=tolerance)


def test_a_model_other_than_boosted_trees_is_explained_through_its_predictions() -> None:
    """No tree sums for a linear model: the substituted rows go through `predict_proba`.

    Its matrix product may add in another order for another number of rows (BLAS blocks),
    so the last bits may differ from one substitution at a time.
    """
    rng = np.random.default_rng(2)
    X = rng.normal(size=(300, len(FEATURE_NAMES))).round(1)
    X[:, 3] = 0.0  # the typical value of one feature: skipped
    y = (X[:, 0] + rng.normal(size=300) > 0).astype(int)
    calibrate = np.arange(300) >= 200
    model = PeriodCalibratedClassifier(LogisticRegression(max_iter=500))
    pipeline = Pipeline([("features", FeatureMatrix()), ("model", model)])
    pipeline.fit(X, y, model__calibration_mask=calibrate)
    assert _TreeSums.of(pipeline) is None
    _assert_explained_as_substituted(pipeline, X[:30], tolerance=1e-12)


def _seeded(database_url: str) -> tuple[Engine, list[str], date]:
    """A seeded database of 150 employees, its look-back's period codes and first day."""
    engine = make_engine(database_url)
    run_seed(engine, SyntheticConfig(employees=150, seed=11))
    axis = read_axis(engine)
    axis = serving_axis(axis.code(axis.length - 1))
    return engine, axis.codes(), history_start(axis)


def test_range_rater_statistics_equal_the_set_statement(database_url: str) -> None:
    """Raters of a range who also rate people outside it: their sums over everyone, bit for bit."""
    engine, codes, since = _seeded(database_url)
    with Session(engine) as session:
        batch = range_histories(session, 40, 70, codes, since)["rater_stats"]
        found = repo.histories(session, lambda c: c.between(40, 70), codes, since)["rater_stats"]
        rated = session.scalars(
            select(Evaluation.employee_id).where(
                Evaluation.rater_id.in_([int(r) for r in batch["rater_id"]]),
                Evaluation.period.in_(codes),
            )
        ).all()
    engine.dispose()
    assert min(rated) < 40 or max(rated) > 70  # the sums reach beyond the range

    def rows(columns: dict[str, np.ndarray]) -> list[tuple[object, ...]]:
        return sorted(zip(*(columns[name].tolist() for name in _RATER_STATS_COLUMNS), strict=True))

    assert rows(batch) == rows(found) and len(rows(batch)) > 0


#: The sources PostgreSQL reads with `risk_postgres`'s statements; those with an ORDER BY
#: must give their rows in the same order (the panel adds them in row order).
_POSTGRESQL_FORMS = (
    "achievements",
    "feedback360",
    "assessments",
    "rater_stats",
    "dialogue_actions",
)
_ORDERED = ("achievements", "feedback360", "assessments")


@pytest.mark.parametrize("coded", [True, False])
@pytest.mark.parametrize("listed", [False, True])
def test_postgresql_statements_give_the_rows_of_the_portable_ones(
    database_url: str, coded: bool, listed: bool
) -> None:
    """PostgreSQL's forms of the batch statements (one LATERAL subquery per parent row) read
    what the portable ones (SQLite's) read on the same database, value for value, in the same
    order where the statement orders its rows."""
    if not database_url.startswith("postgresql"):
        pytest.skip("PostgreSQL's own statements")
    engine, codes, since = _seeded(database_url)
    parameters = {"ids": [3, 17, 18, 64, 99, 150]} if listed else {"first": 40, "last": 70}
    kind = (tuple(codes), since, coded, listed)
    postgresql = risk_batch._statements(*kind, dialect="postgresql")
    portable = risk_batch._statements(*kind, dialect="sqlite")
    with Session(engine) as session:
        for name in _POSTGRESQL_FORMS:
            assert postgresql[name][0] is not portable[name][0]
            found, expected = (
                session.execute(statements[name][0], parameters).all()
                for statements in (postgresql, portable)
            )
            if name not in _ORDERED:
                found, expected = sorted(found, key=repr), sorted(expected, key=repr)
            assert found == expected and len(found) > 0, name
    engine.dispose()


@pytest.mark.parametrize("listed", [False, True])
def test_coded_rater_statistics_equal_the_text_read(database_url: str, listed: bool) -> None:
    """The coded read adds the output of the people rated inside it (from its own
    evaluations and achievements) to the statement's sum over those rated outside it: the
    text read's sums over everyone, bit for bit, for raters who rate on both sides."""
    engine, codes, since = _seeded(database_url)
    with Session(engine) as session:
        if listed:
            read = partial(listed_histories, session, list(range(40, 71)), codes, since)
        else:
            read = partial(range_histories, session, 40, 70, codes, since)
        text, coded = read(), read(coded=True)
    engine.dispose()
    stats = coded["rater_stats"]
    assert "period" not in stats  # read as positions
    period = np.asarray(codes, dtype=object)[stats["period_index"]]
    found = {**stats, "period": period}
    assert _stat_rows(found) == _stat_rows(text["rater_stats"]) and len(period) > 0
    evaluations = coded["evaluations"]
    rated = np.asarray(evaluations["rater_id"], dtype=np.float64)
    inside = {
        (int(r), int(p)): int(np.sum((rated == r) & (evaluations["period_index"] == p)))
        for r, p in zip(stats["rater_id"], stats["period_index"], strict=True)
    }
    both = [
        people > inside[(int(r), int(p))] > 0
        for r, p, people in zip(
            stats["rater_id"], stats["period_index"], stats["output_people"], strict=True
        )
    ]
    assert any(both)  # some sums add people rated inside and outside the read


def _stat_rows(columns: dict[str, np.ndarray]) -> list[tuple[object, ...]]:
    """The raters' statistics as sorted rows, numbers as floats (NULL and NaN as None)."""

    def number(value: object) -> float | None:
        return None if value is None or value != value else float(value)  # type: ignore[arg-type]

    names = _RATER_STATS_COLUMNS[2:]
    return sorted(
        (int(rater), str(period), *(number(columns[name][i]) for name in names))
        for i, (rater, period) in enumerate(
            zip(columns["rater_id"], columns["period"], strict=True)
        )
    )


def test_shares_are_rounded_as_the_database_rounds(database_url: str) -> None:
    """`rounded` gives ROUND of a double as each database gives it, to the bit: ties (SQLite
    away from zero, PostgreSQL to even), a sum just below a half that SQLite's +0.5 carries
    up, a small negative, values too large to hold a fraction."""
    values = [
        0.5, 1.5, 2.5, -0.5, -2.5, 0.49999999999999994, -0.3, 0.3, 1e9 / 3,
        333333333.49999994, 2.0**52 + 1, 2.0**52 - 0.5, 2.0**53 + 2, 1e300,
    ]  # fmt: skip
    engine = make_engine(database_url)
    with engine.connect() as connection:
        dialect = connection.dialect.name
        found = [
            connection.execute(select(func.round(literal(value, Float())))).scalar_one()
            for value in values
        ]
    engine.dispose()
    expected = np.asarray(found, dtype=np.float64)
    assert rounded(np.asarray(values), dialect).tobytes() == expected.tobytes(), found
