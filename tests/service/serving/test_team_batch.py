"""A supervisor's team answered in one batch: the same answers as one by one, ranked from
fresh batch scores or live, one page at a time, audited per member shown.

Runs on the session's seeded and trained sample (600 employees, SQLite): the busiest
supervisor there has a team large enough to page through.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import delete
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy import update
from sqlalchemy.orm import Session

from service import create_app
from service.db.models import AuditEntry
from service.db.models import Employee
from service.db.models import Enrolment
from service.db.models import RiskFeatureRow
from service.db.models import RiskScore
from service.db.models import Training
from service.db.repositories import risk as repo
from service.db.repositories.development import jp_completed
from service.domain.audit import Actor
from service.domain.coaching import coaching_for
from service.domain.development import jp_minimum
from service.domain.entities import Role
from service.domain.periods import today_in_indonesia
from service.domain.risk import RESOURCE
from service.domain.risk import team_risk
from service.domain.settings import RuleSettings
from service.serving import ModelProvider
from training.sample import Sample
from training.score import score_all

EVERYONE = 1000


@pytest.fixture
def sample_app(sample_copy: Sample, tmp_path: Path) -> Iterator[Flask]:
    config = sample_copy.config(
        KINERJA_ENV="test",
        KINERJA_HOME=str(tmp_path / "home"),
        KINERJA_SECRET_KEY="test-secret-key-not-for-production",
    )
    app = create_app(config, use_env=False)
    yield app
    app.extensions["db"].engine.dispose()


@pytest.fixture
def session(sample_app: Flask) -> Iterator[Session]:
    with sample_app.extensions["db"].sessions() as session:
        yield session


@pytest.fixture
def boss(session: Session) -> Actor:
    """The sample's supervisor with the most direct reports."""
    reports = func.count(Employee.id)
    supervisor_id = session.execute(
        select(Employee.supervisor_id)
        .where(Employee.supervisor_id.is_not(None), Employee.is_active.is_(True))
        .group_by(Employee.supervisor_id)
        .order_by(reports.desc(), Employee.supervisor_id)
        .limit(1)
    ).scalar_one()
    return Actor(None, "boss", Role.SUPERVISOR, supervisor_id, request_id="test")


@pytest.fixture
def served(sample_copy: Sample) -> ModelProvider:
    return ModelProvider(sample_copy.tracking_uri, sample_copy.models_dir)


def _order_key(item: dict) -> tuple:
    probability = item["risk"]["probability"]
    return (probability is None, -(probability or 0.0), item["name"])


def test_team_answers_equal_the_single_employee_answers(
    session: Session, boss: Actor, served: ModelProvider
) -> None:
    team = team_risk(session, boss, served, limit=EVERYONE)
    assert team.total == len(team.items) >= 10
    statuses = {item["risk"]["status"] for item in team.items}
    assert "ok" in statuses
    for item in team.items:
        employee = session.get(Employee, item["employee_id"])
        single, features = served.assess(session, employee)
        assert item["risk"] == single
        minimum = jp_minimum(employee.employment_status, RuleSettings())
        today = today_in_indonesia()
        recent = jp_completed(session, [employee.id], today - timedelta(days=364), today)
        features["jp_last_year"] = recent.get(employee.id, 0.0)  # up to today (coaching)
        expected = (
            coaching_for(features, single["drivers"], jp_minimum=minimum)
            if single["status"] == "ok"
            else []
        )
        assert item["coaching"] == expected
    assert any(item["risk"]["drivers"] for item in team.items)


def test_team_is_highest_risk_first_with_unknown_last(
    session: Session, boss: Actor, served: ModelProvider
) -> None:
    items = team_risk(session, boss, served, limit=EVERYONE).items
    assert items == sorted(items, key=_order_key)
    assert items[0]["risk"]["probability"] is not None


def test_pages_partition_the_team_and_only_the_page_is_audited(
    session: Session, boss: Actor, served: ModelProvider
) -> None:
    everyone = [item["employee_id"] for item in team_risk(session, boss, served, EVERYONE).items]
    session.rollback()  # reads are audited as the request commits: nothing was written
    paged: list[int] = []
    for offset in range(0, len(everyone), 7):
        seen = session.scalar(select(func.coalesce(func.max(AuditEntry.id), 0)))
        page = team_risk(session, boss, served, limit=7, offset=offset)
        session.commit()
        assert page.total == len(everyone) and len(page.items) <= 7
        audited = session.scalars(
            select(AuditEntry.employee_id).where(
                AuditEntry.id > seen, AuditEntry.resource == RESOURCE
            )
        ).all()
        assert sorted(audited) == sorted(item["employee_id"] for item in page.items)
        paged += [item["employee_id"] for item in page.items]
    assert paged == everyone
    assert team_risk(session, boss, served, limit=7, offset=len(everyone)).items == []


