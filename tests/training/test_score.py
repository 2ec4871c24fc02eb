"""Batch scoring into risk_scores: everyone scored once, drivers for the flagged, fallback;
an incremental run (stored feature rows reused) stores what a full one stores, to the bit."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC
from datetime import datetime
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from sqlalchemy import delete
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy import update

from service.cli import main
from service.db import make_database
from service.db import make_engine
from service.db.models import Employee
from service.db.models import Evaluation
from service.db.models import RiskFeatureRow
from service.db.models import RiskScore
from service.db.repositories.risk import forget_scores
from service.domain.entities import Rating
from service.features import FEATURE_NAMES
from service.features import serving_axis
from service.features.stored_rows import feature_set_id
from service.serving.loader import ModelSource
from service.serving.predictor import MAX_DRIVERS
from service.serving.predictor import MIN_CONTRIBUTION
from service.serving.predictor import RISK_MODEL_NAME
from tests.service.serving.dense_drivers import top_drivers
from tests.service.serving.dense_drivers import top_drivers_of
from training.extract import employee_chunks
from training.extract import read_axis
from training.sample import Sample
from training.score import Clock
from training.score import _drivers_json
from training.score import finish_range
from training.score import plan_job
from training.score import range_features
from training.score import read_range
from training.score import score_all
from training.score import scored_at
from training.score_stored import read_sets
from training.score_stored import read_stored
from training.synthetic.config import SyntheticConfig
from training.synthetic.seed import run_seed


def _scores(sample: Sample) -> list[RiskScore]:
    database = make_database(sample.database_url)
    with database.sessions() as session:
        rows = list(session.scalars(select(RiskScore)))
        employees = session.scalar(select(func.count()).select_from(Employee))
    database.engine.dispose()
    assert len(rows) == employees
    return rows


def test_every_employee_is_scored_once_for_the_latest_period(sample_copy: Sample) -> None:
    first = score_all(sample_copy.database_url, sample_copy.tracking_uri, sample_copy.models_dir)
    again = score_all(sample_copy.database_url, sample_copy.tracking_uri, sample_copy.models_dir)
    rows = _scores(sample_copy)
    assert first.employees == again.employees == len(rows)
    assert {r.period for r in rows} == {"2025-Q4"}
    assert {r.model_version for r in rows} == {sample_copy.version}
    ok = [r for r in rows if r.status == "ok"]
    assert ok and all(0.0 <= r.probability <= 1.0 for r in ok)
    assert all(r.flagged == (r.probability >= r.threshold) for r in ok)
    flagged = [r for r in ok if r.flagged]
    assert flagged and all(1 <= len(r.drivers) <= 5 for r in flagged)
    assert sum(r.flagged for r in rows) == first.flagged


def test_without_any_model_scores_are_rule_based(sample_copy: Sample, tmp_path: Path) -> None:
    summary = score_all(
        sample_copy.database_url, f"sqlite:///{tmp_path / 'none.db'}", tmp_path / "no-models"
    )
    rows = _scores(sample_copy)
    assert summary.fallback and all(r.fallback and r.model_version is None for r in rows)
    assert {r.status for r in rows} <= {"ok", "insufficient_data"}


def test_batch_scores_equal_the_single_employee_answers(sample_copy: Sample) -> None:
    """The batch path (chunked reads, bare estimator, bulk write) answers as the API does."""
    from service.serving import ModelProvider

    score_all(sample_copy.database_url, sample_copy.tracking_uri, sample_copy.models_dir)
    provider = ModelProvider(sample_copy.tracking_uri, sample_copy.models_dir)
    database = make_database(sample_copy.database_url)
    with database.sessions() as session:
        stored = {r.employee_id: r for r in session.scalars(select(RiskScore))}
        flagged = [e for e, r in stored.items() if r.flagged][:5]
        others = [e for e, r in stored.items() if not r.flagged][:5]
        for employee_id in flagged + others:
            answer = provider.assess(session, session.get(Employee, employee_id))[0]  # live
            row = stored[employee_id]
            assert (answer["status"], answer["flagged"]) == (row.status, row.flagged)
            assert answer["probability"] == pytest.approx(row.probability, abs=1e-4)
            if row.flagged:  # batch explains the flagged; null marks the others unexplained
                assert [d["feature"] for d in row.drivers] == [
                    d["feature"] for d in answer["drivers"]
                ]
            else:
                assert row.drivers == (None if row.status == "ok" else [])
    database.engine.dispose()
    assert flagged and others


def test_small_chunks_write_the_same_scores_as_one_chunk(sample_copy: Sample) -> None:
    args = (sample_copy.database_url, sample_copy.tracking_uri, sample_copy.models_dir)
    score_all(*args, chunk_size=100_000)
    whole = {r.employee_id: (r.status, r.probability, r.flagged) for r in _scores(sample_copy)}
    summary = score_all(*args, chunk_size=97, full=True)
    parts = {r.employee_id: (r.status, r.probability, r.flagged) for r in _scores(sample_copy)}
    assert parts == whole and summary.employees == len(whole)
    assert summary.recomputed == len(whole) and summary.reused == summary.untouched == 0
    assert set(summary.stages) == {"stored", "read", "features", "predict", "explain", "write"}
    assert all(seconds >= 0 for seconds in summary.stages.values())


def test_worker_processes_write_the_same_scores(sample_copy: Sample) -> None:
    args = (sample_copy.database_url, sample_copy.tracking_uri, sample_copy.models_dir)
    score_all(*args)
    whole = {
        r.employee_id: (r.status, r.probability, r.flagged, r.drivers)
        for r in _scores(sample_copy)
    }
    summary = score_all(*args, chunk_size=150, workers=2, threads=1, full=True)
    parts = {
        r.employee_id: (r.status, r.probability, r.flagged, r.drivers)
        for r in _scores(sample_copy)
    }
    assert parts == whole and summary.employees == len(whole)
    assert summary.flagged == sum(flagged for _, _, flagged, _ in whole.values())


def test_given_ranges_score_only_their_employees(sample_copy: Sample) -> None:
    """`ranges` scores those id ranges, each as one chunk, and leaves the other rows as
    stored (what `bench/score_child.py` runs on the first share of the ranges)."""
    args = (sample_copy.database_url, sample_copy.tracking_uri, sample_copy.models_dir)
    score_all(*args)
    everyone = _stored_rows(sample_copy)
    _promote_another_version(sample_copy)
    ids = sorted(everyone)
    ranges = [(ids[0], ids[99]), (ids[200], ids[249])]
    summary = score_all(*args, ranges=ranges, workers=2, threads=1)
    assert summary.employees == summary.reused == 150
    found = _stored_rows(sample_copy)
    inside = set(ids[:100]) | set(ids[200:250])
    at = [c.name for c in RiskScore.__table__.c if c.name not in ("id", "scored_at")].index(
        "model_version"
    )
    assert {e for e, row in found.items() if row[at] != "0"} == inside
    assert all(found[e] == everyone[e] for e in inside)  # the same answers, to the bit


def _stored_rows(sample: Sample) -> dict[int, tuple[object, ...]]:
    """Every stored answer with its feature row, by employee (not when it was scored)."""
    columns = [c for c in RiskScore.__table__.c if c.name not in ("id", "scored_at")]
    features = RiskFeatureRow.__table__
    own = (features.c.employee_id == RiskScore.employee_id) & (
        features.c.period == RiskScore.period
    )
    query = select(*columns, features.c.features).outerjoin(features, own)
    database = make_database(sample.database_url)
    with database.engine.connect() as connection:
        rows = connection.execute(query).all()
    database.engine.dispose()
    return {row.employee_id: tuple(row) for row in rows}


def _promote_another_version(sample: Sample) -> None:
    """What the stored rows look like after a promotion: by a version no longer served."""
    database = make_database(sample.database_url)
    with database.engine.begin() as connection:
        connection.execute(update(RiskScore).values(model_version="0"))
    database.engine.dispose()


def _change_inputs(sample: Sample, employees: int) -> set[int]:
    """Rate the first `employees` evaluated employees of the scored period worse, through the
    ORM (their rows and their raters' teams go outdated); the people changed."""
    database = make_database(sample.database_url)
    with database.sessions() as session:
        period = session.scalar(select(func.max(RiskScore.period)))
        changed = session.scalars(
            select(Evaluation)
            .where(Evaluation.period == period, Evaluation.predikat != "kurang")
            .order_by(Evaluation.id)
            .limit(employees)
        ).all()
        for evaluation in changed:
            evaluation.work_result_rating = Rating.DI_BAWAH_EKSPEKTASI
            evaluation.predikat = "kurang"
        session.commit()
        people = {evaluation.employee_id for evaluation in changed}
    database.engine.dispose()
    return people


def test_incremental_scoring_stores_what_full_scoring_stores(sample_copy: Sample) -> None:
    """After a promotion (another version stored), changed inputs, rows of an old feature
    set, rows without features and missing rows: same answers, probabilities to the bit."""
    args = (sample_copy.database_url, sample_copy.tracking_uri, sample_copy.models_dir)
    first = score_all(*args, chunk_size=150)
    assert first.recomputed == first.employees and first.reused == first.untouched == 0
    before = _stored_rows(sample_copy)
    _promote_another_version(sample_copy)
    changed = _change_inputs(sample_copy, 5)
    database = make_database(sample_copy.database_url)
    with database.engine.begin() as connection:
        ids = sorted(before)
        stored = RiskScore.__table__
        features = RiskFeatureRow.__table__
        connection.execute(delete(features).where(features.c.employee_id.in_(ids[:7])))
        connection.execute(update(stored).where(stored.c.employee_id.in_(ids[7:11])).values(
            feature_set="0123456789abcdef"))  # fmt: skip
        connection.execute(delete(stored).where(stored.c.employee_id.in_(ids[-3:])))
        outdated = set(connection.scalars(select(stored.c.employee_id).where(stored.c.outdated)))
    database.engine.dispose()
    assert changed <= outdated and changed
    again = outdated | set(ids[:11]) | set(ids[-3:])

    incremental = score_all(*args, chunk_size=150)
    found = _stored_rows(sample_copy)
    assert incremental.recomputed == len(again)
    assert incremental.reused == len(before) - incremental.recomputed
    assert incremental.untouched == 0 and incremental.stale == 0
    full = score_all(*args, chunk_size=150, full=True)
    assert _stored_rows(sample_copy) == found
    assert (full.scored, full.flagged) == (incremental.scored, incremental.flagged)
    assert any(found[e] != before[e] for e in changed)  # the changed inputs were read

    last = score_all(*args, chunk_size=150)
    assert last.untouched == last.employees and last.reused == last.recomputed == 0
    assert (last.scored, last.flagged) == (full.scored, full.flagged)
    assert _stored_rows(sample_copy) == found


#: Triggers counting every insert, update and delete of a feature row, by dialect.
_COUNTING = {
    "sqlite": [
        f"CREATE TRIGGER feature_row_{operation} AFTER {operation} ON risk_feature_rows "
        "BEGIN INSERT INTO feature_row_writes VALUES (1); END"
        for operation in ("INSERT", "UPDATE", "DELETE")
    ],
    "postgresql": [
        "CREATE FUNCTION count_feature_row_write() RETURNS trigger LANGUAGE plpgsql AS "
        "$$ BEGIN INSERT INTO feature_row_writes VALUES (1); RETURN NULL; END $$",
        "CREATE TRIGGER feature_row_writes AFTER INSERT OR UPDATE OR DELETE ON "
        "risk_feature_rows FOR EACH ROW EXECUTE FUNCTION count_feature_row_write()",
    ],
}


def _count_feature_row_writes(database_url: str) -> Callable[[], int]:
    """Count every insert, update and delete of a feature row from now on (triggers into a
    table of the test's own); the count so far."""
    engine = make_engine(database_url)
    with engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE feature_row_writes (n INTEGER)")
        for statement in _COUNTING[engine.dialect.name]:
            connection.exec_driver_sql(statement)
    engine.dispose()

    def count() -> int:
        engine = make_engine(database_url)
        with engine.connect() as connection:
            found = connection.exec_driver_sql("SELECT count(*) FROM feature_row_writes")
            written = int(found.scalar_one())
        engine.dispose()
        return written

    return count


def test_a_promotion_rescore_writes_the_answers_and_not_the_feature_rows(
    database_url: str, risk_sample: Sample
) -> None:
    """Answered again from their stored feature rows, the rows keep them as they are (no
    insert, update or delete of one); the rows whose history is read get theirs again."""
    engine = make_engine(database_url)
    run_seed(engine, SyntheticConfig(employees=150, seed=11))
    engine.dispose()
    sample = replace(risk_sample, database_url=database_url)
    args = (database_url, risk_sample.tracking_uri, risk_sample.models_dir)
    score_all(*args, chunk_size=60)
    writes = _count_feature_row_writes(database_url)
    _promote_another_version(sample)
    promoted = score_all(*args, chunk_size=60)
    assert promoted.reused == promoted.employees == 150 and writes() == 0
    _change_inputs(sample, 1)
    changed = score_all(*args, chunk_size=60)
    assert 0 < changed.recomputed < changed.employees
    written = writes()  # PostgreSQL deletes a row read again, then copies it in
    assert written == changed.recomputed * (2 if "postgresql" in database_url else 1)


def test_stored_features_are_the_computed_rows_bit_for_bit(sample_copy: Sample) -> None:
    args = (sample_copy.database_url, sample_copy.tracking_uri, sample_copy.models_dir)
    score_all(*args)
    engine = make_engine(sample_copy.database_url)
    axis = serving_axis(read_axis(engine).code(read_axis(engine).length - 1))
    ids, X = range_features(read_range(engine, 1, 10**9, axis), axis)
    with engine.connect() as connection:
        rows = select(RiskFeatureRow.employee_id, RiskFeatureRow.features)
        stored = dict(connection.execute(rows).all())
        sets = set(connection.execute(select(RiskScore.feature_set)).scalars())
    engine.dispose()
    assert sets == {feature_set_id()}
    for employee_id, row in zip(ids.tolist(), X, strict=True):
        assert stored[employee_id] == row.astype("<f8").tobytes()


def test_sqlite_write_binds_the_time_as_the_text_the_driver_stored() -> None:
    """The write hands SQLite the scoring time as text made once (not a datetime that the
    driver adapts once per row), the same text its adapter stores: rows keep that form."""
    engine = make_engine("sqlite://")
    now = datetime(2025, 12, 31, 23, 59, 58, 123456, tzinfo=UTC)
    bound = scored_at(engine.dialect, now)
    raw = sqlite3.connect(":memory:")
    stored_by_driver = raw.execute("SELECT ?", (now,)).fetchone()[0]  # its datetime adapter
    raw.close()
    engine.dispose()
    assert isinstance(bound, str)
    assert bound == stored_by_driver == "2025-12-31 23:59:58.123456+00:00"


def test_drivers_are_stored_as_json_dumps_writes_them() -> None:
    """The shared encoder writes what `json.dumps(..., ensure_ascii=False)` writes: letters
    as they are, None as null, floats by repr; no drivers and unexplained stay distinct."""
    drivers = [
        {"feature": "x", "label": "Nilai \u00e9 terakhir", "value": None, "contribution": 0.1234},
        {"feature": "y", "label": "B", "value": 2.5e-05, "contribution": 1.0},
    ]
    text = _drivers_json(drivers)
    assert text == json.dumps(drivers, ensure_ascii=False) and "\u00e9" in text
    assert json.loads(text) == drivers
    assert (_drivers_json([]), _drivers_json(None)) == ("[]", "null")


def test_scored_at_is_stored_as_text_sqlalchemy_reads_back(sample_copy: Sample) -> None:
    before = datetime.now(UTC)
    score_all(sample_copy.database_url, sample_copy.tracking_uri, sample_copy.models_dir)
    engine = make_engine(sample_copy.database_url)
    with engine.connect() as connection:
        texts = set(connection.exec_driver_sql("SELECT scored_at FROM risk_scores").scalars())
        read = set(connection.execute(select(RiskScore.scored_at)).scalars())
    engine.dispose()
    assert len(texts) == len(read) == 1
    (text,), (moment,) = texts, read
    assert datetime.fromisoformat(text) >= before and text.endswith("+00:00")
    assert moment.replace(tzinfo=UTC) == datetime.fromisoformat(text)


def test_a_change_while_scoring_stores_the_new_row_outdated(sample_copy: Sample) -> None:
    """A row fresh when its range was read and outdated by the write: written outdated."""
    args = (sample_copy.database_url, sample_copy.tracking_uri, sample_copy.models_dir)
    score_all(*args)
    _promote_another_version(sample_copy)  # every row is answered again, from its features
    model = ModelSource(RISK_MODEL_NAME, sample_copy.tracking_uri, sample_copy.models_dir)
    engine = make_engine(sample_copy.database_url)
    job = plan_job(engine, model.current(), "flagged")
    with engine.connect() as connection:
        stored = read_stored(connection, job.answering, 1, 10**9)
    assert stored.usable.all() and not stored.same.any()
    changed = _change_inputs(sample_copy, 1)  # commits between the read and the write
    counts = finish_range(engine, job, 1, 10**9, stored, Clock())
    with engine.connect() as connection:
        outdated = set(
            connection.execute(select(RiskScore.employee_id).where(RiskScore.outdated)).scalars()
        )
    engine.dispose()
    assert changed <= outdated and counts.stale == len(outdated) > 0
    assert counts.reused == counts.employees

    summary = score_all(*args)  # the next run reads their history again
    assert summary.recomputed == len(outdated) and summary.stale == 0


def test_a_row_deleted_before_the_write_is_written_again(sample_copy: Sample) -> None:
    """Rows stored when read are updated in place; one deleted meanwhile is inserted again,
    and every row ends as a fresh run's."""
    args = (sample_copy.database_url, sample_copy.tracking_uri, sample_copy.models_dir)
    score_all(*args)
    before = _stored_rows(sample_copy)
    _promote_another_version(sample_copy)
    model = ModelSource(RISK_MODEL_NAME, sample_copy.tracking_uri, sample_copy.models_dir)
    engine = make_engine(sample_copy.database_url)
    job = plan_job(engine, model.current(), "flagged")
    with engine.connect() as connection:
        stored = read_stored(connection, job.answering, 1, 10**9)
    assert stored.usable.all()
    gone = sorted(before)[5]
    with engine.begin() as connection:
        connection.execute(delete(RiskScore).where(RiskScore.employee_id == gone))
    counts = finish_range(engine, job, 1, 10**9, stored, Clock())
    engine.dispose()
    assert counts.reused == counts.employees and counts.stale == 0
    assert _stored_rows(sample_copy) == before


def _seeded(database_url: str, risk_sample: Sample) -> tuple[Sample, tuple[str, str, str]]:
    """150 seeded employees in the test's database, scored by the session's model; the
    sample pointing at it and `score_all`'s arguments."""
    engine = make_engine(database_url)
    run_seed(engine, SyntheticConfig(employees=150, seed=11))
    engine.dispose()
    sample = replace(risk_sample, database_url=database_url)
    return sample, (database_url, risk_sample.tracking_uri, risk_sample.models_dir)


def _row_ids(database_url: str) -> dict[int, int]:
    engine = make_engine(database_url)
    with engine.connect() as connection:
        found = dict(connection.execute(select(RiskScore.employee_id, RiskScore.id)).all())
    engine.dispose()
    return found


def test_a_rescore_writes_the_stored_rows_in_place(database_url: str, risk_sample: Sample) -> None:
    """After a promotion every stored row is rewritten where it is (same row id: PostgreSQL
    updates it too, it no longer deletes and copies), a missing row is inserted, and the
    rows are those a full run stores."""
    sample, args = _seeded(database_url, risk_sample)
    score_all(*args, chunk_size=60)
    before = _row_ids(database_url)
    _promote_another_version(sample)
    missing = sorted(before)[70]
    engine = make_engine(database_url)
    with engine.begin() as connection:
        connection.execute(delete(RiskScore).where(RiskScore.employee_id == missing))
    engine.dispose()
    promoted = score_all(*args, chunk_size=60)
    assert promoted.reused == 149 and promoted.recomputed == 1 and promoted.stale == 0
    after = _row_ids(database_url)
    assert after.keys() == before.keys() and after[missing] != before[missing]
    assert {e: i for e, i in after.items() if e != missing} == {
        e: i for e, i in before.items() if e != missing
    }
    found = _stored_rows(sample)
    score_all(*args, chunk_size=60, full=True)
    assert _stored_rows(sample) == found


@pytest.mark.parametrize("deleted", [False, True])
def test_a_change_while_scoring_is_written_outdated_on_each_backend(
    database_url: str, risk_sample: Sample, deleted: bool
) -> None:
    """A row fresh when its range was read and outdated by the write is written outdated
    (the stale count says how many); the others get this run's answer, a row deleted
    meanwhile (`deleted`) is written again, fresh."""
    sample, args = _seeded(database_url, risk_sample)
    score_all(*args)
    before = _stored_rows(sample)
    _promote_another_version(sample)
    model = ModelSource(RISK_MODEL_NAME, risk_sample.tracking_uri, risk_sample.models_dir)
    engine = make_engine(database_url)
    job = plan_job(engine, model.current(), "flagged")
    with engine.connect() as connection:
        stored = read_stored(connection, job.answering, 1, 10**9)
    changed = _change_inputs(sample, 1)  # commits between the read and the write
    with engine.begin() as connection:
        outdated = set(connection.scalars(select(RiskScore.employee_id).where(RiskScore.outdated)))
        gone = min(set(before) - outdated)
        if deleted:
            connection.execute(delete(RiskScore).where(RiskScore.employee_id == gone))
    counts = finish_range(engine, job, 1, 10**9, stored, Clock())
    with engine.connect() as connection:
        written = set(connection.scalars(select(RiskScore.employee_id).where(RiskScore.outdated)))
    engine.dispose()
    found = _stored_rows(sample)
    assert changed <= outdated == written and counts.stale == len(outdated) > 0
    assert counts.reused == counts.employees == len(found) == len(before)
    assert {e: r for e, r in found.items() if e not in outdated} == {
        e: r for e, r in before.items() if e not in outdated
    }
    summary = score_all(*args)  # the next run reads their history again
    assert summary.recomputed == len(outdated) and summary.stale == 0


def test_postgresql_keeps_room_in_the_score_pages(database_url: str) -> None:
    """`risk_scores` pages are filled to half on PostgreSQL (migration 0026), so a rescore's
    update of a row can stay in its page (a HOT update: no index entry added)."""
    if not database_url.startswith("postgresql"):
        pytest.skip("a PostgreSQL storage setting")
    engine = make_engine(database_url)
    with engine.connect() as connection:
        options = connection.exec_driver_sql(
            "SELECT reloptions FROM pg_class WHERE relname = 'risk_scores'"
        ).scalar_one()
    engine.dispose()
    assert options == ["fillfactor=50"]


def test_top_drivers_of_rows_are_those_of_each_row() -> None:
    """The drivers of many rows at once: `top_drivers` of each, ties and NaN values alike."""
    rng = np.random.default_rng(3)
    width = len(FEATURE_NAMES)
    X = rng.normal(size=(200, width)).round(2)
    X[rng.random(X.shape) < 0.1] = np.nan
    contribution = rng.choice([0.0, 0.0005, 0.001, 0.02, 0.02, -0.01], size=(200, width))
    contribution[:5] = 0.0  # no driver at all
    found = top_drivers_of(X, contribution)
    for x, c, drivers in zip(X, contribution, found, strict=True):
        # Largest contribution first, ties in feature order, at most 5, none below 0.001.
        ranked = sorted(range(width), key=lambda i, c=c: (-c[i], i))[:MAX_DRIVERS]
        expected = [i for i in ranked if c[i] >= MIN_CONTRIBUTION]
        assert [d["feature"] for d in drivers] == [FEATURE_NAMES[i] for i in expected]
        assert [d["contribution"] for d in drivers] == [round(c[i], 4) for i in expected]
        assert [d["value"] for d in drivers] == [
            None if np.isnan(x[i]) else round(x[i], 4) for i in expected
        ]
        assert top_drivers(x, c) == drivers  # one row alone: the same
    assert any(len(drivers) == 5 for drivers in found) and [] in found


def test_drivers_of_another_explain_mode_are_answered_again(sample_copy: Sample) -> None:
    args = (sample_copy.database_url, sample_copy.tracking_uri, sample_copy.models_dir)
    score_all(*args, explain="all")
    summary = score_all(*args)  # unflagged rows lose their drivers (JSON null)
    assert 0 < summary.reused < summary.employees
    assert summary.reused + summary.untouched == summary.employees
    found = _stored_rows(sample_copy)
    score_all(*args, full=True)
    assert _stored_rows(sample_copy) == found


def test_rule_fallback_answers_are_answered_again_from_stored_features(
    sample_copy: Sample, tmp_path: Path
) -> None:
    args = (sample_copy.database_url, f"sqlite:///{tmp_path / 'none.db'}", tmp_path / "none")
    score_all(*args)
    summary = score_all(*args)  # its table follows the evaluations: never left as stored
    assert summary.reused == summary.employees and summary.untouched == 0
    found = _stored_rows(sample_copy)
    score_all(*args, full=True)
    assert _stored_rows(sample_copy) == found


def test_cli_scores_incrementally_unless_full(sample_copy: Sample) -> None:
    env = {"KINERJA_ENV": "test", **sample_copy.config()}
    runner = CliRunner()
    assert runner.invoke(main, ["score"], env=env).exit_code == 0
    again = runner.invoke(main, ["score"], env=env)
    assert again.exit_code == 0, again.output
    employees = len(_stored_rows(sample_copy))
    assert f"0 recomputed from their history, 0 from stored features, {employees} left" in (
        again.output
    )
    full = runner.invoke(main, ["score", "--full"], env=env)
    assert f"{employees} recomputed from their history, 0 from stored" in full.output


def test_employee_chunks_cover_the_ids_in_order(database_url: str) -> None:
    """The ranges (ids held as one int64 array) are those of the sorted id list."""
    engine = make_engine(database_url)
    try:
        assert employee_chunks(engine, 10) == []
        run_seed(engine, SyntheticConfig(employees=150, seed=11))
        assert len(employee_chunks(engine, 60)) == 3
        with engine.connect() as connection:
            ids = connection.execute(select(Employee.id).order_by(Employee.id)).scalars().all()
        for size in (1, 7, 60, 149, 150, 10_000):
            expected = [
                (ids[start], ids[start : start + size][-1]) for start in range(0, len(ids), size)
            ]
            assert employee_chunks(engine, size) == expected
    finally:
        engine.dispose()


def test_incremental_scoring_on_each_backend(database_url: str, risk_sample: Sample) -> None:
    """COPY of the feature bytes, DELETE ... RETURNING and the drivers test of the stored
    rows on PostgreSQL as on SQLite: a promotion, one changed employee and a few scattered
    ones (their histories read by id lists), then a full run."""
    engine = make_engine(database_url)
    run_seed(engine, SyntheticConfig(employees=150, seed=11))
    engine.dispose()
    sample = replace(risk_sample, database_url=database_url)
    args = (database_url, risk_sample.tracking_uri, risk_sample.models_dir)
    first = score_all(*args, chunk_size=60)
    assert first.recomputed == first.employees == 150
    _promote_another_version(sample)
    changed = _change_inputs(sample, 1)
    scattered = [5, 40, 77, 121, 140]
    engine = make_engine(database_url)
    with engine.begin() as connection:
        forget_scores(connection, alone=scattered)
        outdated = connection.execute(
            select(RiskScore.employee_id).where(RiskScore.outdated)
        ).scalars()
        ids = np.arange(1, 151)
        reads = list(read_sets(ids, np.isin(ids, list(outdated))))
    engine.dispose()
    assert any(isinstance(read, list) for read in reads)  # scattered: read by id lists
    incremental = score_all(*args, chunk_size=60)
    found = _stored_rows(sample)
    assert 0 < incremental.recomputed < incremental.employees
    assert incremental.reused + incremental.recomputed == incremental.employees
    assert score_all(*args, chunk_size=60, full=True).recomputed == 150
    assert _stored_rows(sample) == found and changed
    assert score_all(*args, chunk_size=60).untouched == 150


def test_history_reads_cover_the_needed_employees_by_a_range_or_id_lists() -> None:
    ids = np.arange(1, 1001) * 3  # ids need not be consecutive
    needed = np.zeros(len(ids), dtype=bool)
    needed[[3, 4, 5, 20, 100, 500]] = True
    assert list(read_sets(ids, needed, batch=4)) == [[12, 15, 18, 63], [303, 1503]]
    needed[::2] = True  # half of the span: one range read of it
    assert list(read_sets(ids, needed)) == [(3, 2997)]
    assert list(read_sets(ids, np.zeros(len(ids), dtype=bool))) == []
