"""Which reminders are due, to whom, and that storing them twice adds nothing (both DBs)."""

from __future__ import annotations

from datetime import UTC
from datetime import date
from datetime import datetime

import pytest
from sqlalchemy import func
from sqlalchemy import inspect
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.db.models import Employee
from service.db.models import Enrolment
from service.db.models import Notification
from service.db.models import PerformanceDialogue
from service.db.models import Realisation
from service.db.models import RiskReview
from service.db.models import RiskScore
from service.domain.entities import DialogueKind
from service.domain.entities import EmploymentStatus
from service.domain.entities import EnrolmentStatus
from service.domain.entities import NotificationKind
from service.domain.errors import Invalid
from service.domain.evaluation_input import ensure_period
from service.domain.notifications import remind
from service.domain.periods import parse_period
from service.domain.reminders import ReminderSettings
from service.domain.settings import RuleSettings
from service.features.stored_rows import feature_set_id
from tests.factories import make_evaluation
from tests.service.api.world import World
from tests.service.continuous.continuous_objects import approved_skp

RULES = RuleSettings()
SETTINGS = ReminderSettings()
#: The risk model version served in these tests; the flags are stored by it (`_score`).
SERVED = "3"
Kind = NotificationKind


def _stored(session: Session, kind: NotificationKind) -> set[tuple[int, str]]:
    rows = session.execute(
        select(Notification.recipient_user_id, Notification.subject_key).where(
            Notification.kind == kind
        )
    )
    return {(user, subject) for user, subject in rows}


def _realise(session: Session, indicator_id: int, period: str) -> None:
    ensure_period(session, parse_period(period))
    session.add(Realisation(indicator_id=indicator_id, period=period, value=3))
    session.flush()


def test_realisations_fall_due_near_the_quarters_end(session: Session, world: World) -> None:
    _, _, (first, _second) = approved_skp(session, world, "E1", 2026)
    _, _, complete = approved_skp(session, world, "S", 2026, indicators=1)
    _realise(session, first, "2026-08")  # a month of the quarter counts
    _realise(session, complete[0], "2026-Q3")
    assert (
        remind(session, date(2026, 9, 15), RULES, SETTINGS, SERVED).created[Kind.REALISATION_DUE]
        == 0
    )
    remind(session, date(2026, 9, 20), RULES, SETTINGS, SERVED)
    subject = f"realisation:2026-Q3:employee:{world.employees['E1']}"
    assert _stored(session, Kind.REALISATION_DUE) == {(world.users["employee"], subject)}
    message = session.scalar(
        select(Notification.message_en).where(Notification.subject_key == subject)
    )
    assert message is not None and "1 of 2 indicators" in message and "2026-09-30" in message


def test_evaluations_fall_due_for_the_direct_supervisor(session: Session, world: World) -> None:
    make_evaluation(session, employee_id=world.employees["E1"], period="2026-Q2")
    late_hire = session.get(Employee, world.employees["E2"])
    assert late_hire is not None
    late_hire.hire_date = date(2026, 7, 1)
    session.flush()
    remind(session, date(2026, 7, 5), RULES, SETTINGS, SERVED)
    assert _stored(session, Kind.EVALUATION_DUE) == {
        (world.users["hr"], f"evaluation:2026-Q2:employee:{world.employees['S']}"),
        (world.users["admin"], f"evaluation:2026-Q2:employee:{world.employees['AS']}"),
    }


def test_low_jp_is_reminded_from_the_configured_month(session: Session, world: World) -> None:
    pppk = session.get(Employee, world.employees["AS"])
    assert pppk is not None
    pppk.employment_status = EmploymentStatus.PPPK
    session.add(
        Enrolment(
            employee_id=world.employees["E1"],
            training_id=_training_id(session, world),
            start_date=date(2026, 2, 1),
            end_date=date(2026, 2, 3),
            status=EnrolmentStatus.COMPLETED,
            jp_earned=5,
        )
    )
    session.flush()
    late = ReminderSettings(jp_from_month=11)
    assert (
        remind(session, date(2026, 10, 5), RULES, late, SERVED).created[Kind.DEVELOPMENT_JP_LOW]
        == 0
    )
    remind(session, date(2026, 10, 5), RULES, SETTINGS, SERVED)
    stored = _stored(session, Kind.DEVELOPMENT_JP_LOW)
    subject = f"jp:2026:employee:{world.employees['E1']}"
    assert {(world.users["employee"], subject), (world.users["supervisor"], subject)} <= stored
    assert not any(s == f"jp:2026:employee:{world.employees['AS']}" for _, s in stored)
    message = session.scalar(
        select(Notification.message_en).where(
            Notification.subject_key == subject,
            Notification.recipient_user_id == world.users["employee"],
        )
    )
    assert message is not None and "completed 5 of the 20 JP" in message


