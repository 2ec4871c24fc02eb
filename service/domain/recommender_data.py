"""The recommender's view of the catalogue and of employees, and the reads that fill it (issue 5).

The frozen dataclasses (`Program`, `Catalogue`, `Profile`) are what ranking, the unit plan and
training work on. Every query here is a plain SELECT that works the same on SQLite and
PostgreSQL and never writes; bulk reads run on the session's connection (Core rows, no ORM
objects). Employees are chosen by a list of ids or by a sub-select of ids (for example
`repositories.organisation.unit_subtree_ids`), so one employee and a 10,000-person unit use the
same code. The latest level of a competency is the level of the latest assessment that rated
it (ties on the date go to the later assessment id).

These reads belong in `service/db/repositories/development.py`; they live here until the
repository module offers them.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field
from datetime import date
from typing import TYPE_CHECKING
from typing import Any

import numpy as np
from sqlalchemy import Select
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.db.models import AssessmentLevel
from service.db.models import Competency
from service.db.models import CompetencyAssessment
from service.db.models import CompetencyStandard
from service.db.models import Employee
from service.db.models import Enrolment
from service.db.models import Position
from service.db.models import Training
from service.db.models import TrainingCompetency
from service.domain.entities import EnrolmentStatus

if TYPE_CHECKING:  # the frame loaders are training's; serving never imports pandas
    import pandas as pd

EmployeeIds = Sequence[int] | Select[Any]


@dataclass(frozen=True)
class ProgramLink:
    """A competency a programme develops, up to `max_level`."""

    competency: str
    max_level: int


@dataclass(frozen=True)
class Program:
    """A catalogue programme as the recommender needs it."""

    code: str
    title: str
    title_en: str
    jp: float
    kind: str
    position_kinds: frozenset[str]
    min_grade: str | None
    links: tuple[ProgramLink, ...]


@dataclass(frozen=True)
class Catalogue:
    """The programmes and the competency names (Indonesian, English) by code."""

    programs: tuple[Program, ...]
    names: Mapping[str, tuple[str, str]]

    def name(self, code: str, *, english: bool = False) -> str:
        """Return a competency's name, or its code when the dictionary lacks it."""
        names = self.names.get(code)
        return names[int(english)] if names else code


#: One assessed level of one competency: (assessed on, level, method), oldest first.
Measurement = tuple[date, float, str]


@dataclass(frozen=True)
class Profile:
    """What the recommender knows of one employee."""

    employee_id: int
    position_kind: str
    grade: str | None
    standard: Mapping[str, int]
    levels: Mapping[str, float]
    taken: frozenset[str] = frozenset()
    name: str = ""
    unit_id: int | None = None
    employment_status: str = "pns"
    position_level: str | None = None
    history: Mapping[str, tuple[Measurement, ...]] = field(default_factory=dict)
    completions: tuple[tuple[date, str], ...] = ()


@dataclass(frozen=True)
class LevelHistory:
    """The standards, assessed levels and completed programmes of some people, as flat arrays.

    An *item* is one competency of one person's standard: `person` (the person's position
    in the caller's list), `competency`, `required`. Each measurement names its item
    (`item`, `assessed_on`, `assessment_id`, `level`, `method`); each completion names its
    person (`completed_by`, `completed`: the training code, `completed_on`). Dates are
    numpy datetime64[D]. Gain models estimate every item's level from this at once, so one
    employee and a 10,000-person unit take the same path.
    """

    person: np.ndarray
    competency: np.ndarray
    required: np.ndarray
    item: np.ndarray
    assessed_on: np.ndarray
    assessment_id: np.ndarray
    level: np.ndarray
    method: np.ndarray
    completed_by: np.ndarray
    completed: np.ndarray
    completed_on: np.ndarray

    def latest(self) -> np.ndarray:
        """Return the latest assessed level of each item (NaN when never assessed).

        The latest is the level of the latest assessment that rated it (ties on the date go
        to the later assessment id).
        """
        found = np.full(len(self.person), np.nan)
        order = np.lexsort((self.assessment_id, self.assessed_on, self.item))
        found[self.item[order]] = self.level[order]  # the last write per item wins
        return found


