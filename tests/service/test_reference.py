"""Tests for the committed reference data and its loader (service/reference.py)."""

from __future__ import annotations

import csv
import re
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

import pytest

from service.domain.entities import CompetencyGroup
from service.domain.entities import PositionKind
from service.domain.entities import TrainingMode
from service.reference import REFERENCE_DIR
from service.reference import Competency
from service.reference import Training
from service.reference import load_competencies
from service.reference import load_competency_levels
from service.reference import load_trainings

# domain.md 4.1 (order of the managerial competencies) and 4.2 (level labels).
MANAGERIAL_NAMES = [
    "Integritas",
    "Kerja Sama",
    "Komunikasi",
    "Orientasi pada Hasil",
    "Pelayanan Publik",
    "Pengembangan Diri dan Orang Lain",
    "Mengelola Perubahan",
    "Pengambilan Keputusan",
]
LABELS = ["Paham", "Dasar", "Menengah", "Mumpuni", "Ahli"]
# Leadership tier -> managerial level it develops (task brief; domain.md 4.3 and 5.3).
LEADERSHIP_LEVELS = {"PKP": 2, "PKA": 3, "PKN-II": 4, "PKN-I": 5}


@pytest.fixture(scope="module")
def competencies() -> list[Competency]:
    return load_competencies()


@pytest.fixture(scope="module")
def trainings() -> list[Training]:
    return load_trainings()


# --- the committed files -------------------------------------------------------------------


def test_competency_families_have_the_regulation_counts(competencies: list[Competency]) -> None:
    groups = [competency.group for competency in competencies]
    assert groups.count(CompetencyGroup.MANAJERIAL) == 8
    assert groups.count(CompetencyGroup.SOSIAL_KULTURAL) == 1
    assert 10 <= groups.count(CompetencyGroup.TEKNIS) <= 14


def test_managerial_competencies_follow_the_regulation_order(
    competencies: list[Competency],
) -> None:
    managerial = [c for c in competencies if c.group is CompetencyGroup.MANAJERIAL]
    assert [c.name for c in managerial] == MANAGERIAL_NAMES
    assert [c.code for c in managerial] == [f"M.{n:02d}" for n in range(1, 9)]


def test_perekat_bangsa_is_the_socio_cultural_competency(competencies: list[Competency]) -> None:
    (social,) = [c for c in competencies if c.group is CompetencyGroup.SOSIAL_KULTURAL]
    assert (social.code, social.name) == ("SK.01", "Perekat Bangsa")


def test_every_competency_has_levels_one_to_five(competencies: list[Competency]) -> None:
    labels: dict[str, list[tuple[int, str]]] = defaultdict(list)
    for level in load_competency_levels():
        labels[level.code].append((level.level, level.label))
    expected = list(enumerate(LABELS, start=1))
    assert {c.code: sorted(labels[c.code]) for c in competencies} == {
        c.code: expected for c in competencies
    }


def test_catalogue_has_enough_programmes(trainings: list[Training]) -> None:
    assert len(trainings) >= 45


def test_every_competency_has_real_choices(
    competencies: list[Competency], trainings: list[Training]
) -> None:
    options: dict[str, set[tuple[int, TrainingMode]]] = defaultdict(set)
    programmes: dict[str, set[str]] = defaultdict(set)
    for training in trainings:
        for link in training.competencies:
            options[link.competency_code].add((link.max_level, training.mode))
            programmes[link.competency_code].add(training.code)
    thin = [c.code for c in competencies if len(programmes[c.code]) < 3]
    monotone = [c.code for c in competencies if len(options[c.code]) < 2]
    assert (thin, monotone) == ([], [])


@pytest.mark.parametrize(("code", "level"), LEADERSHIP_LEVELS.items())
def test_leadership_programmes_fit_their_tier(
    trainings: list[Training], code: str, level: int
) -> None:
    training = next(t for t in trainings if t.code == code)
    managerial = [link for link in training.competencies if link.competency_code.startswith("M.")]
    assert training.position_kinds == {PositionKind.STRUKTURAL}
    assert len(managerial) >= 3
    assert {link.max_level for link in managerial} == {level}


def test_latsar_is_open_to_cpns_of_every_position_kind(trainings: list[Training]) -> None:
    latsar = next(t for t in trainings if t.kind == "latsar")
    assert latsar.position_kinds == set(PositionKind)
    assert latsar.jp >= 100


def test_e_learning_courses_are_short(trainings: list[Training]) -> None:
    jp = [t.jp for t in trainings if t.kind == "e_learning"]
    assert jp and all(2 <= hours <= 10 for hours in jp)


