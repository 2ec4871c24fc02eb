"""The fairness report finds the bias the generator's knob plants, and none where there is
none (DESIGN.md "Synthetic data with a known truth"): the gender gap of the ratings, and
raters who are truly harsh on women (`truth_employees.harsh_rater`).

Measured on this data set (3,000 employees, seed 21, the report of 2025-Q4, bias 3.0): 27
raters marked, 21 of them truly harsh and marked for rating women lower (precision 0.78), of
32 truly harsh raters among the 104 compared (recall 0.66); the other 6 are fair raters
marked "rates men lower" against a rest that rates women lower. Bias 0: no gender gap, no
rater marked. Five seeds: README "Fairness report". Bias 1.0 marks the gender gap too, but hardly
a rater: teams of about ten people give a one-rater bias of 1 SD little evidence.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from service.domain.audit import Actor
from service.domain.entities import Gender
from service.domain.entities import Role
from service.domain.rating_fairness import FairnessReport
from service.domain.rating_fairness import rating_fairness
from tests.training.test_synthetic_support import seed_sqlite

FIELDS = {"employees": 3_000, "seed": 21, "quarters": 2}
PERIOD = "2025-Q4"
BIAS = 3.0
#: Measured 0.78 and 0.66 (see above), with a margin.
MIN_PRECISION, MIN_RECALL = 0.7, 0.5
#: The report, and whether each employee is truly a harsh rater.
Seeded = tuple[FairnessReport, dict[int, bool]]


def _seeded(directory: Path, template: Path, bias: float) -> Seeded:
    """The report of the whole agency as an admin, and who is truly harsh."""
    engine, _ = seed_sqlite(directory, template, **FIELDS, harsh_rater_bias=bias)
    try:
        with Session(engine) as session:
            root = session.scalar(text("SELECT id FROM units WHERE parent_id IS NULL"))
            truth = text("SELECT employee_id, harsh_rater FROM truth_employees")
            harsh = {row.employee_id: bool(row.harsh_rater) for row in session.execute(truth)}
            admin = Actor(None, "admin", Role.ADMIN)
            return rating_fairness(session, admin, root, PERIOD, None), harsh
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def biased(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> Iterator[Seeded]:
    yield _seeded(tmp_path_factory.mktemp("biased"), sqlite_template, BIAS)


@pytest.fixture(scope="module")
def fair(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> Iterator[Seeded]:
    yield _seeded(tmp_path_factory.mktemp("fair"), sqlite_template, 0.0)


def _gender_marks(report: FairnessReport) -> dict[str, set[str]]:
    """The marked gender rows of each rating measure, as group: sign of the difference."""
    marks: dict[str, set[str]] = {}
    for measure in ("poor_share", "mean_score"):
        groups = report.table("gender", measure).groups
        marks[measure] = {
            f"{g.group}{'+' if g.interval.sign > 0 else '-'}"
            for g in groups
            if g.marked and g.interval is not None
        }
    return marks


def test_the_womens_gap_is_marked(biased: Seeded) -> None:
    """Women rated poor more often and scored lower than the rest, beyond chance."""
    report, _ = biased
    assert _gender_marks(report) == {"poor_share": {"P+", "L-"}, "mean_score": {"P-", "L+"}}


def test_the_marked_raters_are_mostly_the_harsh_ones(
    biased: Seeded,
) -> None:
    report, harsh = biased
    assert report.raters is not None
    compared = report.raters.raters
    marked = [r for r in compared if r.lower_group is not None]
    found = [r for r in marked if harsh[r.rater_id] and r.lower_group is Gender.P]
    truly_harsh = [r for r in compared if harsh[r.rater_id]]
    assert len(found) / len(marked) >= MIN_PRECISION
    assert len(found) / len(truly_harsh) >= MIN_RECALL
    # The false marks are fair raters standing out against a rest that rates women lower.
    assert all(harsh[r.rater_id] for r in marked if r.lower_group is Gender.P)


def test_without_bias_nothing_is_marked(fair: Seeded) -> None:
    report, _ = fair
    assert report.raters is not None and len(report.raters.raters) > 50
    assert _gender_marks(report) == {"poor_share": set(), "mean_score": set()}
    assert sum(r.lower_group is not None for r in report.raters.raters) <= 1