#: Seconds a cached catalogue is served while its fingerprint is unchanged.
CATALOGUE_TTL_SECONDS = 300.0
_catalogues: dict[str, tuple[float, tuple[Any, ...], Catalogue]] = {}


def load_catalogue(session: Session) -> Catalogue:
    """Return the catalogue, cached per database while its fingerprint and age allow.

    The fingerprint (programme count and largest id, link count and sum of top levels,
    competency count) is one cheap query; any added, removed or re-levelled programme changes
    it, and the age limit bounds how long a renamed one can show its old title.
    """
    key = str(session.get_bind().url)
    fingerprint = tuple(session.connection().execute(_FINGERPRINT).one())
    cached = _catalogues.get(key)
    now = time.monotonic()
    if cached and cached[1] == fingerprint and now - cached[0] < CATALOGUE_TTL_SECONDS:
        return cached[2]
    catalogue = read_catalogue(session)
    _catalogues[key] = (now, fingerprint, catalogue)
    return catalogue


def read_catalogue(session: Session) -> Catalogue:
    """Read every programme with its competency links, and the competency names."""
    links: dict[int, list[ProgramLink]] = defaultdict(list)
    query = select(
        TrainingCompetency.training_id,
        TrainingCompetency.competency_code,
        TrainingCompetency.max_level,
    ).order_by(TrainingCompetency.training_id, TrainingCompetency.competency_code)
    for training_id, competency, max_level in session.execute(query):
        links[training_id].append(ProgramLink(competency, int(max_level)))
    rows = session.execute(select(Training).order_by(Training.code)).scalars()
    programs = tuple(_program(row, links.get(row.id, [])) for row in rows)
    names = {
        code: (name, name_en or name)
        for code, name, name_en in session.execute(
            select(Competency.code, Competency.name, Competency.name_en)
        )
    }
    return Catalogue(tuple(p for p in programs if p.links), names)


_FINGERPRINT = select(
    select(func.count(Training.id)).scalar_subquery(),
    select(func.max(Training.id)).scalar_subquery(),
    select(func.count()).select_from(TrainingCompetency).scalar_subquery(),
    select(func.sum(TrainingCompetency.max_level)).scalar_subquery(),
    select(func.count()).select_from(Competency).scalar_subquery(),
)


def _program(row: Training, links: list[ProgramLink]) -> Program:
    return Program(
        code=row.code,
        title=row.title,
        title_en=row.title_en or row.title,
        jp=float(row.jp),
        kind=row.kind,
        position_kinds=frozenset(row.position_kinds or ()),
        min_grade=row.min_grade,
        links=tuple(links),
    )


def load_profiles(session: Session, employee_ids: EmployeeIds) -> list[Profile]:
    """Read the profile of each given employee: position, standard, assessments, programmes."""
    people = _rows(session, _people(employee_ids))
    standards = _standards(session, employee_ids)
    history = _histories(session, employee_ids)
    taken, completions = _programmes(session, employee_ids)
    return [
        _profile(
            row,
            standards,
            levels={c: m[-1][1] for c, m in history.get(row[0], {}).items()},
            taken=taken.get(row[0], ()),
            history=history.get(row[0], {}),
            completions=tuple(completions.get(row[0], ())),
        )
        for row in people
    ]


