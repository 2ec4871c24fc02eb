"""Load and validate the committed reference data under `data/reference/`.

The competency dictionary (PermenPANRB 38/2017: manajerial, sosial kultural, teknis; levels
1-5) and the training catalogue are reviewed CSV files, not database content. Every loader
reads a file with the csv module, checks each row and raises `ValueError` naming the file, the
line, the column and the bad value, so a broken edit fails loudly instead of skewing the
recommender. Nothing is read at import time.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import TypeVar

from service.domain.entities import CompetencyGroup
from service.domain.entities import PositionKind
from service.domain.entities import TrainingMode

REFERENCE_DIR = Path(__file__).resolve().parents[1] / "data" / "reference"
COMPETENCIES_FILE = "competencies.csv"
LEVELS_FILE = "competency_levels.csv"
TRAININGS_FILE = "trainings.csv"
TRAINING_COMPETENCIES_FILE = "training_competencies.csv"

LEVEL_LABELS: dict[int, str] = {1: "Paham", 2: "Dasar", 3: "Menengah", 4: "Mumpuni", 5: "Ahli"}
MIN_LEVEL = 1
MAX_LEVEL = 5

# Kinds of development programme (domain.md 5.2-5.3): Latsar and the leadership tiers are the
# named national programmes, the rest are forms of learning of Peraturan LAN 10/2018. The
# first group is usually classroom (or blended) learning; the second is non-classroom by
# definition, so a row of that kind must have mode `nonklasikal`.
CLASSROOM_KINDS: tuple[str, ...] = (
    "latsar",
    "pkp",
    "pka",
    "pkn_ii",
    "pkn_i",
    "fungsional",
    "teknis",
    "manajerial",
    "sosial_kultural",
    "seminar",
    "workshop",
    "bimtek",
)
NONKLASIKAL_KINDS: tuple[str, ...] = (
    "e_learning",
    "coaching",
    "mentoring",
    "magang",
    "detasering",
    "belajar_mandiri",
    "komunitas_belajar",
    "patok_banding",
)
TRAINING_KINDS: tuple[str, ...] = CLASSROOM_KINDS + NONKLASIKAL_KINDS
# Code prefix each competency group must use (M.01, SK.01, T.01).
GROUP_PREFIXES: dict[CompetencyGroup, str] = {
    CompetencyGroup.MANAJERIAL: "M.",
    CompetencyGroup.SOSIAL_KULTURAL: "SK.",
    CompetencyGroup.TEKNIS: "T.",
}

_GRADE = re.compile(r"(?:I|II|III)/[a-d]|IV/[a-e]")
_E = TypeVar("_E", bound=StrEnum)

_COMPETENCY_COLUMNS = ("code", "group", "name", "name_en", "description", "description_en")
_LEVEL_COLUMNS = ("code", "level", "label", "description", "description_en")
_TRAINING_COLUMNS = (
    "code",
    "title",
    "title_en",
    "jp",
    "mode",
    "kind",
    "provider",
    "position_kinds",
    "min_grade",
)
_LINK_COLUMNS = ("training_code", "competency_code", "max_level")


@dataclass(frozen=True)
class Competency:
    """One entry of the competency dictionary."""

    code: str
    group: CompetencyGroup
    name: str
    name_en: str
    description: str
    description_en: str


@dataclass(frozen=True)
class CompetencyLevel:
    """The behavioural description of one competency at one level (1-5)."""

    code: str
    level: int
    label: str
    description: str
    description_en: str


@dataclass(frozen=True)
class TrainingCompetency:
    """A competency a programme develops, up to `max_level`."""

    competency_code: str
    max_level: int


@dataclass(frozen=True)
class Training:
    """One programme of the development catalogue (pelatihan klasikal or nonklasikal)."""

    code: str
    title: str
    title_en: str
    jp: int
    mode: TrainingMode
    kind: str
    provider: str
    position_kinds: frozenset[PositionKind]
    min_grade: str | None
    competencies: tuple[TrainingCompetency, ...]


@dataclass(frozen=True)
class _Row:
    """One CSV record with its location, able to parse and blame its own fields."""

    path: Path
    line: int
    values: dict[str, str]

    def error(self, column: str, value: str, problem: str) -> ValueError:
        """Build the error every loader raises: file, line, column, bad value, problem."""
        where = f"{self.path}, line {self.line}, column {column!r}"
        return ValueError(f"{where}, value {value!r}: {problem}")

    def text(self, column: str) -> str:
        """Return a required, non-blank field."""
        value = self.values[column].strip()
        if not value:
            raise self.error(column, value, "must not be empty")
        return value

    def optional(self, column: str) -> str | None:
        """Return a field, or None when it is blank."""
        return self.values[column].strip() or None

    def integer(self, column: str, low: int, high: int | None = None) -> int:
        """Return a whole number within [low, high]."""
        value = self.text(column)
        try:
            number = int(value)
        except ValueError:
            raise self.error(column, value, "must be a whole number") from None
        if number < low or (high is not None and number > high):
            bounds = f"between {low} and {high}" if high is not None else f"at least {low}"
            raise self.error(column, value, f"must be {bounds}")
        return number

    def level(self, column: str) -> int:
        """Return a competency level (1-5)."""
        return self.integer(column, MIN_LEVEL, MAX_LEVEL)

    def choice(self, column: str, enum: type[_E]) -> _E:
        """Return the enum member spelled by the field."""
        value = self.text(column)
        return enum(self.one_of(column, value, [member.value for member in enum]))

    def one_of(self, column: str, value: str, allowed: list[str]) -> str:
        """Return `value` when it is allowed, naming the allowed values otherwise."""
        if value not in allowed:
            raise self.error(column, value, f"unknown value; expected one of {', '.join(allowed)}")
        return value

    def known(self, column: str, known: set[str], source: str) -> str:
        """Return a code that must be defined in `source` (a reference file name)."""
        value = self.text(column)
        if value not in known:
            raise self.error(column, value, f"unknown code; not defined in {source}")
        return value


def load_competencies(path: Path | None = None) -> list[Competency]:
    """Read the competency dictionary in file order (the regulation's order for M.01-M.08)."""
    rows = _read_rows(path or REFERENCE_DIR / COMPETENCIES_FILE, _COMPETENCY_COLUMNS)
    _check_unique(rows, ("code",))
    return [_parse_competency(row) for row in rows]


def load_competency_levels(
    path: Path | None = None, *, competencies: Iterable[Competency] | None = None
) -> list[CompetencyLevel]:
    """Read the level descriptions and check each competency has exactly levels 1-5.

    `competencies` defaults to the `competencies.csv` beside `path`.
    """
    path = path or REFERENCE_DIR / LEVELS_FILE
    known = _competency_codes(path, competencies)
    rows = _read_rows(path, _LEVEL_COLUMNS)
    _check_unique(rows, ("code", "level"))
    levels = [_parse_level(row, known) for row in rows]
    _check_complete_levels(path, known, levels)
    return levels


def load_trainings(
    path: Path | None = None,
    *,
    links_path: Path | None = None,
    competencies: Iterable[Competency] | None = None,
) -> list[Training]:
    """Read the training catalogue with the competencies each programme develops.

    `links_path` defaults to the `training_competencies.csv` beside `path`, and
    `competencies` to the `competencies.csv` beside it.
    """
    path = path or REFERENCE_DIR / TRAININGS_FILE
    links_path = links_path or path.with_name(TRAINING_COMPETENCIES_FILE)
    rows = _read_rows(path, _TRAINING_COLUMNS)
    _check_unique(rows, ("code",))
    links = _load_links(links_path, {row.text("code") for row in rows}, competencies)
    trainings = [_parse_training(row, links.get(row.text("code"), ())) for row in rows]
    for row, training in zip(rows, trainings, strict=True):
        if not training.competencies:
            raise row.error("code", training.code, f"no competencies in {links_path.name}")
    return trainings


def _read_rows(path: Path, columns: tuple[str, ...]) -> list[_Row]:
    """Read every record of a CSV file whose header must be exactly `columns`."""
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        header = tuple(reader.fieldnames or ())
        if header != columns:
            found = ",".join(header)
            raise ValueError(
                f"{path}, line 1, column header, value {found!r}: expected {','.join(columns)}"
            )
        return [_checked_row(path, reader.line_num, values) for values in reader]


def _checked_row(path: Path, line: int, values: dict[str | None, str | None]) -> _Row:
    """Wrap a record, rejecting records with too many or too few fields."""
    if None in values or None in values.values():
        raise ValueError(f"{path}, line {line}: wrong number of fields for the header")
    return _Row(path, line, {str(key): str(value) for key, value in values.items()})


def _check_unique(rows: list[_Row], columns: tuple[str, ...]) -> None:
    """Reject a second record with the same key; the key is the last of `columns` to blame."""
    seen: dict[tuple[str, ...], int] = {}
    for row in rows:
        key = tuple(row.text(column) for column in columns)
        if key in seen:
            problem = f"duplicate of line {seen[key]}"
            raise row.error(columns[-1], "/".join(key), problem)
        seen[key] = row.line


def _parse_competency(row: _Row) -> Competency:
    """Build a Competency, checking the code prefix matches the group."""
    group = row.choice("group", CompetencyGroup)
    code = row.text("code")
    if not code.startswith(GROUP_PREFIXES[group]):
        raise row.error("code", code, f"a {group} code must start with {GROUP_PREFIXES[group]}")
    return Competency(
        code=code,
        group=group,
        name=row.text("name"),
        name_en=row.text("name_en"),
        description=row.text("description"),
        description_en=row.text("description_en"),
    )


def _parse_level(row: _Row, known: set[str]) -> CompetencyLevel:
    """Build a CompetencyLevel, checking the code exists and the label fits the level."""
    level = row.level("level")
    label = row.text("label")
    if label != LEVEL_LABELS[level]:
        raise row.error("label", label, f"level {level} is labelled {LEVEL_LABELS[level]!r}")
    return CompetencyLevel(
        code=row.known("code", known, COMPETENCIES_FILE),
        level=level,
        label=label,
        description=row.text("description"),
        description_en=row.text("description_en"),
    )


def _check_complete_levels(path: Path, known: set[str], levels: list[CompetencyLevel]) -> None:
    """Reject a dictionary where some competency lacks one of the levels 1-5."""
    present = {(level.code, level.level) for level in levels}
    for code in sorted(known):
        missing = [n for n in range(MIN_LEVEL, MAX_LEVEL + 1) if (code, n) not in present]
        if missing:
            raise ValueError(f"{path}, column 'level': competency {code!r} lacks levels {missing}")


def _competency_codes(path: Path, competencies: Iterable[Competency] | None) -> set[str]:
    """Return the known competency codes, loading the sibling dictionary if none are given."""
    if competencies is None:
        competencies = load_competencies(path.with_name(COMPETENCIES_FILE))
    return {competency.code for competency in competencies}


def _load_links(
    path: Path, training_codes: set[str], competencies: Iterable[Competency] | None
) -> dict[str, tuple[TrainingCompetency, ...]]:
    """Read training_competencies.csv into competencies per training code."""
    known = _competency_codes(path, competencies)
    rows = _read_rows(path, _LINK_COLUMNS)
    _check_unique(rows, ("training_code", "competency_code"))
    links: dict[str, list[TrainingCompetency]] = {}
    for row in rows:
        training_code = row.known("training_code", training_codes, TRAININGS_FILE)
        link = TrainingCompetency(
            competency_code=row.known("competency_code", known, COMPETENCIES_FILE),
            max_level=row.level("max_level"),
        )
        links.setdefault(training_code, []).append(link)
    return {code: tuple(items) for code, items in links.items()}


def _parse_training(row: _Row, competencies: tuple[TrainingCompetency, ...]) -> Training:
    """Build a Training, checking mode against kind, the position kinds and the grade."""
    mode = row.choice("mode", TrainingMode)
    kind = row.one_of("kind", row.text("kind"), list(TRAINING_KINDS))
    if kind in NONKLASIKAL_KINDS and mode is not TrainingMode.NONKLASIKAL:
        raise row.error("mode", mode.value, f"{kind} programmes must be nonklasikal")
    return Training(
        code=row.text("code"),
        title=row.text("title"),
        title_en=row.text("title_en"),
        jp=row.integer("jp", 1),
        mode=mode,
        kind=kind,
        provider=row.text("provider"),
        position_kinds=_parse_position_kinds(row),
        min_grade=_parse_grade(row),
        competencies=competencies,
    )


def _parse_position_kinds(row: _Row) -> frozenset[PositionKind]:
    """Parse the `;`-separated position kinds a programme fits."""
    names = [name.strip() for name in row.text("position_kinds").split(";")]
    allowed = [kind.value for kind in PositionKind]
    return frozenset(PositionKind(row.one_of("position_kinds", name, allowed)) for name in names)


def _parse_grade(row: _Row) -> str | None:
    """Parse the optional minimum golongan (I/a to IV/e)."""
    grade = row.optional("min_grade")
    if grade is not None and not _GRADE.fullmatch(grade):
        raise row.error("min_grade", grade, "must be a golongan such as III/a (I/a to IV/e)")
    return grade