def test_flagged_risk_without_a_dialogue_since_the_score(session: Session, world: World) -> None:
    """The dialogues were recorded before the batch run (one recorded after it outdates the
    score, which then no longer flags anyone until the next run)."""
    scored = datetime(2026, 7, 10, 8, 0, tzinfo=UTC)
    for person, day in (("E1", date(2026, 7, 1)), ("S", date(2026, 7, 10))):
        session.add(
            PerformanceDialogue(
                employee_id=world.employees[person],
                supervisor_employee_id=world.employees["H"],
                held_on=day,
                kind=DialogueKind.DIALOG,
                topics="x",
            )
        )
    session.flush()
    for person, period in (("E1", "2026-Q2"), ("S", "2026-Q2"), ("AS", "2026-Q1")):
        session.add(_score(world.employees[person], period, scored))
    session.flush()
    remind(session, date(2026, 7, 20), RULES, SETTINGS, SERVED)
    assert _stored(session, Kind.RISK_WITHOUT_DIALOGUE) == {
        (world.users["supervisor"], f"risk:2026-Q2:employee:{world.employees['E1']}")
    }


def test_a_flag_that_no_longer_stands_is_not_reminded(session: Session, world: World) -> None:
    """A flag counts as the risk read and the team ranking count a stored score: not marked
    outdated by a write since the batch run, and computed on the feature set served now
    (here with a raised 360 threshold). Either way the flag may be gone: no reminder."""
    scored = datetime(2026, 7, 10, 8, 0, tzinfo=UTC)
    people = {"E1": {"outdated": True}, "AS": {"feature_set": "0123456789abcdef"}, "S": {}}
    for person, changed in people.items():
        row = _score(world.employees[person], "2026-Q2", scored)
        for column, value in changed.items():
            setattr(row, column, value)
        session.add(row)
    session.flush()
    remind(session, date(2026, 7, 20), RULES, SETTINGS, SERVED)
    assert _stored(session, Kind.RISK_WITHOUT_DIALOGUE) == {
        (world.users["hr"], f"risk:2026-Q2:employee:{world.employees['S']}")
    }
    raised = ReminderSettings(min_group_answers=5)  # the rows were computed with 3
    session.add(_score(world.employees["E2"], "2026-Q2", scored))
    session.flush()
    remind(session, date(2026, 7, 21), RULES, raised, SERVED)
    assert len(_stored(session, Kind.RISK_WITHOUT_DIALOGUE)) == 1


def test_only_a_flag_of_what_is_served_is_reminded(session: Session, world: World) -> None:
    """E1 flagged by the model served, S by a version no longer served, AS by the rule
    fallback: the served model's flag reminds; with no model served, the fallback's does,
    as the team page counts a stored score (`risk.scored_by`)."""
    scored = datetime(2026, 7, 10, 8, 0, tzinfo=UTC)
    versions = {"E1": (SERVED, False), "S": ("2", False), "AS": (None, True)}
    for person, (version, fallback) in versions.items():
        row = _score(world.employees[person], "2026-Q2", scored)
        row.model_version, row.fallback = version, fallback
        session.add(row)
    session.flush()
    remind(session, date(2026, 7, 20), RULES, SETTINGS, SERVED)
    e1 = (world.users["supervisor"], f"risk:2026-Q2:employee:{world.employees['E1']}")
    assert _stored(session, Kind.RISK_WITHOUT_DIALOGUE) == {e1}
    remind(session, date(2026, 7, 21), RULES, SETTINGS, None)
    as_ = (world.users["admin"], f"risk:2026-Q2:employee:{world.employees['AS']}")
    assert _stored(session, Kind.RISK_WITHOUT_DIALOGUE) == {e1, as_}


def test_a_flag_its_supervisor_disagreed_with_is_not_reminded(
    session: Session, world: World
) -> None:
    """A supervisor who reviewed the flag and disagreed, with reasons, made the call the
    reminder asks for; one who agreed is still reminded to hold the dialogue."""
    scored = datetime(2026, 7, 10, 8, 0, tzinfo=UTC)
    for person, boss, decision in (("E1", "S", "disagree"), ("AS", "AD", "agree")):
        session.add(_score(world.employees[person], "2026-Q2", scored))
        session.add(
            RiskReview(
                employee_id=world.employees[person], period="2026-Q2", decision=decision,
                reason="cuti", probability=0.7, flagged=True, fallback=False,
                reviewer_id=world.employees[boss],
            )
        )  # fmt: skip
    session.flush()
    remind(session, date(2026, 7, 20), RULES, SETTINGS, SERVED)
    assert _stored(session, Kind.RISK_WITHOUT_DIALOGUE) == {
        (world.users["admin"], f"risk:2026-Q2:employee:{world.employees['AS']}")
    }


