"""Loading the committed reference CSVs into the database: counts, idempotence, updates."""

from __future__ import annotations

import csv
import shutil
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.db.models import Competency
from service.db.models import CompetencyLevelDescriptor
from service.db.models import Enrolment
from service.db.models import Training
from service.db.models import TrainingCompetency
from service.db.reference_data import ReferenceCounts
from service.db.reference_data import TableCount
from service.db.reference_data import load_reference_data
from service.domain.entities import CompetencyGroup
from service.domain.entities import EnrolmentStatus
from service.domain.entities import TrainingMode
from service.reference import REFERENCE_DIR
from service.reference import load_competencies
from service.reference import load_competency_levels
from service.reference import load_trainings
from tests.factories import make_employee


@pytest.fixture
def reference_dir(tmp_path: Path) -> Path:
    """A private copy of data/reference/ that a test may edit."""
    return Path(shutil.copytree(REFERENCE_DIR, tmp_path / "reference"))


def _count(session: Session, model: type, *where: object) -> int:
    return session.scalar(select(func.count()).select_from(model).where(*where)) or 0


def _edit_csv(path: Path, edit: Callable[[list[dict[str, str]]], list[dict[str, str]]]) -> None:
    """Rewrite a reference CSV after `edit` changed its records."""
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        columns = list(reader.fieldnames or [])
        records = edit(list(reader))
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        writer.writerows(records)


def _set_first(column: str, value: str) -> Callable[[list[dict[str, str]]], list[dict[str, str]]]:
    def edit(records: list[dict[str, str]]) -> list[dict[str, str]]:
        records[0][column] = value
        return records

    return edit


def test_first_load_adds_every_reference_row(session: Session) -> None:
    competencies = load_competencies()
    trainings = load_trainings()

    counts = load_reference_data(session)
    session.commit()

    assert counts.competencies.added == len(competencies)
    assert counts.competency_levels.added == len(load_competency_levels())
    assert counts.trainings.added == len(trainings)
    assert counts.training_competencies.added == sum(len(t.competencies) for t in trainings)
    assert counts.added == counts.changed
    assert _count(session, Competency) >= 9
    assert _count(session, Competency, Competency.group == CompetencyGroup.MANAJERIAL) == 8
    assert _count(session, CompetencyLevelDescriptor) == 5 * _count(session, Competency)
    assert _count(session, Training) >= 40
    assert _count(session, TrainingCompetency) == counts.training_competencies.added


def test_stored_training_matches_the_catalogue(session: Session) -> None:
    load_reference_data(session)
    session.commit()
    expected = load_trainings()[0]

    stored = session.scalars(select(Training).where(Training.code == expected.code)).one()
    links = session.scalars(
        select(TrainingCompetency).where(TrainingCompetency.training_id == stored.id)
    ).all()

    assert (stored.title, stored.jp, stored.mode, stored.kind, stored.min_grade) == (
        expected.title,
        expected.jp,
        expected.mode,
        expected.kind,
        expected.min_grade,
    )
    assert isinstance(stored.mode, TrainingMode)
    assert stored.position_kinds == sorted(kind.value for kind in expected.position_kinds)
    assert {(link.competency_code, link.max_level) for link in links} == {
        (c.competency_code, c.max_level) for c in expected.competencies
    }


def test_second_load_changes_nothing(session: Session) -> None:
    load_reference_data(session)
    session.commit()

    again = load_reference_data(session)

    assert again.added == 0
    assert again.changed == 0
    assert not session.dirty and not session.new and not session.deleted
    assert "nothing new" in again.describe()


@pytest.mark.parametrize(
    ("file", "column", "value", "table"),
    [
        ("trainings.csv", "title", "Pelatihan Dasar CPNS (judul baru)", "trainings"),
        ("competencies.csv", "name_en", "Integrity and Honesty", "competencies"),
        ("competency_levels.csv", "description", "Deskripsi perilaku baru.", "competency_levels"),
        ("training_competencies.csv", "max_level", "5", "training_competencies"),
    ],
    ids=["training-title", "competency-name", "level-description", "link-max-level"],
)
def test_changed_csv_value_updates_one_row(
    session: Session, reference_dir: Path, file: str, column: str, value: str, table: str
) -> None:
    load_reference_data(session, reference_dir)
    session.commit()
    _edit_csv(reference_dir / file, _set_first(column, value))

    counts = load_reference_data(session, reference_dir).tables()
    session.commit()

    assert counts.pop(table).updated == 1
    assert all(count.changed == 0 for count in counts.values())