def load_unit_profiles(
    session: Session, employee_ids: EmployeeIds
) -> tuple[list[Profile], LevelHistory]:
    """Read many employees at once: their profiles and their histories as one `LevelHistory`.

    Five set-based reads (people, the standards of their positions, their assessments, the
    levels those rated, their enrolments), none sorted by the database: the rows are matched
    and ordered in numpy. A window query for the latest levels alone costs SQLite more than
    reading every level, and the estimates need every level anyway. The profiles carry the
    latest assessed levels of their standard's competencies and what was taken; their
    `history` and `completions` are left empty, since the `LevelHistory` holds them.
    """
    people = _raw_rows(session, _people(employee_ids))
    standards = _standards(session, employee_ids)
    ids = np.array([row[0] for row in people], dtype=np.int64)
    items = [
        (person, code, required)
        for person, row in enumerate(people)
        for code, required in sorted(standards.get(row[5], {}).items())
    ]
    assessments = _raw_rows(session, _assessments(employee_ids))
    measured = _raw_rows(session, _assessed_levels(employee_ids))
    enrolled = _raw_rows(session, _enrolments(employee_ids))
    history = _unit_history(ids, items, (assessments, measured), enrolled)
    levels = _per_person(len(people), history.person, history.competency, history.latest())
    rows = np.searchsorted(ids, np.array([row[0] for row in enrolled], dtype=np.int64))
    codes = np.array([row[1] for row in enrolled], dtype=object)
    taken = _per_person(len(people), rows, codes, np.ones(len(codes)))
    profiles = [
        _profile(row, standards, levels=levels[i], taken=taken[i]) for i, row in enumerate(people)
    ]
    return profiles, history


def _per_person(
    n: int, person: np.ndarray, keys: np.ndarray, values: np.ndarray
) -> list[dict[Any, float]]:
    """Group key -> value pairs by person (rows 0..n-1), leaving out NaN values."""
    keep = ~np.isnan(values)
    order = np.argsort(person[keep], kind="stable")
    person, keys, values = person[keep][order], keys[keep][order], values[keep][order]
    bounds = np.searchsorted(person, np.arange(n + 1))
    keys_, values_ = keys.tolist(), values.tolist()
    return [
        dict(
            zip(keys_[bounds[i] : bounds[i + 1]], values_[bounds[i] : bounds[i + 1]], strict=True)
        )
        for i in range(n)
    ]


def _people(employee_ids: EmployeeIds) -> Select[Any]:
    """The employees with their position's kind and level, by id."""
    return (
        select(
            Employee.id,
            Employee.name,
            Employee.grade,
            Employee.unit_id,
            Employee.employment_status,
            Employee.position_id,
            Position.kind,
            Position.level,
        )
        .join(Position, Position.id == Employee.position_id)
        .where(Employee.id.in_(_ids(employee_ids)))
        .order_by(Employee.id)
    )


def _profile(
    row: Any,
    standards: Mapping[int, dict[str, int]],
    *,
    levels: dict[str, float],
    taken: Any,
    history: Mapping[str, tuple[Measurement, ...]] | None = None,
    completions: tuple[tuple[date, str], ...] = (),
) -> Profile:
    employee_id, name, grade, unit_id, status, position_id, kind, level = row
    return Profile(
        employee_id=employee_id,
        position_kind=str(kind),
        grade=grade,
        standard=standards.get(position_id, {}),
        levels=levels,
        taken=frozenset(taken),
        name=name,
        unit_id=unit_id,
        employment_status=str(status),
        position_level=level,
        history=history or {},
        completions=completions,
    )


def _assessments(employee_ids: EmployeeIds) -> Select[Any]:
    """The employees' assessments: who, id, date, method (unordered)."""
    return select(
        CompetencyAssessment.employee_id,
        CompetencyAssessment.id,
        CompetencyAssessment.assessed_on,
        CompetencyAssessment.method,
    ).where(CompetencyAssessment.employee_id.in_(_ids(employee_ids)))


def _assessed_levels(employee_ids: EmployeeIds) -> Select[Any]:
    """Every level those assessments rated: assessment id, competency, level (unordered).

    Read apart from the assessments, so the many level rows carry three values, not six.
    """
    assessments = select(CompetencyAssessment.id).where(
        CompetencyAssessment.employee_id.in_(_ids(employee_ids))
    )
    return select(
        AssessmentLevel.assessment_id, AssessmentLevel.competency_code, AssessmentLevel.level
    ).where(AssessmentLevel.assessment_id.in_(assessments))


def _enrolments(employee_ids: EmployeeIds) -> Select[Any]:
    """Every enrolment of the employees: who, which programme, its status and end date."""
    return (
        select(Enrolment.employee_id, Training.code, Enrolment.status, Enrolment.end_date)
        .join(Training, Training.id == Enrolment.training_id)
        .where(Enrolment.employee_id.in_(_ids(employee_ids)))
    )


