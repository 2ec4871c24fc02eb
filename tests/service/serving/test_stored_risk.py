"""The risk read from stored batch scores: the same answer as live, and never a stale one.

Runs on a private copy of the session's seeded and trained sample (600 employees, SQLite):
`kinerja score` writes everyone's answer, `ModelProvider.risk_for` serves the stored row, and
a write to what a feature reads (an evaluation, attendance, an RHK realisation) forgets the
stored scores it changes, so the next read is computed live from the new data.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import delete
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy import update
from sqlalchemy.orm import Session

from service.db import make_database
from service.db.models import ActivityLog
from service.db.models import AttendanceMonth
from service.db.models import Employee
from service.db.models import Evaluation
from service.db.models import Realisation
from service.db.models import RiskFeatureRow
from service.db.models import RiskScore
from service.db.repositories import risk as repo
from service.db.repositories.attendance import upsert_months
from service.domain.entities import Rating
from service.domain.evaluation_input import WRITE_COLUMNS
from service.domain.evaluation_input import insert_evaluations
from service.serving import ModelProvider
from service.serving.stored import stored_answer
from tests.factories import make_evaluation
from training.sample import Sample
from training.score import score_all

BELOW = Rating.DI_BAWAH_EKSPEKTASI


@pytest.fixture
def session(sample_copy: Sample) -> Iterator[Session]:
    database = make_database(sample_copy.database_url)
    with database.sessions() as session:
        yield session
    database.engine.dispose()


@pytest.fixture
def served(sample_copy: Sample) -> ModelProvider:
    return ModelProvider(sample_copy.tracking_uri, sample_copy.models_dir)


def _score(sample: Sample, explain: str = "all") -> None:
    score_all(sample.database_url, sample.tracking_uri, sample.models_dir, explain=explain)


def _live(session: Session, served: ModelProvider, employee_id: int) -> dict:
    return served.assess(session, session.get(Employee, employee_id))[0]


def _read(session: Session, served: ModelProvider, employee_id: int) -> dict:
    """The risk read as the API makes it: the stored row when it answers, else live."""
    session.expire_all()
    return served.risk_for(session, session.get(Employee, employee_id))


def _stored(session: Session, served: ModelProvider, employee_id: int) -> dict | None:
    period = served.latest_period(session)
    assert period is not None
    return stored_answer(session, employee_id, period, served.risk.current())


def _stored_ids(session: Session) -> set[int]:
    """The employees whose stored score is still current (outdated rows stay as records)."""
    return set(session.scalars(select(RiskScore.employee_id).where(~RiskScore.outdated)))


def test_stored_answers_equal_live_answers(
    session: Session, served: ModelProvider, sample_copy: Sample
) -> None:
    _score(sample_copy)
    ids = sorted(session.scalars(select(Employee.id)))
    statuses = set()
    for employee_id in ids:
        stored = _stored(session, served, employee_id)
        assert stored is not None, employee_id
        assert stored == _live(session, served, employee_id)
        assert served.risk_for(session, session.get(Employee, employee_id)) == stored
        statuses.add((stored["status"], stored["flagged"], bool(stored["drivers"])))
    assert {("ok", True, True), ("ok", False, True)} <= statuses


def test_rows_without_drivers_are_explained_from_their_stored_features(
    session: Session, served: ModelProvider, sample_copy: Sample
) -> None:
    _score(sample_copy, explain="flagged")
    unflagged = session.scalars(
        select(RiskScore.employee_id).where(RiskScore.status == "ok", RiskScore.flagged.is_(False))
    ).all()
    assert unflagged
    explained = 0
    for employee_id in unflagged[:20]:
        stored = _stored(session, served, employee_id)
        assert stored == _live(session, served, employee_id)
        explained += bool(stored["drivers"])
    assert explained  # the answers carry drivers, computed from the stored rows
    flagged = session.scalar(select(RiskScore.employee_id).where(RiskScore.flagged.is_(True)))
    assert _stored(session, served, flagged) == _live(session, served, flagged)


@pytest.mark.parametrize("change", ["none", "old set"])
def test_rows_without_a_current_feature_row_are_answered_live(
    session: Session, served: ModelProvider, sample_copy: Sample, change: str
) -> None:
    _score(sample_copy, explain="flagged")
    if change == "none":
        session.execute(delete(RiskFeatureRow))
    else:
        session.execute(update(RiskScore).values(feature_set="0000000000000000"))
    session.commit()
    unflagged = session.scalar(
        select(RiskScore.employee_id).where(RiskScore.status == "ok", RiskScore.flagged.is_(False))
    )
    flagged = session.scalar(select(RiskScore.employee_id).where(RiskScore.flagged.is_(True)))
    assert _stored(session, served, unflagged) is None
    assert served.risk_for(session, session.get(Employee, unflagged)) == _live(
        session, served, unflagged
    )
    if change == "old set":  # not served as stored, explained or not
        assert _stored(session, served, flagged) is None
        assert served.risk_for(session, session.get(Employee, flagged)) == _live(
            session, served, flagged
        )
    else:  # its stored drivers still answer
        assert _stored(session, served, flagged) == _live(session, served, flagged)


def test_an_announced_model_leaves_unexplained_rows_to_the_live_path(
    session: Session, served: ModelProvider, sample_copy: Sample
) -> None:
    """While a worker's first load runs, `announced()` names the version without a pipeline:
    a flagged row still answers from its stored drivers, an unexplained one waits (None)."""
    _score(sample_copy, explain="flagged")
    period = served.latest_period(session)
    loaded = served.risk.current()
    assert loaded is not None and period is not None
    announced = replace(loaded, pipeline=None)
    unflagged = session.scalar(
        select(RiskScore.employee_id).where(RiskScore.status == "ok", RiskScore.flagged.is_(False))
    )
    flagged = session.scalar(select(RiskScore.employee_id).where(RiskScore.flagged.is_(True)))
    assert stored_answer(session, unflagged, period, announced) is None
    assert stored_answer(session, flagged, period, announced) == _live(session, served, flagged)


def test_another_model_version_is_answered_live(
    session: Session, served: ModelProvider, sample_copy: Sample
) -> None:
    _score(sample_copy)
    session.execute(update(RiskScore).values(model_version="999"))
    session.commit()
    employee_id = session.scalar(select(RiskScore.employee_id).limit(1))
    assert _stored(session, served, employee_id) is None


def _latest_rated(session: Session) -> tuple[int, int, str]:
    """(employee, their rater, the period) of one evaluation of the latest period."""
    period = repo.latest_period(session)
    row = session.execute(
        select(Evaluation.employee_id, Evaluation.rater_id)
        .where(Evaluation.period == period, Evaluation.rater_id.is_not(None))
        .order_by(Evaluation.employee_id)
        .limit(1)
    ).one()
    return row.employee_id, row.rater_id, period


def _rated_by(session: Session, rater_id: int) -> set[int]:
    return set(
        session.scalars(select(Evaluation.employee_id).where(Evaluation.rater_id == rater_id))
    )


def test_a_changed_evaluation_forgets_the_scores_it_changes(
    session: Session, served: ModelProvider, sample_copy: Sample
) -> None:
    _score(sample_copy)
    employee_id, rater_id, period = _latest_rated(session)
    before = _stored(session, served, employee_id)
    teammates = _rated_by(session, rater_id)
    others = _stored_ids(session) - teammates
    evaluation = session.scalars(
        select(Evaluation).where(
            Evaluation.employee_id == employee_id, Evaluation.period == period
        )
    ).one()
    evaluation.work_result_rating = BELOW
    evaluation.predikat = "kurang"
    session.commit()
    remaining = _stored_ids(session)
    assert not remaining & teammates  # the rater's statistics changed for all of them
    assert others <= remaining
    after = served.risk_for(session, session.get(Employee, employee_id))
    assert after == _live(session, served, employee_id)
    assert after["probability"] != before["probability"]


def test_a_new_evaluation_forgets_the_rater_team(
    session: Session, served: ModelProvider, sample_copy: Sample
) -> None:
    employee_id, rater_id, period = _latest_rated(session)
    evaluation = session.scalars(
        select(Evaluation).where(
            Evaluation.employee_id == employee_id, Evaluation.period == period
        )
    ).one()
    row = {name: getattr(evaluation, name) for name in WRITE_COLUMNS}
    session.delete(evaluation)
    session.commit()
    _score(sample_copy)  # everyone scored without it
    teammates = _rated_by(session, rater_id)
    assert teammates <= _stored_ids(session)
    session.add(Evaluation(**row))  # the rater's statistics of the scored period change
    session.commit()
    assert not _stored_ids(session) & (teammates | {employee_id})


def test_an_evaluation_after_the_scored_period_forgets_nothing(
    session: Session, served: ModelProvider, sample_copy: Sample
) -> None:
    """Features as of the scored period never read a later one: the team's scores and the
    employee's own stay right, and the served period moves to the new one, which has no
    stored rows yet."""
    _score(sample_copy)
    employee_id, rater_id, period = _latest_rated(session)
    before = _stored_ids(session)
    make_evaluation(
        session, employee_id=employee_id, rater_id=rater_id, period="2026-Q1",
        work_result_rating=BELOW,
    )  # fmt: skip
    session.commit()
    assert _stored_ids(session) == before
    assert repo.latest_period(session) == "2026-Q1" != period
    model = served.risk.current()
    assert all(stored_answer(session, e, "2026-Q1", model) is None for e in before)


def test_bulk_evaluation_inserts_forget_scores(
    session: Session, served: ModelProvider, sample_copy: Sample
) -> None:
    _score(sample_copy)
    employee_id, rater_id, _ = _latest_rated(session)
    template = session.scalars(
        select(Evaluation).where(Evaluation.employee_id == employee_id).limit(1)
    ).one()
    row = tuple(getattr(template, name) for name in WRITE_COLUMNS)
    session.execute(
        Evaluation.__table__.delete().where(Evaluation.id == template.id)
    )  # its old row goes; the bulk path writes it back
    session.commit()
    _score(sample_copy)
    insert_evaluations(session, [row])
    session.commit()
    assert employee_id not in _stored_ids(session)


def test_attendance_and_realisations_forget_their_employee(
    session: Session, served: ModelProvider, sample_copy: Sample
) -> None:
    _score(sample_copy)
    employee_id, _, _ = _latest_rated(session)
    upsert_months(
        session,
        [{"employee_id": employee_id, "month": "2025-12", "work_days": 20,
          "present_days": 5, "late_days": 5}],
    )  # fmt: skip
    session.commit()
    assert employee_id not in _stored_ids(session)
    assert served.risk_for(session, session.get(Employee, employee_id)) == _live(
        session, served, employee_id
    )
    _score(sample_copy)
    rows_scored = session.scalar(select(func.count(RiskScore.id)))
    realisation = session.scalars(select(Realisation).limit(1)).one()
    realisation.value = (realisation.value or 0) + 1
    session.commit()
    owners = session.scalar(select(func.count(RiskScore.id)).where(~RiskScore.outdated))
    assert owners < session.scalar(select(func.count(Employee.id)))
    assert session.scalar(select(func.count(RiskScore.id))) == rows_scored  # kept as records


def test_an_activity_log_entry_forgets_its_employee(
    session: Session, served: ModelProvider, sample_copy: Sample
) -> None:
    _score(sample_copy)
    employee_id, _, _ = _latest_rated(session)
    others = _stored_ids(session) - {employee_id}
    session.add(
        ActivityLog(employee_id=employee_id, activity_date=date(2025, 12, 1), description="x")
    )
    session.commit()
    assert _stored_ids(session) == others
    answer = served.risk_for(session, session.get(Employee, employee_id))
    assert answer == _live(session, served, employee_id)


def test_an_unrelated_write_keeps_the_stored_scores(
    session: Session, served: ModelProvider, sample_copy: Sample
) -> None:
    _score(sample_copy)
    before = _stored_ids(session)
    employee = session.scalars(select(Employee).limit(1)).one()
    employee.name = f"{employee.name} (renamed)"
    session.commit()
    assert _stored_ids(session) == before


def _kinerja(sample: Sample, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run the `kinerja` command line in its own process, as an operator does (nothing the
    test process imported is loaded there)."""
    checkout = str(Path(__file__).resolve().parents[3])  # this checkout's `service` first
    env = {**os.environ, "DATABASE_URL": sample.database_url, "PYTHONPATH": checkout}
    command = [sys.executable, "-c", "from service.cli import main; main()", *args]
    return subprocess.run(command, env=env, cwd=cwd, capture_output=True, text=True, check=False)