def _ranked_from(session: Session, boss: Actor, served: ModelProvider) -> str:
    """Where the team's order comes from ("stored" or "live"); ends the transaction."""
    source = served.rank(session, boss.employee_id).source
    session.rollback()
    return source


def test_fresh_batch_scores_rank_the_team(
    session: Session, boss: Actor, served: ModelProvider, sample_copy: Sample
) -> None:
    live = team_risk(session, boss, served, limit=EVERYONE).items
    session.rollback()
    assert _ranked_from(session, boss, served) == "live"
    score_all(sample_copy.database_url, sample_copy.tracking_uri, sample_copy.models_dir)
    assert _ranked_from(session, boss, served) == "stored"
    stored = team_risk(session, boss, served, limit=EVERYONE).items
    session.rollback()
    assert stored == live  # unchanged data: the batch run ranks exactly as the live one
    # The stored order really is the one used: lift the lowest member's stored score.
    lowest = next(i for i in reversed(live) if i["risk"]["probability"] is not None)
    session.execute(
        update(RiskScore)
        .where(RiskScore.employee_id == lowest["employee_id"])
        .values(probability=0.999)
    )
    first = team_risk(session, boss, served, limit=1).items[0]
    assert first["employee_id"] == lowest["employee_id"]
    assert first["risk"] == lowest["risk"]  # what is shown is still answered live


def test_scores_of_another_model_version_are_not_used(
    session: Session, boss: Actor, served: ModelProvider, sample_copy: Sample
) -> None:
    score_all(sample_copy.database_url, sample_copy.tracking_uri, sample_copy.models_dir)
    some = repo.team_members(session, boss.employee_id)[0].id
    session.execute(
        update(RiskScore).where(RiskScore.employee_id == some).values(model_version="999")
    )
    assert _ranked_from(session, boss, served) == "live"
    session.execute(delete(RiskScore).where(RiskScore.employee_id == some))
    assert _ranked_from(session, boss, served) == "live"  # a member without a score


def test_scores_of_another_360_minimum_do_not_rank_the_team(
    session: Session,
    boss: Actor,
    served: ModelProvider,
    sample_copy: Sample,
    tmp_path: Path,
) -> None:
    """KINERJA_FEEDBACK_MIN_GROUP_ANSWERS raised after `kinerja score`: the stored rows'
    feature set (`feature_set_id`) is another one, so their probabilities (which may rest on
    a 360 group the new minimum hides) do not order the team; it is ranked live, in the
    order of the answers shown, until the next `kinerja score`."""
    score_all(sample_copy.database_url, sample_copy.tracking_uri, sample_copy.models_dir)
    live = team_risk(session, boss, served, limit=EVERYONE).items
    session.rollback()
    # A stored order unlike the live one, so the order used shows where it comes from.
    lowest = next(i for i in reversed(live) if i["risk"]["probability"] is not None)
    lifted = update(RiskScore).where(RiskScore.employee_id == lowest["employee_id"])
    session.execute(lifted.values(probability=0.999))
    session.commit()
    assert _ranked_from(session, boss, served) == "stored"  # scored with this minimum
    assert (
        team_risk(session, boss, served, limit=1).items[0]["employee_id"] == lowest["employee_id"]
    )
    session.rollback()

    config = sample_copy.config(
        KINERJA_ENV="test",
        KINERJA_HOME=str(tmp_path / "home-5"),
        KINERJA_SECRET_KEY="test-secret-key-not-for-production",
        KINERJA_FEEDBACK_MIN_GROUP_ANSWERS="5",
    )
    raised = create_app(config, use_env=False)
    try:
        at_five: ModelProvider = raised.extensions["models"]
        assert at_five.min_group_answers == 5
        assert _ranked_from(session, boss, at_five) == "live"
        items = team_risk(session, boss, at_five, limit=EVERYONE).items
        session.rollback()
        assert items == sorted(items, key=_order_key)  # the order of what is shown
        assert items[0]["employee_id"] != lowest["employee_id"]
        score_all(
            sample_copy.database_url,
            sample_copy.tracking_uri,
            sample_copy.models_dir,
            min_group_answers=5,
        )
        assert _ranked_from(session, boss, at_five) == "stored"  # scored again: stored
        assert team_risk(session, boss, at_five, limit=EVERYONE).items == items
        session.rollback()
    finally:
        raised.extensions["db"].engine.dispose()