def _unit_history(
    ids: np.ndarray,
    items: list[tuple[int, str, int]],
    measured: tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]],
    enrolled: list[tuple[Any, ...]],
) -> LevelHistory:
    """Match level rows to their assessment and item (person, competency) in numpy.

    `ids` are the people's employee ids in ascending order; `measured` is (assessments:
    employee, id, date, method; levels: assessment id, competency, level).
    """
    person, competency, required = _columns(items, 3)
    names = [item[1] for item in items]  # Python strings: a set of numpy strings is slow
    codes = sorted(set(names))
    code_index = {code: i for i, code in enumerate(codes)}
    item_key = np.asarray(person, dtype=np.int64) * len(codes) + np.array(
        [code_index[c] for c in names], dtype=np.int64
    )
    employee, assessment, on, method = _columns(measured[0], 4)
    assessment = assessment.astype(np.int64)
    by_id = np.argsort(assessment)
    rows = measured[1]
    level_of = np.fromiter((row[0] for row in rows), np.int64, len(rows))
    comp = np.fromiter((code_index.get(row[1], -1) for row in rows), np.int64, len(rows))
    level = np.fromiter((row[2] for row in rows), np.float64, len(rows))
    which = by_id[np.searchsorted(assessment, level_of, sorter=by_id)] if len(by_id) else comp
    person_of = np.searchsorted(ids, employee.astype(np.int64))[which]
    key = person_of * len(codes) + comp
    item = np.minimum(np.searchsorted(item_key, key), max(len(item_key) - 1, 0))
    found = (comp >= 0) & (item_key[item] == key) if len(item_key) else comp < -1
    done = [row for row in enrolled if row[2] == EnrolmentStatus.COMPLETED]
    completed_by = np.searchsorted(ids, np.array([row[0] for row in done], dtype=np.int64))
    return LevelHistory(
        person=np.asarray(person, dtype=np.intp),
        competency=np.array(names, dtype=object),
        required=np.asarray(required, dtype=np.int64),
        item=item[found].astype(np.intp),
        assessed_on=_days(on)[which[found]],
        assessment_id=level_of[found],
        level=level[found],
        method=method[which[found]].astype(object),
        completed_by=completed_by.astype(np.intp),
        completed=np.array([row[1] for row in done], dtype=object),
        completed_on=_days([row[3] for row in done]),
    )


def history_of(profiles: Sequence[Profile]) -> LevelHistory:
    """Flatten profiles into a `LevelHistory` (a level without a history counts as measured)."""
    items: list[tuple[int, str, int]] = []
    measured: list[tuple[int, date, int, float, str]] = []
    for row, profile in enumerate(profiles):
        for code, required in profile.standard.items():
            index = len(items)
            items.append((row, code, required))
            found = profile.history.get(code, ())
            if not found and code in profile.levels:
                found = ((date.max, profile.levels[code], ""),)
            measured += [
                (index, on, n, level, method) for n, (on, level, method) in enumerate(found)
            ]
    completions = [(row, code, on) for row, p in enumerate(profiles) for on, code in p.completions]
    return level_history(items, measured, completions)


def level_history(
    items: Sequence[tuple[int, str, int]],
    measured: Sequence[tuple[int, Any, int, float, str]],
    completions: Sequence[tuple[int, str, Any]],
) -> LevelHistory:
    """Build a `LevelHistory` from rows: items (person, competency, required), measurements
    (item, date, assessment id, level, method), completions (person, training code, date).

    Dates may be `date` objects or ISO strings (as SQLite returns them).
    """
    person, competency, required = _columns(items, 3)
    item, assessed_on, assessment_id, level, method = _columns(measured, 5)
    completed_by, completed, completed_on = _columns(completions, 3)
    return LevelHistory(
        person=np.asarray(person, dtype=np.intp),
        competency=np.asarray(competency, dtype=object),
        required=np.asarray(required, dtype=np.int64),
        item=np.asarray(item, dtype=np.intp),
        assessed_on=_days(assessed_on),
        assessment_id=np.asarray(assessment_id, dtype=np.int64),
        level=np.asarray(level, dtype=np.float64),
        method=np.asarray(method, dtype=object),
        completed_by=np.asarray(completed_by, dtype=np.intp),
        completed=np.asarray(completed, dtype=object),
        completed_on=_days(completed_on),
    )