def test_a_waiting_360_rater_is_reminded(session: Session, world: World) -> None:
    if not inspect(session.connection()).has_table("feedback_raters"):
        pytest.skip("the 360 tables (revision 0007) are not migrated yet")
    from service.db.models import FeedbackRater
    from service.db.models import FeedbackRound

    ensure_period(session, parse_period("2026"))
    round_ = FeedbackRound(employee_id=world.employees["E2"], period="2026")
    session.add(round_)
    session.flush()
    for person, answered in (("E1", None), ("S", datetime(2026, 3, 1, tzinfo=UTC))):
        rater = FeedbackRater(
            round_id=round_.id,
            rater_employee_id=world.employees[person],
            rater_group="peer",
            answered_at=answered,
        )
        session.add(rater)
    session.flush()
    remind(session, date(2026, 3, 2), RULES, SETTINGS, SERVED)
    assert _stored(session, Kind.FEEDBACK_ROUND_WAITING) == {
        (world.users["employee"], f"feedback:{round_.id}:rater:{world.employees['E1']}")
    }


def test_a_second_run_repeats_no_reminder(session: Session, world: World) -> None:
    approved_skp(session, world, "E1", 2026)
    first = remind(session, date(2026, 12, 20), RULES, SETTINGS, SERVED)
    session.commit()
    count = session.scalar(select(func.count()).select_from(Notification))
    assert sum(first.created.values()) == count > 0
    second = remind(session, date(2026, 12, 21), RULES, SETTINGS, SERVED)
    session.commit()
    assert second.due == first.due and sum(second.created.values()) == 0
    assert session.scalar(select(func.count()).select_from(Notification)) == count


@pytest.mark.parametrize(
    ("mapping", "keys"),
    [
        ({"KINERJA_REMIND_JP_FROM_MONTH": "13"}, ["KINERJA_REMIND_JP_FROM_MONTH"]),
        (
            {"KINERJA_REMIND_REALISATION_DAYS": "-1", "KINERJA_REMIND_JP_FROM_MONTH": True},
            ["KINERJA_REMIND_REALISATION_DAYS", "KINERJA_REMIND_JP_FROM_MONTH"],
        ),
    ],
)
def test_bad_settings_name_every_key(mapping: dict[str, object], keys: list[str]) -> None:
    with pytest.raises(Invalid) as refused:
        ReminderSettings.from_mapping(mapping)
    assert [error.field for error in refused.value.errors] == keys


def test_settings_are_read_from_strings() -> None:
    settings = ReminderSettings.from_mapping(
        {"KINERJA_REMIND_JP_FROM_MONTH": "9", "KINERJA_REMIND_REALISATION_DAYS": 7}
    )
    assert (settings.jp_from_month, settings.realisation_days) == (9, 7)


def _score(employee_id: int, period: str, scored: datetime) -> RiskScore:
    return RiskScore(
        employee_id=employee_id,
        period=period,
        status="ok",
        probability=0.7,
        flagged=True,
        threshold=0.5,
        drivers=[],
        model_name="kinerja-risk",
        model_version=SERVED,
        scored_at=scored,
        feature_set=feature_set_id(),
    )


def _training_id(session: Session, world: World) -> int:
    from service.db.models import Training

    found = session.scalar(select(Training.id).where(Training.code == world.training_code))
    assert found is not None
    return found


def test_no_360_reminder_once_the_round_has_passed_its_closing_day(
    session: Session, world: World
) -> None:
    """A round past its `closes_on` takes no answers, so its raters are not asked to answer."""
    if not inspect(session.connection()).has_table("feedback_raters"):
        pytest.skip("the 360 tables (revision 0007) are not migrated yet")
    from service.db.models import FeedbackRater
    from service.db.models import FeedbackRound

    ensure_period(session, parse_period("2026"))
    rounds = {}
    for rated, closes_on in (("E2", date(2026, 3, 1)), ("S", date(2026, 3, 2))):
        rounds[rated] = FeedbackRound(
            employee_id=world.employees[rated], period="2026", closes_on=closes_on
        )
        session.add(rounds[rated])
        session.flush()
        rater = FeedbackRater(
            round_id=rounds[rated].id, rater_employee_id=world.employees["E1"], rater_group="peer"
        )
        session.add(rater)
    session.flush()
    remind(session, date(2026, 3, 2), RULES, SETTINGS, SERVED)
    assert _stored(session, Kind.FEEDBACK_ROUND_WAITING) == {
        (world.users["employee"], f"feedback:{rounds['S'].id}:rater:{world.employees['E1']}")
    }


def test_a_data_team_login_gets_no_reminder_about_people(session: Session, world: World) -> None:
    """The data team sees nobody by name: a data login linked to a supervisor (one login per
    employee) is not told which reports lack an evaluation or JP; their own login would be."""
    from service.domain.entities import Role
    from service.domain.users import create_user
    from tests.factories import make_employee

    boss = make_employee(session, unit_id=world.units["B"], position_id=world.position_id)
    make_employee(
        session, unit_id=world.units["B"], position_id=world.position_id, supervisor_id=boss.id
    )
    analyst = create_user(session, "analyst-boss", "a long enough password", Role.DATA, boss.id)
    session.flush()
    remind(session, date(2026, 10, 5), RULES, SETTINGS, SERVED)
    got = session.scalars(
        select(Notification.subject_key).where(Notification.recipient_user_id == analyst.id)
    ).all()
    assert got == []
