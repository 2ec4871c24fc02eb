"""What would change my outlook: what-ifs scored by the served risk model."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.db import make_database
from service.db.models import Employee
from service.domain.audit import Actor
from service.domain.entities import Role
from service.domain.errors import NotFound
from service.domain.outlook import ACTIONABLE
from service.domain.outlook import competency_features
from service.domain.outlook import outlook_actions
from service.domain.ranking import RuleGains
from service.domain.ranking import rank_programs
from service.domain.recommender_data import load_catalogue
from service.domain.recommender_data import load_profiles
from service.features.catalogue import FEATURE_INDEX
from service.serving import ModelProvider
from service.serving.history import employee_row
from tests.factories import make_employee
from tests.service.serving.samples import shared_sample
from training.sample import Sample

ADMIN = Actor(None, "admin", Role.ADMIN)


@pytest.fixture(scope="module")
def risk_sample(tmp_path_factory: pytest.TempPathFactory) -> Sample:
    return shared_sample(tmp_path_factory)


def test_competency_features_follow_the_panel_definitions() -> None:
    features = competency_features({"A": 3, "B": 2, "C": 4}, {"A": 2.0, "B": 3.0, "C": 1.0})

    assert features["jpm"] == pytest.approx(100 * (2 + 2 + 1) / 9)
    assert features["max_gap"] == 3.0
    assert features["gap_count"] == 2.0
    assert features["competency_balance"] == pytest.approx((-1 + 1 + -2) / 3)
    assert competency_features({"A": 3}, {}) == {}


@pytest.mark.slow
def test_actions_lower_the_risk_and_come_lowest_risk_first(risk_sample: Sample) -> None:
    database = make_database(risk_sample.database_url)
    provider = ModelProvider(risk_sample.tracking_uri, risk_sample.models_dir)
    with database.sessions() as session:
        answers = [
            outlook_actions(session, ADMIN, employee_id, provider, gains=RuleGains())
            for employee_id in session.scalars(select(Employee.id).order_by(Employee.id).limit(40))
        ]
        ok = [a for a in answers if a.status == "ok" and a.actions]
        assert ok, [a.status for a in answers]
        for answer in ok:  # the outlook starts from the risk read's probability
            risk = provider.risk_for(session, session.get(Employee, answer.employee_id))
            assert answer.probability == round(risk["probability"], 4)
        for answer in ok:
            risks = [action.probability for action in answer.actions]
            assert risks == sorted(risks)
            assert all(p < answer.probability for p in risks)
            assert all(
                a.change == pytest.approx(a.probability - answer.probability, abs=1e-3)
                for a in answer.actions
            )
        programmes = {
            (answer.employee_id, action.code)
            for answer in ok
            for action in answer.actions
            if action.kind == "programme"
        }
        catalogue = load_catalogue(session)
        for employee_id, code in programmes:
            profile = load_profiles(session, [employee_id])[0]
            ranked = rank_programs(profile, catalogue.programs, RuleGains(), 5)
            assert code in {r.program.code for r in ranked}
        session.rollback()
    database.engine.dispose()


@pytest.mark.slow
def test_a_driver_action_only_ever_improves_its_feature(risk_sample: Sample) -> None:
    """Full attendance, no lateness or many JP are never 'moved to typical' (worse), even
    where the trees' risk dips at the median (5 such actions for the first 60 people)."""
    database = make_database(risk_sample.database_url)
    provider = ModelProvider(risk_sample.tracking_uri, risk_sample.models_dir)
    with database.sessions() as session:
        period = provider.latest_period(session)
        typical = provider.risk.current().pipeline.named_steps["features"].reference_values_
        moves = []
        for employee in session.scalars(select(Employee).order_by(Employee.id).limit(60)):
            row = np.asarray(employee_row(session, employee, period), dtype=np.float64).ravel()
            answer = outlook_actions(session, ADMIN, employee.id, provider, gains=RuleGains())
            moves += [
                (
                    action.code,
                    np.sign(typical[FEATURE_INDEX[action.code]] - row[FEATURE_INDEX[action.code]]),
                )
                for action in answer.actions
                if action.kind == "driver"
            ]
        session.rollback()
    database.engine.dispose()

    assert moves
    assert [(code, move) for code, move in moves if move != ACTIONABLE[code]] == []


def test_without_a_risk_model_no_action_is_listed(session: Session, tmp_path: Path) -> None:
    employee = make_employee(session)
    empty = ModelProvider(f"sqlite:///{tmp_path / 'none.db'}", tmp_path / "models")

    answer = outlook_actions(session, ADMIN, employee.id, empty)

    assert (answer.status, answer.probability, answer.actions) == ("model_unavailable", None, ())


def test_someone_elses_outlook_is_hidden(session: Session, tmp_path: Path) -> None:
    employee = make_employee(session)
    stranger = Actor(5, "x", Role.EMPLOYEE, employee_id=make_employee(session).id)
    empty = ModelProvider(f"sqlite:///{tmp_path / 'none.db'}", tmp_path / "models")

    with pytest.raises(NotFound, match=f"no employee {employee.id} visible to you"):
        outlook_actions(session, stranger, employee.id, empty)