def test_data_dictionary_documents_every_column() -> None:
    readme = (REFERENCE_DIR.parent / "README.md").read_text(encoding="utf-8")
    for path in sorted(REFERENCE_DIR.glob("*.csv")):
        with path.open(encoding="utf-8", newline="") as handle:
            header = next(csv.reader(handle))
        assert path.name in readme
        assert [column for column in header if f"`{column}`" not in readme] == []


# --- validation on small temporary files -----------------------------------------------------


def _levels(code: str) -> list[dict[str, str]]:
    return [
        {
            "code": code,
            "level": str(n),
            "label": label,
            "description": f"Deskripsi {n}.",
            "description_en": f"Description {n}.",
        }
        for n, label in enumerate(LABELS, start=1)
    ]


def _competency(code: str, group: str) -> dict[str, str]:
    return {
        "code": code,
        "group": group,
        "name": f"Nama {code}",
        "name_en": f"Name {code}",
        "description": "Deskripsi.",
        "description_en": "Description.",
    }


MINIMAL: dict[str, list[dict[str, str]]] = {
    "competencies.csv": [_competency("M.01", "manajerial"), _competency("T.01", "teknis")],
    "competency_levels.csv": _levels("M.01") + _levels("T.01"),
    "trainings.csv": [
        {
            "code": "EL-01",
            "title": "E-Learning Dasar",
            "title_en": "Basic e-learning",
            "jp": "4",
            "mode": "nonklasikal",
            "kind": "e_learning",
            "provider": "LAN",
            "position_kinds": "struktural;fungsional;pelaksana",
            "min_grade": "",
        },
        {
            "code": "PKP",
            "title": "Pelatihan Kepemimpinan Pengawas",
            "title_en": "Supervisor Leadership Training",
            "jp": "460",
            "mode": "klasikal",
            "kind": "pkp",
            "provider": "LAN",
            "position_kinds": "struktural",
            "min_grade": "III/b",
        },
    ],
    "training_competencies.csv": [
        {"training_code": "EL-01", "competency_code": "T.01", "max_level": "1"},
        {"training_code": "PKP", "competency_code": "M.01", "max_level": "2"},
        {"training_code": "PKP", "competency_code": "T.01", "max_level": "1"},
    ],
}

LOADERS: dict[str, Callable[[Path], object]] = {
    "competencies.csv": lambda d: load_competencies(d / "competencies.csv"),
    "competency_levels.csv": lambda d: load_competency_levels(d / "competency_levels.csv"),
    "trainings.csv": lambda d: load_trainings(d / "trainings.csv"),
    "training_competencies.csv": lambda d: load_trainings(d / "trainings.csv"),
}


def _write(directory: Path, name: str, rows: list[dict[str, str]]) -> None:
    with (directory / name).open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(MINIMAL[name][0]))
        writer.writeheader()
        writer.writerows(rows)


@pytest.fixture
def reference(tmp_path: Path) -> Path:
    for name, rows in MINIMAL.items():
        _write(tmp_path, name, rows)
    return tmp_path


def test_minimal_reference_set_loads(reference: Path) -> None:
    (elearning, pkp) = load_trainings(reference / "trainings.csv")
    assert len(load_competency_levels(reference / "competency_levels.csv")) == 10
    assert (elearning.jp, elearning.mode, elearning.min_grade) == (4, "nonklasikal", None)
    assert pkp.position_kinds == {PositionKind.STRUKTURAL}
    assert [(link.competency_code, link.max_level) for link in pkp.competencies] == [
        ("M.01", 2),
        ("T.01", 1),
    ]