def test_the_command_line_attendance_import_forgets_the_scores_it_changes(
    session: Session, served: ModelProvider, sample_copy: Sample, tmp_path: Path
) -> None:
    """`kinerja import --kind attendance` rebuilds monthly summaries: the employees' stored
    scores must be outdated in the same transaction, as the API's import does."""
    period = repo.latest_period(session)
    assert period is not None
    month = session.scalar(
        select(AttendanceMonth.month)
        .where(AttendanceMonth.month <= f"{period[:4]}-12")
        .order_by(AttendanceMonth.month.desc())
        .limit(1)
    )
    assert month is not None
    employee = session.scalars(
        select(Employee)
        .join(AttendanceMonth, AttendanceMonth.employee_id == Employee.id)
        .where(AttendanceMonth.month == month, AttendanceMonth.present_days > 5)
        .order_by(Employee.id)
        .limit(1)
    ).one()
    employee_id, nip = employee.id, employee.nip
    session.rollback()
    _score(sample_copy)
    before = _stored(session, served, employee_id)
    assert before is not None and before == _live(session, served, employee_id)
    features = served.assess(session, session.get(Employee, employee_id))[1]
    session.rollback()
    # Absent every day of one week of that month: the month is summarised again from its days.
    days = [f"{month}-{day:02d}" for day in range(2, 9)]
    path = tmp_path / "presensi.csv"
    path.write_text(
        "nip,date,check_in,check_out\n" + "".join(f"{nip},{day},,\n" for day in days),
        encoding="utf-8",
    )
    done = _kinerja(sample_copy, "import", "--kind", "attendance", str(path), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    live, changed = served.assess(session, session.get(Employee, employee_id))
    assert changed != features  # the import changed the features (the answer may stay)
    assert _read(session, served, employee_id) == live
    outdated = session.scalar(
        select(RiskScore.outdated).where(
            RiskScore.employee_id == employee_id, RiskScore.period == period
        )
    )
    assert outdated is True


def test_a_live_answer_reads_the_last_known_rater_as_the_batch_does(
    session: Session, served: ModelProvider, sample_copy: Sample
) -> None:
    """An evaluation without a rater (an import by a user with no employee record) leaves
    the rater statistics to the last period that has one: the panel reads the last known
    rater, so the live path must give it that rater's statistics, as `kinerja score` does."""
    period = repo.latest_period(session)
    evaluation = session.scalars(
        select(Evaluation)
        .where(Evaluation.period == period, Evaluation.rater_id.is_not(None))
        .order_by(Evaluation.employee_id)
        .limit(1)
    ).one()
    employee_id = evaluation.employee_id
    evaluation.rater_id = None
    session.commit()
    _score(sample_copy)
    stored = _stored(session, served, employee_id)
    assert stored is not None
    assert _live(session, served, employee_id) == stored


def test_a_command_lines_orm_write_forgets_the_scores_it_changes(
    session: Session, sample_copy: Sample, tmp_path: Path
) -> None:
    """A `kinerja` command's process loads no model, yet a write through the database it
    opens (`cli.open_database`) outdates the stored scores it changes, as in the service."""
    period = repo.latest_period(session)
    assert period is not None
    row = session.scalars(
        select(AttendanceMonth)
        .where(AttendanceMonth.month <= f"{period[:4]}-12", AttendanceMonth.present_days > 5)
        .order_by(AttendanceMonth.month.desc(), AttendanceMonth.employee_id)
        .limit(1)
    ).one()
    employee_id, month_id = row.employee_id, row.id
    session.rollback()
    _score(sample_copy)
    code = (
        "import sys; from service.cli import open_database; "
        "from service.db.models import AttendanceMonth; "
        "sessions = open_database().sessions\n"
        "with sessions() as s:\n"
        "    row = s.get(AttendanceMonth, int(sys.argv[1]))\n"
        "    row.present_days = row.late_days = 0\n"
        "    s.commit()\n"
    )
    env = {**os.environ, "DATABASE_URL": sample_copy.database_url}
    done = subprocess.run(
        [sys.executable, "-c", code, str(month_id)],
        env=env, cwd=tmp_path, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    outdated = session.scalar(
        select(RiskScore.outdated).where(
            RiskScore.employee_id == employee_id, RiskScore.period == period
        )
    )
    assert outdated is True
