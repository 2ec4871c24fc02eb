"""The risk read's per-worker memo: never staler than a database read (migration 0011).

Each test reads once (filling the worker's memo), changes a table the answer or the access
decision reads through another session, as another worker or an operator would, and reads
again: the second answer must be what the database says now, with no waiting.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy import update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from service.db import make_engine
from service.db.models import ApiToken
from service.db.models import AuditEntry
from service.db.models import Employee
from service.db.models import RiskScore
from service.db.models import Skp
from service.db.models import Unit
from service.db.models import User
from service.db.repositories.access import change_generation
from service.domain.feedback360_results import DEFAULT_MIN_GROUP_ANSWERS
from service.features.stored_rows import feature_set_id
from service.serving import ModelProvider
from tests.service.api.test_risk import QUARTERS
from tests.service.api.test_risk import _history
from tests.service.api.test_risk import risk_sample  # noqa: F401 (the fixture)
from tests.service.api.world import World
from tests.service.api.world import add_skp
from training.sample import Sample

STORED_PROBABILITY = 0.8765
DRIVERS = [{"feature": "predikat_last", "label": "Predikat terakhir", "label_en": "Last predikat",
            "value": 1.0, "contribution": 0.2}]  # fmt: skip


@pytest.fixture
def stored(
    app: Flask,
    world: World,
    session: Session,
    risk_sample: Sample,  # noqa: F811 (the fixture)
) -> World:
    """The world served by the sample's champion, E1 with a stored score that answers."""
    _history(session, world)
    app.extensions["models"] = ModelProvider(risk_sample.tracking_uri, risk_sample.models_dir)
    session.add(
        RiskScore(
            employee_id=world.employees["E1"],
            period=QUARTERS[-1],
            status="ok",
            probability=STORED_PROBABILITY,
            flagged=True,
            threshold=0.3,
            drivers=DRIVERS,
            model_name="kinerja-risk",
            model_version=risk_sample.version,
            fallback=False,
            scored_at=datetime.now(UTC),
            feature_set=feature_set_id(DEFAULT_MIN_GROUP_ANSWERS),  # this code's: it answers
        )
    )
    session.commit()
    return world


def _read(client: FlaskClient, world: World, role: str, person: str = "E1") -> tuple[int, dict]:
    url = f"/api/v1/employees/{world.employees[person]}/risk"
    response = client.get(url, headers=world.headers(role))
    return response.status_code, response.get_json()


def _change(session: Session, statement: object) -> None:
    session.execute(statement)  # type: ignore[call-overload]
    session.commit()


def test_the_stored_score_answers_and_a_change_to_it_shows_at_once(
    client: FlaskClient, stored: World, session: Session
) -> None:
    assert _read(client, stored, "supervisor")[1]["probability"] == STORED_PROBABILITY
    assert _read(client, stored, "supervisor")[1]["probability"] == STORED_PROBABILITY
    _change(session, update(RiskScore).values(probability=0.1234))
    assert _read(client, stored, "supervisor")[1]["probability"] == 0.1234
    _change(session, update(RiskScore).values(outdated=True))  # answered live now
    assert _read(client, stored, "supervisor")[1]["probability"] != 0.1234


def _move_e1_to_another_team(world: World) -> Callable[[Session], None]:
    def change(session: Session) -> None:
        employee = Employee.id == world.employees["E1"]
        _change(session, update(Employee).where(employee).values(supervisor_id=None))

    return change


def _supervisor_to_data_team(world: World) -> Callable[[Session], None]:
    def change(session: Session) -> None:
        _change(session, update(User).where(User.username == "user-supervisor").values(
            role="data"))  # fmt: skip

    return change


def _revoke_tokens(world: World) -> Callable[[Session], None]:
    def change(session: Session) -> None:
        _change(session, update(ApiToken).values(revoked_at=datetime.now(UTC)))

    return change


@pytest.mark.parametrize(
    ("change", "status"),
    [(_move_e1_to_another_team, 404), (_supervisor_to_data_team, 403), (_revoke_tokens, 401)],
)
def test_a_change_elsewhere_decides_the_next_read(
    app: Flask,
    client: FlaskClient,
    stored: World,
    session: Session,
    change: Callable[[World], Callable[[Session], None]],
    status: int,
) -> None:
    app.extensions["token_cache"].seconds = 3600  # the cache's TTL alone would hide it
    assert _read(client, stored, "supervisor")[0] == 200
    change(stored)(session)
    assert _read(client, stored, "supervisor")[0] == status


def test_a_new_rater_sees_the_employee_at_once(
    client: FlaskClient, stored: World, session: Session
) -> None:
    assert _read(client, stored, "employee", "T")[0] == 404  # T is E1's stranger
    add_skp(session, stored, "T", 2025, rater="E1")  # an SKP appoints E1 as T's rater
    session.commit()
    assert _read(client, stored, "employee", "T")[0] == 200


def test_every_read_of_someone_else_is_audited_memo_or_not(
    client: FlaskClient, stored: World, session: Session
) -> None:
    for _ in range(3):
        assert _read(client, stored, "supervisor")[0] == 200
        assert _read(client, stored, "employee")[0] == 200  # one's own: no row
    count = select(func.count()).select_from(AuditEntry).where(AuditEntry.resource == "risk")
    assert session.scalar(count) == 3


def test_the_audit_row_is_stored_as_the_orm_stores_it(
    client: FlaskClient, stored: World, session: Session
) -> None:
    response = client.get(
        f"/api/v1/employees/{stored.employees['E1']}/risk", headers=stored.headers("supervisor")
    )
    entry = session.scalars(select(AuditEntry).where(AuditEntry.resource == "risk")).one()
    at = entry.at if entry.at.tzinfo else entry.at.replace(tzinfo=UTC)
    assert abs((datetime.now(UTC) - at).total_seconds()) < 60
    assert (entry.action, entry.employee_id, entry.actor_username, entry.request_id) == (
        "read",
        stored.employees["E1"],
        "user-supervisor",
        response.headers["X-Request-ID"],
    )
    since = datetime.now(UTC) - timedelta(minutes=1)  # compared as the audit listing does
    assert session.scalar(select(func.count()).where(AuditEntry.at >= since)) == 1


@pytest.mark.parametrize(
    "statement",
    [
        update(Employee).values(grade="III/a"),
        update(RiskScore).values(flagged=False),
        update(User).values(is_active=True),
        update(ApiToken).values(expires_at=datetime(2100, 1, 1, tzinfo=UTC)),
        update(Skp).values(rater_id=None),
        update(Unit).values(name="Unit renamed"),
    ],
    ids=["employees", "risk_scores", "users", "api_tokens", "skps", "units"],
)
def test_writes_to_watched_tables_move_the_generation(
    app: Flask, stored: World, session: Session, statement: object
) -> None:
    engine = app.extensions["db"].engine
    before = change_generation(engine)
    _change(session, statement)
    assert change_generation(engine) > before


def test_a_rolled_back_write_leaves_the_generation(
    app: Flask, stored: World, session: Session
) -> None:
    engine = app.extensions["db"].engine
    before = change_generation(engine)
    session.execute(update(Employee).values(grade="III/a"))
    session.rollback()
    assert change_generation(engine) == before


def test_a_database_without_the_counter_fails_as_sqlalchemy_does(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'empty.db'}")
    with pytest.raises(OperationalError, match="change_counters"):
        change_generation(engine)  # the API maps SQLAlchemy's OperationalError to 503
    engine.dispose()