def test_changed_title_is_stored(session: Session, reference_dir: Path) -> None:
    load_reference_data(session, reference_dir)
    session.commit()
    code = load_trainings()[0].code
    _edit_csv(reference_dir / "trainings.csv", _set_first("title", "Latsar CPNS, edisi 2026"))

    load_reference_data(session, reference_dir)
    session.commit()
    session.expire_all()

    stored = session.scalars(select(Training.title).where(Training.code == code)).one()
    assert stored == "Latsar CPNS, edisi 2026"


def test_link_dropped_from_the_csv_is_removed(session: Session, reference_dir: Path) -> None:
    load_reference_data(session, reference_dir)
    session.commit()
    training = next(t for t in load_trainings() if len(t.competencies) > 1)
    dropped = training.competencies[-1].competency_code

    def drop(records: list[dict[str, str]]) -> list[dict[str, str]]:
        key = (training.code, dropped)
        return [r for r in records if (r["training_code"], r["competency_code"]) != key]

    _edit_csv(reference_dir / "training_competencies.csv", drop)
    counts = load_reference_data(session, reference_dir)
    session.commit()

    assert counts.training_competencies.removed == 1
    assert counts.changed == 1
    stored_id = select(Training.id).where(Training.code == training.code).scalar_subquery()
    remaining = session.scalars(
        select(TrainingCompetency.competency_code).where(
            TrainingCompetency.training_id == stored_id
        )
    ).all()
    assert set(remaining) == {c.competency_code for c in training.competencies} - {dropped}


def _enrol(session: Session, training: Training) -> Enrolment:
    """Enrol a new employee in `training`."""
    enrolment = Enrolment(
        employee_id=make_employee(session).id,
        training_id=training.id,
        start_date=date(2025, 3, 1),
        end_date=date(2025, 3, 5),
        status=EnrolmentStatus.COMPLETED,
        jp_earned=40,
    )
    session.add(enrolment)
    session.flush()
    return enrolment


def test_rows_missing_from_the_csv_are_kept(session: Session, reference_dir: Path) -> None:
    load_reference_data(session, reference_dir)
    own = Training(
        code="API-ADDED", title="Bimtek daerah", jp=8, mode=TrainingMode.KLASIKAL, kind="bimtek"
    )
    session.add(own)
    session.flush()
    code = load_trainings()[0].code
    retired = session.scalars(select(Training).where(Training.code == code)).one()
    enrolments = [_enrol(session, retired).id]
    session.commit()
    links_before = _count(session, TrainingCompetency)

    def retire(records: list[dict[str, str]]) -> list[dict[str, str]]:
        return [r for r in records if code not in (r.get("code"), r.get("training_code"))]

    _edit_csv(reference_dir / "trainings.csv", retire)
    _edit_csv(reference_dir / "training_competencies.csv", retire)
    counts = load_reference_data(session, reference_dir)
    session.commit()

    assert counts.changed == 0
    assert _count(session, Training, Training.code.in_(["API-ADDED", code])) == 2
    assert _count(session, Enrolment, Enrolment.id.in_(enrolments)) == 1
    assert _count(session, TrainingCompetency) == links_before


def test_invalid_csv_writes_nothing(session: Session, reference_dir: Path) -> None:
    _edit_csv(reference_dir / "trainings.csv", _set_first("jp", "empat puluh"))

    with pytest.raises(ValueError, match="trainings.csv, line 2, column 'jp'"):
        load_reference_data(session, reference_dir)

    assert not session.new
    assert _count(session, Competency) == 0


def test_counts_describe_what_changed() -> None:
    counts = ReferenceCounts(
        competencies=TableCount(added=21),
        competency_levels=TableCount(),
        trainings=TableCount(updated=2),
        training_competencies=TableCount(removed=1),
    )

    assert counts.added == 21
    assert counts.changed == 24
    assert counts.describe() == (
        "Reference data loaded: competencies 21 new, 0 updated; "
        "competency_levels 0 new, 0 updated; trainings 0 new, 2 updated; "
        "training_competencies 0 new, 0 updated, 1 removed"
    )
