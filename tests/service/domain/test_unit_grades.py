"""Organisation grades and the distribution check: which periods the check covers."""

from __future__ import annotations

from sqlalchemy.orm import Session

from service.domain.audit import Actor
from service.domain.entities import OrganisationGrade
from service.domain.entities import Predikat
from service.domain.entities import Role
from service.domain.settings import RuleSettings
from service.domain.unit_grades import set_unit_grade
from service.domain.unit_grades import unit_grade_report
from tests.factories import make_employee
from tests.factories import make_evaluation
from tests.factories import make_unit

ADMIN = Actor(None, "admin", Role.ADMIN)


def test_whether_periodic_predikat_follow_the_pattern_is_a_setting(session: Session) -> None:
    """domain.md 9.3 leaves open whether periodic predikat must follow the distribution
    pattern: by default they are checked like annual ones; KINERJA_DISTRIBUTION_PERIODIC
    false checks annual grades only (counts are still reported)."""
    unit = make_unit(session)
    for _ in range(4):  # four Baik: over 70% Baik and nobody below, in a Baik unit
        person = make_employee(session, unit_id=unit.id)
        make_evaluation(session, person, period="2025-Q1")
        make_evaluation(session, person, period="2025")
    annual_only = RuleSettings.from_mapping({"KINERJA_DISTRIBUTION_PERIODIC": "false"})
    assert annual_only.distribution_periodic is False and RuleSettings().distribution_periodic

    quarter = set_unit_grade(
        session, ADMIN, unit.id, "2025-Q1", OrganisationGrade.BAIK, annual_only
    )
    assert (quarter.counts, quarter.warnings) == ({Predikat.BAIK: 4}, [])
    year = set_unit_grade(session, ADMIN, unit.id, "2025", OrganisationGrade.BAIK, annual_only)
    assert len(year.warnings) == 2
    checked = unit_grade_report(session, ADMIN, unit.id, "2025-Q1", RuleSettings())
    assert [warning.rule for warning in checked.warnings] == [w.rule for w in year.warnings]


def test_a_grade_covers_the_units_below_that_have_none_of_their_own(session: Session) -> None:
    """An organisation's employees sit in its sub-units (bidang, seksi): the grade of a dinas
    counts them, except those of a sub-unit graded itself for the period (they follow their
    own unit's grade). It counted the dinas's direct members only: 0 people here."""
    dinas = make_unit(session)
    bidang = make_unit(session, parent_id=dinas.id)
    seksi = make_unit(session, parent_id=bidang.id)
    graded = make_unit(session, parent_id=dinas.id)
    below_graded = make_unit(session, parent_id=graded.id)
    for unit, rating in [
        (seksi, "di_atas_ekspektasi"),  # both above: sangat_baik
        (bidang, "sesuai_ekspektasi"),  # baik
        (graded, "di_bawah_ekspektasi"),  # sangat_kurang
        (below_graded, "di_bawah_ekspektasi"),
    ]:
        person = make_employee(session, unit_id=unit.id)
        ratings = {"work_result_rating": rating, "behavior_rating": rating}
        make_evaluation(session, person, period="2025", **ratings)
    settings = RuleSettings()
    own = set_unit_grade(session, ADMIN, graded.id, "2025", OrganisationGrade.BAIK, settings)
    assert own.counts == {Predikat.SANGAT_KURANG: 2}

    report = set_unit_grade(session, ADMIN, dinas.id, "2025", OrganisationGrade.BAIK, settings)

    assert report.counts == {Predikat.SANGAT_BAIK: 1, Predikat.BAIK: 1}
    assert report.size == 2
