"""A new period scored from the previous period's panel slices stores what a full run
stores, to the bit; an outdated previous score, or one without a slice, is read in full."""

from __future__ import annotations

import numpy as np
from sqlalchemy import select
from sqlalchemy import update
from sqlalchemy.orm import Session

from service.db import make_database
from service.db.models import AttendanceMonth
from service.db.models import RiskFeatureRow
from service.db.models import RiskScore
from service.domain.periods import parse_period
from service.features import build_panel
from service.features import features_at
from service.features import serving_axis
from service.features.panel_slice import combine
from service.features.panel_slice import encode
from tests.training.test_score import _stored_rows
from training.extract import read_axis
from training.sample import Sample
from training.score import read_range
from training.score import score_all
from training.score_slices import _read_new
from training.score_slices import new_period_axis


def _periods(sample: Sample) -> tuple[str, str, str]:
    """The latest evaluated period and the two before it."""
    database = make_database(sample.database_url)
    axis = read_axis(database.engine)
    database.engine.dispose()
    return tuple(axis.code(axis.length - k) for k in (3, 2, 1))


def _outdate(sample: Sample, period: str, employees: list[int]) -> None:
    """Mark the scores of `period` of `employees` outdated, as a write to their inputs does."""
    database = make_database(sample.database_url)
    with database.engine.begin() as connection:
        stored = RiskScore.__table__
        which = stored.c.employee_id.in_(employees) & (stored.c.period == period)
        connection.execute(update(stored).where(which).values(outdated=True))
    database.engine.dispose()


def _change_raters(sample: Sample, period: str, employees: list[int]) -> set[int]:
    """Give the `period` evaluations of `employees` the rater of another one, by a raw
    statement (as a new period's data entry that leaves the previous scores fresh: those
    never read a later period's statistics); the people whose rater changed."""
    database = make_database(sample.database_url)
    with database.engine.begin() as connection:
        rows = connection.exec_driver_sql(
            "SELECT employee_id, rater_id FROM evaluations WHERE period = ? "
            "AND rater_id IS NOT NULL ORDER BY employee_id",
            (period,),
        ).all()
        raters = sorted({rater for _, rater in rows})
        changed = {e: r for e, r in rows if e in set(employees)}
        for employee, rater in changed.items():
            other = next(r for r in raters if r != rater)
            connection.exec_driver_sql(
                "UPDATE evaluations SET rater_id = ? WHERE employee_id = ? AND period = ?",
                (other, employee, period),
            )
    database.engine.dispose()
    assert changed
    return set(changed)


def _slices(sample: Sample, period: str) -> dict[int, bytes | None]:
    database = make_database(sample.database_url)
    rows = RiskFeatureRow.__table__
    with database.engine.connect() as connection:
        found = connection.execute(
            select(rows.c.employee_id, rows.c.panel_slice).where(rows.c.period == period)
        ).all()
    database.engine.dispose()
    return dict(found)


def test_the_next_period_from_slices_stores_what_a_full_run_stores(sample_copy: Sample) -> None:
    """Score the period before the latest in full (slices kept), then the latest: only the
    latest period's rows are read for those with a fresh previous score, and the stored
    answers and feature rows equal a full run's to the bit (rater changes read in full).
    A later re-score of the latest period reads its outdated rows from the slices too, and
    slices older than the previous period's are dropped."""
    args = (sample_copy.database_url, sample_copy.tracking_uri, sample_copy.models_dir)
    earlier, previous, latest = _periods(sample_copy)
    score_all(*args, chunk_size=150, period=earlier, full=True)
    before = score_all(*args, chunk_size=150, period=previous, full=True)
    assert before.period == previous and before.sliced == 0
    kept = _slices(sample_copy, previous)
    assert len(kept) == before.employees and all(kept.values())
    assert all(_slices(sample_copy, earlier).values())
    ids = sorted(kept)
    _outdate(sample_copy, previous, ids[:9])
    moved = _change_raters(sample_copy, latest, ids[-40:])

    incremental = score_all(*args, chunk_size=150)
    assert incremental.period == latest
    assert incremental.recomputed == incremental.employees
    assert 0 < incremental.sliced <= incremental.employees - 9 - len(moved)
    assert all(_slices(sample_copy, latest).values())
    assert all(_slices(sample_copy, previous).values())
    assert not any(_slices(sample_copy, earlier).values())

    _outdate(sample_copy, latest, ids[20:30])  # a write of the latest period only
    again = score_all(*args, chunk_size=150)
    assert again.recomputed == again.sliced == 10
    found = _stored_rows(sample_copy)

    full = score_all(*args, chunk_size=150, full=True)
    assert full.sliced == 0
    assert _stored_rows(sample_copy) == found
    assert (full.scored, full.flagged) == (incremental.scored, incremental.flagged)