def test_without_a_model_the_team_gets_the_rules_answers(
    session: Session, boss: Actor, tmp_path: Path, sample_copy: Sample
) -> None:
    rule = ModelProvider(f"sqlite:///{tmp_path / 'none.db'}", tmp_path / "none")
    items = team_risk(session, boss, rule, limit=EVERYONE).items
    assert {item["risk"]["model"]["fallback"] for item in items} == {True}
    for item in items[:10]:
        assert item["risk"] == rule.risk_for(session, session.get(Employee, item["employee_id"]))
    session.rollback()
    score_all(sample_copy.database_url, f"sqlite:///{tmp_path / 'none.db'}", tmp_path / "none")
    assert _ranked_from(session, boss, rule) == "stored"
    assert team_risk(session, boss, rule, limit=EVERYONE).items == items


def _features_of(session: Session, employee_id: int) -> bytes:
    query = select(RiskFeatureRow.features).where(RiskFeatureRow.employee_id == employee_id)
    return session.scalar(query)


def test_the_page_reads_fresh_stored_feature_rows_and_the_history_of_outdated_ones(
    session: Session, boss: Actor, served: ModelProvider, sample_copy: Sample
) -> None:
    live = team_risk(session, boss, served, limit=EVERYONE).items
    session.rollback()
    score_all(sample_copy.database_url, sample_copy.tracking_uri, sample_copy.models_dir)
    ok = [item for item in live if item["risk"]["status"] == "ok"]
    model, fresh, outdated = (item["employee_id"] for item in (ok[0], ok[-1], ok[-2]))
    # Two members' stored rows now hold the first member's feature row; one is outdated.
    copied = _features_of(session, model)
    session.execute(
        update(RiskFeatureRow)
        .where(RiskFeatureRow.employee_id.in_([fresh, outdated]))
        .values(features=copied)
    )
    session.execute(
        update(RiskScore).where(RiskScore.employee_id == outdated).values(outdated=True)
    )
    shown = {
        item["employee_id"]: item["risk"]
        for item in team_risk(session, boss, served, limit=EVERYONE).items
    }
    assert shown[fresh]["probability"] == ok[0]["risk"]["probability"]  # the stored row
    assert shown[outdated] == ok[-2]["risk"]  # its history, read again
    unchanged = {item["employee_id"]: item["risk"] for item in live}
    assert {k: v for k, v in shown.items() if k != fresh} == {
        k: v for k, v in unchanged.items() if k != fresh
    }


def _jp_coached(items: list[dict]) -> set[int]:
    return {
        item["employee_id"]
        for item in items
        if any(tip["code"] == "training_hours_low" for tip in item["coaching"])
    }


def test_the_jp_suggestion_follows_the_configured_minimum_and_spares_pppk(
    session: Session, boss: Actor, served: ModelProvider
) -> None:
    """The 20 JP minimum is configurable and binds PNS and CPNS only (domain.md 5.1); the
    suggestion to plan 'at least 20 JP' went to PPPK too, and ignored JP_MINIMUM_PNS."""
    coached = _jp_coached(team_risk(session, boss, served, limit=EVERYONE).items)
    assert coached  # the sample's team has people short of 20 JP
    pppk = min(coached)
    session.execute(update(Employee).where(Employee.id == pppk).values(employment_status="pppk"))
    session.flush()

    items = team_risk(session, boss, served, limit=EVERYONE).items
    raised = team_risk(
        session, boss, served, limit=EVERYONE, settings=RuleSettings(jp_minimum_pns=40)
    ).items
    none = team_risk(
        session, boss, served, limit=EVERYONE, settings=RuleSettings(jp_minimum_pns=0)
    ).items

    assert _jp_coached(items) == coached - {pppk}
    assert _jp_coached(raised) >= coached - {pppk}
    assert pppk not in _jp_coached(raised)
    assert _jp_coached(none) == set()
    tips = [t for item in raised for t in item["coaching"] if t["code"] == "training_hours_low"]
    assert tips and all(tip["why_en"].endswith("the minimum is 40 JP a year") for tip in tips)
    session.rollback()


def test_the_jp_suggestion_counts_programmes_completed_since_the_period(
    session: Session, boss: Actor, served: ModelProvider
) -> None:
    """The features stop at the latest evaluated quarter's end; a programme completed since
    (here last week, 40 JP) still drew 'Only 0 JP of development in the last year'."""
    coached = _jp_coached(team_risk(session, boss, served, limit=EVERYONE).items)
    member = min(coached)
    training = session.scalars(select(Training).where(Training.jp >= 20).limit(1)).one()
    ended = today_in_indonesia() - timedelta(days=7)
    session.add(
        Enrolment(
            employee_id=member,
            training_id=training.id,
            start_date=ended,
            end_date=ended,
            status="completed",
            jp_earned=training.jp,
        )
    )
    session.flush()

    assert _jp_coached(team_risk(session, boss, served, limit=EVERYONE).items) == coached - {
        member
    }
    session.rollback()
