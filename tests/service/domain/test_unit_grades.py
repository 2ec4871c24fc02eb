"""Organisation grades and the distribution check: which periods the check covers."""

from __future__ import annotations

from sqlalchemy import event
from sqlalchemy import update
from sqlalchemy.orm import Session

from service.db.models import Unit
from service.db.repositories.organisation import unit_chain_ids
from service.domain.audit import Actor
from service.domain.entities import OrganisationGrade
from service.domain.entities import Predikat
from service.domain.entities import Role
from service.domain.settings import RuleSettings
from service.domain.unit_grades import covering_grade_report
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


def test_the_chain_up_is_one_ordered_query_for_the_covering_grade(session: Session) -> None:
    """The chain of units above a unit comes nearest first, whatever the ids' order (the top
    unit here has the highest id), and the covering grade of an employee deep in it is found
    in one statement for the chain, not one lookup per level."""
    units = [make_unit(session) for _ in range(6)]  # units[5] the top, units[0] the bottom
    for child, parent in zip(units, units[1:], strict=False):
        session.execute(update(Unit).where(Unit.id == child.id).values(parent_id=parent.id))
    session.flush()
    ids = [unit.id for unit in units]
    assert list(session.scalars(unit_chain_ids(ids[0]))) == ids
    assert list(session.scalars(unit_chain_ids(ids[3]))) == ids[3:]
    person = make_employee(session, unit_id=ids[0])
    make_evaluation(session, person, period="2025")
    for unit_id, grade in ((ids[5], OrganisationGrade.BAIK), (ids[4], OrganisationGrade.KURANG)):
        set_unit_grade(session, ADMIN, unit_id, "2025", grade, RuleSettings())
    session.expire_all()

    statements: list[str] = []

    def seen(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        statements.append(statement)

    engine = session.get_bind()
    event.listen(engine, "before_cursor_execute", seen)
    try:
        found = covering_grade_report(session, person.id, "2025", RuleSettings())
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    assert found is not None
    report, name = found
    assert (report.grade.unit_id, name) == (ids[4], units[4].name)  # the nearest graded
    # the chain's one, and the report's (`graded_population`: grades below the unit); the
    # walk up read each level's unit and grade (10 here)
    graded = [s for s in statements if "unit_grades" in s]
    assert len(graded) == 2, statements


def test_a_cycle_in_bad_data_ends_the_walk_up(session: Session) -> None:
    """Writes refuse a cycle, bad imported data may hold one: the walk stops, nearest first."""
    first, second = make_unit(session), make_unit(session)
    for child, parent in ((first, second), (second, first)):
        session.execute(update(Unit).where(Unit.id == child.id).values(parent_id=parent.id))
    chain = list(session.scalars(unit_chain_ids(first.id)))
    assert chain[:3] == [first.id, second.id, first.id] and len(chain) <= 70
