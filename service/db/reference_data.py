"""Copy the committed reference data (`data/reference/*.csv`) into the database, idempotently.

The CSV files are the source of truth for the rows they name: a row missing from the table is
added and a row whose fields differ is updated, so running it again changes nothing. Rows the
CSV does not name (a programme added through POST /trainings, a retired competency) are left
alone, so nothing that enrolments, assessments or standards reference is ever deleted. The one
exception is the competency list of a catalogue programme: links the CSV no longer gives for
that programme are removed, because the recommender reads them and nothing references them.

Plain select-then-insert/update through the ORM: a few hundred rows, the same code on SQLite
and PostgreSQL. The caller commits.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from service import reference
from service.db.base import Base
from service.db.models import Competency
from service.db.models import CompetencyLevelDescriptor
from service.db.models import Training
from service.db.models import TrainingCompetency
from service.reference import COMPETENCIES_FILE
from service.reference import LEVELS_FILE
from service.reference import REFERENCE_DIR
from service.reference import TRAINING_COMPETENCIES_FILE
from service.reference import TRAININGS_FILE

_M = TypeVar("_M", bound=Base)

#: Natural key of each reference table, used to match CSV rows with stored rows.
KEYS: dict[type[Base], tuple[str, ...]] = {
    Competency: ("code",),
    CompetencyLevelDescriptor: ("competency_code", "level"),
    Training: ("code",),
    TrainingCompetency: ("training_id", "competency_code"),
}


@dataclass(frozen=True)
class TableCount:
    """What one run did to one table."""

    added: int = 0
    updated: int = 0
    removed: int = 0

    @property
    def changed(self) -> int:
        return self.added + self.updated + self.removed

    def describe(self) -> str:
        """Render as `21 new, 0 updated` (and removals when there were any)."""
        text = f"{self.added} new, {self.updated} updated"
        return f"{text}, {self.removed} removed" if self.removed else text


@dataclass(frozen=True)
class ReferenceCounts:
    """What `load_reference_data` did, table by table."""

    competencies: TableCount
    competency_levels: TableCount
    trainings: TableCount
    training_competencies: TableCount

    def tables(self) -> dict[str, TableCount]:
        """Return the counts keyed by table name, in loading order."""
        return {
            "competencies": self.competencies,
            "competency_levels": self.competency_levels,
            "trainings": self.trainings,
            "training_competencies": self.training_competencies,
        }

    @property
    def added(self) -> int:
        return sum(count.added for count in self.tables().values())

    @property
    def changed(self) -> int:
        return sum(count.changed for count in self.tables().values())

    def describe(self) -> str:
        """Render one line for the CLI; says so plainly when nothing changed."""
        if not self.changed:
            return "Reference data up to date: nothing new, nothing updated"
        parts = [f"{name} {count.describe()}" for name, count in self.tables().items()]
        return "Reference data loaded: " + "; ".join(parts)


def load_reference_data(session: Session, directory: Path | None = None) -> ReferenceCounts:
    """Upsert the competency dictionary, level descriptors and training catalogue; no commit.

    `directory` holds the four reference CSV files (default `data/reference/`); they are
    validated by `service.reference` before anything is written.
    """
    directory = directory or REFERENCE_DIR
    competencies = reference.load_competencies(directory / COMPETENCIES_FILE)
    levels = reference.load_competency_levels(directory / LEVELS_FILE, competencies=competencies)
    trainings = reference.load_trainings(
        directory / TRAININGS_FILE,
        links_path=directory / TRAINING_COMPETENCIES_FILE,
        competencies=competencies,
    )
    return ReferenceCounts(
        competencies=_upsert(session, Competency, [_competency_values(c) for c in competencies]),
        competency_levels=_upsert(
            session, CompetencyLevelDescriptor, [_level_values(level) for level in levels]
        ),
        trainings=_upsert(session, Training, [_training_values(t) for t in trainings]),
        training_competencies=_sync_links(session, trainings),
    )


def _pick(record: object, columns: tuple[str, ...], **sources: str) -> dict[str, Any]:
    """Read `columns` off a reference record; `sources` names attributes spelt differently."""
    return {column: getattr(record, sources.get(column, column)) for column in columns}


def _competency_values(competency: reference.Competency) -> dict[str, Any]:
    columns = ("code", "group", "name", "name_en", "description", "description_en")
    return _pick(competency, columns)


def _level_values(level: reference.CompetencyLevel) -> dict[str, Any]:
    columns = ("competency_code", "level", "label", "description", "description_en")
    return _pick(level, columns, competency_code="code")


def _training_values(training: reference.Training) -> dict[str, Any]:
    """Map a catalogue entry to columns; position kinds sorted, so reruns compare equal."""
    columns = ("code", "title", "title_en", "jp", "mode", "kind", "provider", "min_grade")
    kinds = sorted(kind.value for kind in training.position_kinds)
    return _pick(training, columns) | {"position_kinds": kinds}


def _upsert(session: Session, model: type[_M], wanted: list[dict[str, Any]]) -> TableCount:
    """Add the rows of `wanted` the table lacks, update those whose values differ, flush.

    Rows are matched on the key `KEYS[model]` (the natural key, never a surrogate id).
    """
    columns = KEYS[model]
    existing = {
        tuple(getattr(row, c) for c in columns): row for row in session.scalars(select(model))
    }
    added = updated = 0
    for values in wanted:
        row = existing.get(tuple(values[c] for c in columns))
        if row is None:
            session.add(model(**values))
            added += 1
        elif _assign_changes(row, values):
            updated += 1
    session.flush()
    return TableCount(added=added, updated=updated)


def _assign_changes(row: object, values: Mapping[str, Any]) -> bool:
    """Set the attributes of `row` that differ from `values`; report whether any did."""
    changed = False
    for name, value in values.items():
        if getattr(row, name) != value:
            setattr(row, name, value)
            changed = True
    return changed


def _sync_links(session: Session, trainings: list[reference.Training]) -> TableCount:
    """Make each catalogue programme's competency links exactly those of the CSV."""
    ids = dict(session.execute(select(Training.code, Training.id)).tuples().all())
    wanted = [
        {
            "training_id": ids[t.code],
            "competency_code": c.competency_code,
            "max_level": c.max_level,
        }
        for t in trainings
        for c in t.competencies
    ]
    count = _upsert(session, TrainingCompetency, wanted)
    keys = {(link["training_id"], link["competency_code"]) for link in wanted}
    catalogue = {ids[t.code] for t in trainings}
    stale = [
        link
        for link in session.scalars(select(TrainingCompetency))
        if link.training_id in catalogue and (link.training_id, link.competency_code) not in keys
    ]
    for link in stale:
        session.delete(link)
    session.flush()
    return TableCount(added=count.added, updated=count.updated, removed=len(stale))
