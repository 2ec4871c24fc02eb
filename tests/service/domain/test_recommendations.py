"""Candidates, ranking, diversity and reasons of the training recommender; worked by hand."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.db.models import AuditEntry
from service.db.reference_data import load_reference_data
from service.domain.audit import Actor
from service.domain.competency import JpmCategory
from service.domain.entities import Role
from service.domain.errors import Invalid
from service.domain.errors import NotFound
from service.domain.ranking import NODES
from service.domain.ranking import WEIGHTS
from service.domain.ranking import Evidence
from service.domain.ranking import RuleGains
from service.domain.ranking import candidates
from service.domain.ranking import fits
from service.domain.ranking import grade_rank
from service.domain.ranking import rank_programs
from service.domain.recommendations import RULE_MODEL
from service.domain.recommendations import ModelRef
from service.domain.recommendations import format_number
from service.domain.recommendations import recommend_for_profile
from service.domain.recommendations import recommend_trainings
from service.domain.recommender_data import Catalogue
from service.domain.recommender_data import LevelHistory
from service.domain.recommender_data import Profile
from service.domain.recommender_data import Program
from service.domain.recommender_data import ProgramLink
from service.domain.settings import RuleSettings
from tests.factories import make_employee
from tests.factories import make_position
from tests.service.domain.recommender_history import add_assessment
from tests.service.domain.recommender_history import add_enrolment
from tests.service.domain.recommender_history import add_standard

ALL_KINDS = frozenset({"struktural", "fungsional", "pelaksana"})
NAMES = {"A": ("Komunikasi", "Communication"), "B": ("Kerja Sama", "Teamwork")}


def program(code: str, *links: tuple[str, int], **fields: object) -> Program:
    values: dict = {
        "title": f"Pelatihan {code}",
        "title_en": f"Training {code}",
        "jp": 24.0,
        "kind": "teknis",
        "position_kinds": ALL_KINDS,
        "min_grade": None,
    }
    values.update(fields)
    return Program(code=code, links=tuple(ProgramLink(c, m) for c, m in links), **values)


def profile(standard: dict[str, int], levels: dict[str, float], **fields: object) -> Profile:
    values: dict = {"employee_id": 1, "position_kind": "pelaksana", "grade": "III/a"}
    values.update(fields)
    return Profile(standard=standard, levels=levels, **values)


class FixedGains(RuleGains):
    """Ranks from the assessed levels, closing a fixed share of the way to each top level."""

    def __init__(self, share: float, evidence: Evidence | None = None) -> None:
        self.fixed = share
        self.found = evidence

    def share(self, code: str, competency: str) -> float:
        return self.fixed

    def evidence(self, code: str, competency: str, gap: float) -> Evidence | None:
        return self.found


@pytest.mark.parametrize(
    ("changes", "person", "expected"),
    [
        ({}, {}, True),
        ({"position_kinds": frozenset({"struktural"})}, {}, False),
        ({"kind": "pkp", "position_kinds": ALL_KINDS}, {"position_level": "administrator"}, False),
        ({"kind": "pkp"}, {"position_level": "pengawas"}, True),
        ({"min_grade": "III/c"}, {"grade": "III/b"}, False),
        ({"min_grade": "III/c"}, {"grade": "IV/a"}, True),
        ({"min_grade": "III/c"}, {"grade": None}, True),
        ({}, {"taken": frozenset({"P"})}, False),
    ],
)
def test_a_programme_fits_the_position_grade_and_is_not_taken(
    changes: dict, person: dict, expected: bool
) -> None:
    assert (
        fits(profile({"A": 3}, {"A": 1}, **person), program("P", ("A", 3), **changes)) is expected
    )


@pytest.mark.parametrize(
    ("grade", "rank"), [("I/a", 10), ("III/c", 32), ("IV/e", 44), (None, None), ("V/a", None)]
)
def test_grade_rank_orders_golongan(grade: str | None, rank: int | None) -> None:
    assert grade_rank(grade) == rank


def test_candidates_cover_a_gap_above_the_current_level() -> None:
    person = profile({"A": 3, "B": 2}, {"A": 1, "B": 2})
    programs = [
        program("GAP", ("A", 2)),
        program("NO-GAP", ("B", 4)),  # B has no gap
        program("TOO-LOW", ("A", 1)),  # does not reach above level 1
        program("BOTH", ("A", 3), ("B", 3)),
    ]

    assert [p.code for p in candidates(person, programs)] == ["GAP", "BOTH"]


def test_rule_ranking_takes_marginal_closure_then_stand_alone_closure() -> None:
    person = profile({"A": 3, "B": 3}, {"A": 1, "B": 2})
    programs = [
        program("P1", ("A", 3)),  # alone: min(2, 2) = 2
        program("P2", ("A", 2)),  # alone: 1
        program("P3", ("B", 3)),  # alone: 1
        program("P4", ("A", 3), ("B", 3)),  # alone: 2 + 1 = 3, and closes every gap
    ]

    ranked = rank_programs(person, programs, RuleGains(), k=4)

    # After P4 nothing is left to close: P1 (alone 2) before P2 and P3 (alone 1); A already
    # has two items (P4's main competency is A), so B's P3 goes before A's P2.
    assert [(r.program.code, r.score) for r in ranked] == [
        ("P4", 3.0),
        ("P1", 0.0),
        ("P3", 0.0),
        ("P2", 0.0),
    ]


def test_at_most_two_items_share_a_competency_while_other_gaps_have_programmes() -> None:
    person = profile({"A": 5, "B": 3}, {"A": 1, "B": 2})
    programs = [program(f"A{i}", ("A", 5)) for i in range(1, 6)] + [program("B1", ("B", 3))]

    ranked = rank_programs(person, programs, FixedGains(0.1), k=5)

    # A1 closes 0.1 x (5 - 1), A2 0.1 x (5 - 1.4); A3 would beat B1 but A is capped at two
    # while B has a programme; once B1 is taken, only A is left and the cap lifts.
    assert [r.program.code for r in ranked] == ["A1", "A2", "B1", "A3", "A4"]
    assert [r.score for r in ranked] == pytest.approx([0.4, 0.36, 0.1, 0.324, 0.2916])


def test_the_expected_gain_beyond_the_requirement_closes_no_gap() -> None:
    person = profile({"A": 2}, {"A": 1})

    ranked = rank_programs(person, [program("P", ("A", 5))], FixedGains(0.5), k=3)

    assert ranked[0].score == pytest.approx(1.0)  # gain 0.5 x 4 = 2, but the gap is 1


@pytest.mark.parametrize(
    ("value", "english", "signed", "text"),
    [
        (0.8, True, True, "+0.8"),
        (0.8, False, True, "+0,8"),
        (2.0, False, False, "2"),
        (1.26, False, False, "1,3"),
        (-0.44, True, True, "-0.4"),
    ],
)
def test_format_number(value: float, english: bool, signed: bool, text: str) -> None:
    assert format_number(value, english=english, signed=signed) == text


CATALOGUE = Catalogue((program("KOM", ("A", 3), ("B", 3)),), NAMES)
TRAINED = ModelRef("kinerja-recommender", "3", fallback=False)


def test_reason_cites_the_gaps_and_the_outcomes_of_people_with_a_similar_gap() -> None:
    person = profile({"A": 3, "B": 3}, {"A": 1, "B": 2})
    gains = FixedGains(0.4, Evidence(37, 0.8, similar_gap=True))

    answer = recommend_for_profile(person, CATALOGUE, gains, 5, RuleSettings(), model=TRAINED)

    item = answer.items[0]
    assert item.training_code == "KOM"
    assert [(c.competency, c.gap) for c in item.covers] == [("A", 2), ("B", 1)]
    assert item.score == pytest.approx(0.8 + 0.4)
    assert item.reason_en == (
        "covers Communication (gap 2) and Teamwork (gap 1); "
        "people with a similar gap gained +0.8 on average after it (n=37)"
    )
    assert item.reason == (
        "mencakup Komunikasi (kesenjangan 2) dan Kerja Sama (kesenjangan 1); "
        "pegawai dengan kesenjangan serupa naik rata-rata +0,8 setelah mengikutinya (n=37)"
    )


@pytest.mark.parametrize(
    ("evidence", "english_tail"),
    [
        (None, "expected gain +0.8 from the programme content (too few measured outcomes, n=0)"),
        (
            Evidence(3, 0.5),
            "expected gain +0.8 from the programme content (too few measured outcomes, n=3)",
        ),
        (
            Evidence(12, 0.5, similar_gap=False),
            "past participants gained +0.5 on average after it (n=12)",
        ),
    ],
)
def test_reason_without_enough_similar_outcomes(
    evidence: Evidence | None, english_tail: str
) -> None:
    person = profile({"A": 3}, {"A": 1})

    gains = FixedGains(0.4, evidence)

    answer = recommend_for_profile(person, CATALOGUE, gains, 5, RuleSettings(), model=TRAINED)

    assert answer.items[0].reason_en == f"covers Communication (gap 2); {english_tail}"


def test_fallback_reason_is_the_rule_and_gaps_and_jpm_come_with_the_answer() -> None:
    person = profile({"A": 3, "B": 3}, {"A": 3, "B": 1.5})

    answer = recommend_for_profile(
        person, CATALOGUE, RuleGains(), 5, RuleSettings(), model=RULE_MODEL
    )

    assert answer.model.fallback is True
    assert [(g.competency, g.gap) for g in answer.gaps] == [("B", 1.5), ("A", 0)]
    assert answer.jpm == pytest.approx(100 * 4.5 / 6)
    assert answer.jpm_category is JpmCategory.KURANG_OPTIMAL
    assert answer.items[0].reason_en == (
        "covers Teamwork (gap 1.5); rule-based: the programme develops Teamwork up to level 3"
    )
    assert answer.items[0].reason.startswith(
        "mencakup Kerja Sama (kesenjangan 1,5); berbasis aturan"
    )


# --- the use case on a real database -----------------------------------------------------------

ADMIN = Actor(user_id=None, username="admin", role=Role.ADMIN)


def _staff_member(session: Session) -> int:
    load_reference_data(session)
    position = make_position(session, kind="pelaksana")
    add_standard(session, position.id, {"M.03": 3, "M.02": 2, "T.01": 2})
    employee = make_employee(session, position_id=position.id, grade="III/a")
    add_assessment(session, employee.id, date(2024, 3, 1), {"M.03": 2, "M.02": 2, "T.01": 2})
    add_assessment(session, employee.id, date(2025, 3, 1), {"M.03": 1.5})
    add_enrolment(session, employee.id, "MAN-KOM-01", date(2025, 4, 4))
    return employee.id


def test_use_case_ranks_programmes_for_the_latest_gaps_and_audits_the_read(
    session: Session,
) -> None:
    employee_id = _staff_member(session)

    answer = recommend_trainings(session, ADMIN, employee_id, k=5)

    assert [(g.competency, g.required, g.current, g.gap) for g in answer.gaps] == [
        ("M.03", 3, 1.5, 1.5),
        ("M.02", 2, 2, 0),
        ("T.01", 2, 2, 0),
    ]
    assert answer.model == RULE_MODEL
    assert 1 <= len(answer.items) <= 5
    codes = [item.training_code for item in answer.items]
    assert "MAN-KOM-01" not in codes  # completed already
    assert all(c.competency == "M.03" for item in answer.items for c in item.covers)
    assert [item.score for item in answer.items] == sorted(
        (item.score for item in answer.items), reverse=True
    )
    session.commit()  # reads are audited when the use case's session commits
    audit = session.scalars(select(AuditEntry).where(AuditEntry.employee_id == employee_id))
    assert [(a.action, a.resource) for a in audit] == [("read", "recommendations")]


@pytest.mark.parametrize("k", [0, 51, True, "5"])
def test_use_case_refuses_a_bad_k(session: Session, k: object) -> None:
    employee_id = _staff_member(session)

    with pytest.raises(Invalid, match="k: must be a whole number from 1 to 50"):
        recommend_trainings(session, ADMIN, employee_id, k=k)  # type: ignore[arg-type]


def test_use_case_hides_employees_the_caller_may_not_see(session: Session) -> None:
    employee_id = _staff_member(session)
    stranger = make_employee(session)
    actor = Actor(user_id=7, username="someone", role=Role.EMPLOYEE, employee_id=stranger.id)

    with pytest.raises(NotFound, match=f"no employee {employee_id} visible to you"):
        recommend_trainings(session, actor, employee_id)
    with pytest.raises(NotFound, match="no employee 999999 visible to you"):
        recommend_trainings(session, ADMIN, 999_999)


class UncertainGains(FixedGains):
    """FixedGains that believe each assessed level only give or take `sd`."""

    def __init__(self, share: float, sd: float) -> None:
        super().__init__(share)
        self.sd = sd

    def level_beliefs(self, history: LevelHistory) -> tuple[np.ndarray, np.ndarray]:
        mean, _ = super().level_beliefs(history)
        return mean, np.full(len(mean), self.sd)


def test_a_level_only_probably_at_the_standard_still_expects_some_closure() -> None:
    person = profile({"A": 3}, {"A": 3})
    programs = [program("P", ("A", 5))]

    sure = rank_programs(person, programs, FixedGains(1.0), k=3)
    unsure = rank_programs(person, programs, UncertainGains(1.0, 0.5), k=3)

    # on the belief's points L = 3 + 0.5 x node: E[min(max(0, 3 - L), 5 - L)]
    levels = np.clip(3 + 0.5 * NODES, 1, 5)
    expected = WEIGHTS @ np.minimum(np.maximum(3 - levels, 0), 5 - levels)
    assert sure == []
    assert [r.program.code for r in unsure] == ["P"]
    assert unsure[0].score == pytest.approx(expected)
    assert unsure[0].score > 0.1


def test_the_answer_shows_the_expected_gap_under_an_uncertain_belief() -> None:
    person = profile({"A": 3}, {"A": 3})
    gains = UncertainGains(1.0, 0.5)

    answer = recommend_for_profile(
        person,
        Catalogue((program("P", ("A", 5)),), NAMES),
        gains,
        3,
        RuleSettings(),
        model=TRAINED,
    )

    coverage = answer.items[0].covers[0]
    # E[max(0, 3 - L)] for L ~ N(3, 0.5): 0.5 x phi(0) = 0.2; the assessed gap is 0
    assert (coverage.gap, coverage.assessed_gap) == (0.2, 0)
    assert "Communication (gap 0)" in answer.items[0].reason_en