def test_an_outdated_previous_score_is_read_in_full(sample_copy: Sample) -> None:
    """Every previous score outdated (or without a slice): nothing is read from slices,
    and the answers are still a full run's."""
    args = (sample_copy.database_url, sample_copy.tracking_uri, sample_copy.models_dir)
    _, previous, _ = _periods(sample_copy)
    score_all(*args, chunk_size=150, period=previous, full=True)
    ids = sorted(_slices(sample_copy, previous))
    _outdate(sample_copy, previous, ids[: len(ids) // 2])
    database = make_database(sample_copy.database_url)
    with database.engine.begin() as connection:
        rows = RiskFeatureRow.__table__
        which = rows.c.employee_id.in_(ids[len(ids) // 2 :]) & (rows.c.period == previous)
        connection.execute(update(rows).where(which).values(panel_slice=None))
    database.engine.dispose()
    incremental = score_all(*args, chunk_size=150)
    assert incremental.sliced == 0 and incremental.recomputed == incremental.employees
    found = _stored_rows(sample_copy)
    score_all(*args, chunk_size=150, full=True)
    assert _stored_rows(sample_copy) == found


def test_combined_panels_give_the_full_panels_features(risk_sample: Sample) -> None:
    """A slice of the previous period's panel and the latest period's rows give the feature
    rows of a full read of the latest period, to the bit, for everyone whose latest
    evaluation names the rater the slice kept (or none)."""
    database = make_database(risk_sample.database_url)
    engine = database.engine
    _, previous, latest = _periods(risk_sample)
    ids = sorted(set(engine.connect().scalars(select(RiskScore.employee_id).distinct())) or [1])
    first, last = 1, 10**9
    old_axis, axis = serving_axis(previous), serving_axis(latest)
    old = build_panel(old_axis, **read_range(engine, first, last, old_axis))
    whole = build_panel(axis, **read_range(engine, first, last, axis))
    new = build_panel(
        new_period_axis(axis), **_read_new(engine, (first, last), new_period_axis(axis))
    )
    engine.dispose()
    assert np.array_equal(old.employee_ids, new.employee_ids) and ids
    panel, moved = combine(encode(old), new, axis.length)
    stay = ~moved
    assert stay.sum() > len(stay) // 2
    expected = features_at(whole, axis.length - 1)[stay]
    got = features_at(panel, axis.length - 1)[stay]
    assert np.array_equal(got, expected, equal_nan=True)
    assert got.tobytes() == expected.tobytes()


def _write_attendance(sample: Sample, month: str, employees: list[int]) -> None:
    """One fewer present day in `month` for `employees`, through an ORM session: the
    service's write path, whose watch (`service.serving.freshness`) outdates what it changes."""
    import service.serving.freshness  # noqa: F401  (registers the watch, as the service does)

    database = make_database(sample.database_url)
    with Session(database.engine) as session:
        rows = session.scalars(
            select(AttendanceMonth).where(
                AttendanceMonth.month == month, AttendanceMonth.employee_id.in_(employees)
            )
        ).all()
        for row in rows:
            row.present_days -= 1
            row.late_days = min(row.late_days, row.present_days)
        session.commit()
    database.engine.dispose()
    assert len(rows) == len(employees)


def _attended(sample: Sample, month: str) -> list[int]:
    """The employees with a month of attendance with a present day in `month`."""
    database = make_database(sample.database_url)
    with database.engine.connect() as connection:
        found = connection.scalars(
            select(AttendanceMonth.employee_id)
            .where(AttendanceMonth.month == month, AttendanceMonth.present_days > 0)
            .order_by(AttendanceMonth.employee_id)
        ).all()
    database.engine.dispose()
    return list(found)


def test_a_new_periods_data_entry_keeps_the_previous_slices_in_use(sample_copy: Sample) -> None:
    """Records of the new period written through the service's write path leave the previous
    period's scores fresh, so the next run reads those employees from their slices; a record
    of the previous period outdates its person's previous score, whose history is read in
    full. The answers stay a full run's, to the bit."""
    args = (sample_copy.database_url, sample_copy.tracking_uri, sample_copy.models_dir)
    _, previous, latest = _periods(sample_copy)
    score_all(*args, chunk_size=150, period=previous, full=True)
    new_month = parse_period(latest).starts_on.strftime("%Y-%m")
    old_month = parse_period(previous).starts_on.strftime("%Y-%m")
    scored = set(_slices(sample_copy, previous))
    new_people = [e for e in _attended(sample_copy, new_month) if e in scored][:30]
    old_people = [e for e in _attended(sample_copy, old_month) if e in scored][-12:]
    assert len(new_people) == 30 and len(old_people) == 12
    assert not set(new_people) & set(old_people)
    _write_attendance(sample_copy, new_month, new_people)
    _write_attendance(sample_copy, old_month, old_people)
    fresh = _fresh(sample_copy, previous)
    assert set(new_people) <= fresh and not set(old_people) & fresh

    incremental = score_all(*args, chunk_size=150)
    assert incremental.period == latest
    assert len(fresh) // 2 < incremental.sliced <= len(fresh)
    assert incremental.sliced <= incremental.employees - len(old_people)
    found = _stored_rows(sample_copy)
    score_all(*args, chunk_size=150, full=True)
    assert _stored_rows(sample_copy) == found


def _fresh(sample: Sample, period: str) -> set[int]:
    """The employees whose stored score of `period` is not outdated."""
    database = make_database(sample.database_url)
    with database.engine.connect() as connection:
        found = connection.scalars(
            select(RiskScore.employee_id).where(
                RiskScore.period == period, RiskScore.outdated.is_(False)
            )
        ).all()
    database.engine.dispose()
    return set(found)