# (file, data row index, column, new value or None to delete the row, expected message).
# Row index 0 is line 2 of the file (the header is line 1).
BAD_FILES = [
    (
        "competencies.csv",
        0,
        "group",
        "strategis",
        r"line 2, column 'group', value 'strategis': unknown value",
    ),
    (
        "competencies.csv",
        1,
        "code",
        "M.01",
        r"line 3, column 'code', value 'M.01': duplicate of line 2",
    ),
    (
        "competencies.csv",
        1,
        "code",
        "M.02",
        r"line 3, column 'code', value 'M.02': .*start with T\.",
    ),
    ("competencies.csv", 0, "name", " ", r"line 2, column 'name', value '': must not be empty"),
    (
        "competency_levels.csv",
        0,
        "level",
        "6",
        r"line 2, column 'level', value '6': must be between 1 and 5",
    ),
    (
        "competency_levels.csv",
        4,
        "level",
        "0",
        r"line 6, column 'level', value '0': must be between 1 and 5",
    ),
    (
        "competency_levels.csv",
        0,
        "level",
        "satu",
        r"line 2, column 'level', value 'satu': must be a whole number",
    ),
    (
        "competency_levels.csv",
        1,
        "level",
        "1",
        r"line 3, column 'level', value 'M.01/1': duplicate of line 2",
    ),
    (
        "competency_levels.csv",
        0,
        "label",
        "Ahli",
        r"line 2, column 'label', value 'Ahli': level 1 is labelled 'Paham'",
    ),
    (
        "competency_levels.csv",
        5,
        "code",
        "X.01",
        r"line 7, column 'code', value 'X.01': unknown code",
    ),
    (
        "competency_levels.csv",
        9,
        "code",
        None,
        r"column 'level': competency 'T.01' lacks levels \[5\]",
    ),
    (
        "trainings.csv",
        0,
        "mode",
        "daring",
        r"line 2, column 'mode', value 'daring': unknown value",
    ),
    (
        "trainings.csv",
        0,
        "mode",
        "klasikal",
        r"line 2, column 'mode', value 'klasikal': e_learning programmes must be nonklasikal",
    ),
    (
        "trainings.csv",
        1,
        "kind",
        "kursus",
        r"line 3, column 'kind', value 'kursus': unknown value",
    ),
    (
        "trainings.csv",
        1,
        "position_kinds",
        "struktural;eselon",
        r"line 3, column 'position_kinds', value 'eselon': unknown value",
    ),
    (
        "trainings.csv",
        1,
        "position_kinds",
        "",
        r"line 3, column 'position_kinds', value '': must not be empty",
    ),
    ("trainings.csv", 0, "jp", "0", r"line 2, column 'jp', value '0': must be at least 1"),
    ("trainings.csv", 0, "jp", "-4", r"line 2, column 'jp', value '-4': must be at least 1"),
    ("trainings.csv", 0, "jp", "4.5", r"line 2, column 'jp', value '4.5': must be a whole number"),
    (
        "trainings.csv",
        1,
        "min_grade",
        "III/e",
        r"line 3, column 'min_grade', value 'III/e': must be a golongan",
    ),
    (
        "trainings.csv",
        1,
        "code",
        "EL-01",
        r"line 3, column 'code', value 'EL-01': duplicate of line 2",
    ),
    (
        "training_competencies.csv",
        0,
        "competency_code",
        "X.09",
        r"line 2, column 'competency_code', value 'X.09': unknown code.* competencies\.csv",
    ),
    (
        "training_competencies.csv",
        1,
        "training_code",
        "NOPE",
        r"line 3, column 'training_code', value 'NOPE': unknown code.* trainings\.csv",
    ),
    (
        "training_competencies.csv",
        1,
        "max_level",
        "6",
        r"line 3, column 'max_level', value '6': must be between 1 and 5",
    ),
    (
        "training_competencies.csv",
        0,
        "max_level",
        "0",
        r"line 2, column 'max_level', value '0': must be between 1 and 5",
    ),
    (
        "training_competencies.csv",
        2,
        "competency_code",
        "M.01",
        r"line 4, column 'competency_code', value 'PKP/M.01': duplicate of line 3",
    ),
    (
        "training_competencies.csv",
        0,
        "training_code",
        None,
        r"trainings.csv, line 2, column 'code', value 'EL-01': no competencies",
    ),
]


@pytest.mark.parametrize(("name", "index", "column", "value", "message"), BAD_FILES)
def test_bad_row_is_named_in_the_error(
    reference: Path, name: str, index: int, column: str, value: str | None, message: str
) -> None:
    rows = [dict(row) for row in MINIMAL[name]]
    if value is None:
        del rows[index]
    else:
        rows[index][column] = value
    _write(reference, name, rows)
    with pytest.raises(ValueError, match=message) as raised:
        LOADERS[name](reference)
    assert re.search(r"\.csv, (line \d+|column)", str(raised.value))
    assert str(reference) in str(raised.value)


def test_unexpected_header_is_rejected(reference: Path) -> None:
    text = (reference / "trainings.csv").read_text(encoding="utf-8")
    (reference / "trainings.csv").write_text(text.replace("jp,", "jam,", 1), encoding="utf-8")
    with pytest.raises(ValueError, match=r"trainings\.csv, line 1, column header, value '.*jam"):
        load_trainings(reference / "trainings.csv")


def test_row_with_extra_field_is_rejected(reference: Path) -> None:
    with (reference / "competencies.csv").open("a", encoding="utf-8") as handle:
        handle.write("T.02,teknis,Nama,Name,Deskripsi.,Description.,surplus\n")
    with pytest.raises(ValueError, match=r"competencies\.csv, line 4: wrong number of fields"):
        load_competencies(reference / "competencies.csv")