def _columns(rows: Sequence[tuple[Any, ...]], width: int) -> list[np.ndarray]:
    """Split rows into `width` column arrays (a list comprehension per column is the fastest
    way from many tuples to arrays)."""
    return [np.asarray([row[i] for row in rows]) for i in range(width)]


def _days(values: Sequence[Any]) -> np.ndarray:
    """Dates (all `date` objects, or all ISO strings as SQLite gives them) as datetime64[D]."""
    if len(values) and isinstance(values[0], date):
        # numpy converts date objects one by one and slowly; their ordinals are fast.
        ordinals = np.fromiter((v.toordinal() for v in values), np.int64, len(values))
        return (ordinals - _EPOCH).astype("datetime64[D]")
    return np.array(values, dtype="datetime64[D]")


_EPOCH = date(1970, 1, 1).toordinal()


def _standards(session: Session, employee_ids: EmployeeIds) -> dict[int, dict[str, int]]:
    """Read the required levels of the employees' positions, by position id."""
    positions = select(Employee.position_id).where(Employee.id.in_(_ids(employee_ids)))
    query = select(
        CompetencyStandard.position_id,
        CompetencyStandard.competency_code,
        CompetencyStandard.required_level,
    ).where(CompetencyStandard.position_id.in_(positions))
    found: dict[int, dict[str, int]] = {}
    for position_id, code, required in _raw_rows(session, query):
        found.setdefault(position_id, {})[code] = int(required)
    return found


def _histories(
    session: Session, employee_ids: EmployeeIds
) -> dict[int, dict[str, tuple[Measurement, ...]]]:
    """Read every assessed level of the employees, oldest first per competency.

    Ties on the date are ordered by assessment id, so the last one is the latest assessment.
    """
    query = (
        select(
            CompetencyAssessment.employee_id,
            AssessmentLevel.competency_code,
            CompetencyAssessment.assessed_on,
            AssessmentLevel.level,
            CompetencyAssessment.method,
        )
        .join(AssessmentLevel, AssessmentLevel.assessment_id == CompetencyAssessment.id)
        .where(CompetencyAssessment.employee_id.in_(_ids(employee_ids)))
        .order_by(CompetencyAssessment.assessed_on, CompetencyAssessment.id)
    )
    found: dict[int, dict[str, list[Measurement]]] = {}
    day = date.fromisoformat
    for employee_id, code, on, level, method in _rows(session, query):
        when = day(on) if isinstance(on, str) else on
        found.setdefault(employee_id, {}).setdefault(code, []).append((when, level, method))
    return {e: {c: tuple(m) for c, m in codes.items()} for e, codes in found.items()}


def _programmes(
    session: Session, employee_ids: EmployeeIds
) -> tuple[dict[int, set[str]], dict[int, list[tuple[date, str]]]]:
    """Read every enrolment: the codes taken, and the completed ones with their end dates."""
    taken: dict[int, set[str]] = defaultdict(set)
    completions: dict[int, list[tuple[date, str]]] = defaultdict(list)
    query = (
        select(Enrolment.employee_id, Training.code, Enrolment.status, Enrolment.end_date)
        .join(Training, Training.id == Enrolment.training_id)
        .where(Enrolment.employee_id.in_(_ids(employee_ids)))
        .order_by(Enrolment.end_date, Enrolment.id)
    )
    for employee_id, code, status, end_date in _rows(session, query):
        taken[employee_id].add(code)
        if status == EnrolmentStatus.COMPLETED:
            completions[employee_id].append((end_date, code))
    return taken, completions


def _rows(session: Session, query: Select[Any]) -> list[Any]:
    """Run a column query on the session's connection (Core: no ORM row processing)."""
    return list(session.connection().execute(query).all())


def _raw_rows(session: Session, query: Select[Any]) -> list[tuple[Any, ...]]:
    """Run a column query on the DBAPI cursor: plain tuples, no SQLAlchemy result processing.

    For the bulk reads where building rows costs more than the query. Values come as the
    driver gives them (SQLite: dates as ISO strings); bound parameters must need no
    processing (ids, codes).
    """
    connection = session.connection()
    compiled = query.compile(
        dialect=connection.dialect, compile_kwargs={"render_postcompile": True}
    )
    params: Any = compiled.params
    if compiled.positional:
        params = tuple(compiled.params[name] for name in compiled.positiontup or ())
    cursor = connection.connection.cursor()
    try:
        cursor.execute(str(compiled), params)
        return list(cursor.fetchall())
    finally:
        cursor.close()


def _frame(session: Session, query: Select[Any]) -> pd.DataFrame:
    import pandas as pd  # here, not at import: a web worker's start does not need it

    # Plain tuples: pandas probes each SQLAlchemy Row for attributes, which cost more than
    # the query itself (40% of an outcomes request's CPU at 5,000 employees).
    rows = [tuple(row) for row in _rows(session, query)]
    return pd.DataFrame(rows, columns=list(query.selected_columns.keys()))


def _ids(employee_ids: EmployeeIds) -> Any:
    return employee_ids if isinstance(employee_ids, Select) else list(employee_ids)


# --- history (episodes between two assessments) ----------------------------------------------


def load_assessment_levels(
    session: Session, competencies: Sequence[str] | None = None
) -> pd.DataFrame:
    """Read every assessed level (of `competencies` only, when given).

    Returns
    -------
    DataFrame with columns employee_id, assessment_id, assessed_on (datetime64), method,
    competency_code, level (float).
    """
    query = select(
        CompetencyAssessment.employee_id,
        CompetencyAssessment.id.label("assessment_id"),
        CompetencyAssessment.assessed_on,
        CompetencyAssessment.method,
        AssessmentLevel.competency_code,
        AssessmentLevel.level,
    ).join(AssessmentLevel, AssessmentLevel.assessment_id == CompetencyAssessment.id)
    if competencies is not None:
        query = query.where(AssessmentLevel.competency_code.in_(list(competencies)))
    frame = _frame(session, query)
    import pandas as pd

    frame["assessed_on"] = pd.to_datetime(frame["assessed_on"])
    return frame.astype({"level": "float64"})


def load_completions(session: Session) -> pd.DataFrame:
    """Read every completed enrolment.

    Returns
    -------
    DataFrame with columns employee_id, training_code, end_date (datetime64), jp_earned.
    """
    query = (
        select(
            Enrolment.employee_id,
            Training.code.label("training_code"),
            Enrolment.end_date,
            Enrolment.jp_earned,
        )
        .join(Training, Training.id == Enrolment.training_id)
        .where(Enrolment.status == EnrolmentStatus.COMPLETED)
    )
    frame = _frame(session, query)
    import pandas as pd

    frame["end_date"] = pd.to_datetime(frame["end_date"])
    return frame


def load_required_levels(
    session: Session, competencies: Sequence[str] | None = None
) -> pd.DataFrame:
    """Read the required level of each employee's current position (of `competencies` only,
    when given).

    Returns
    -------
    DataFrame with columns employee_id, competency_code, required (int).
    """
    query = select(
        Employee.id.label("employee_id"),
        CompetencyStandard.competency_code,
        CompetencyStandard.required_level.label("required"),
    ).join(CompetencyStandard, CompetencyStandard.position_id == Employee.position_id)
    if competencies is not None:
        query = query.where(CompetencyStandard.competency_code.in_(list(competencies)))
    return _frame(session, query)


def links_frame(catalogue: Catalogue) -> pd.DataFrame:
    """Flatten the catalogue into one row per programme and competency.

    Returns
    -------
    DataFrame with columns training_code, competency_code, max_level, jp, kind, n_links.
    """
    rows = [
        (p.code, link.competency, link.max_level, p.jp, p.kind, len(p.links))
        for p in catalogue.programs
        for link in p.links
    ]
    columns = ["training_code", "competency_code", "max_level", "jp", "kind", "n_links"]
    import pandas as pd

    return pd.DataFrame(rows, columns=columns)
