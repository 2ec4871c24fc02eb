"""Stored moments in answers say they are UTC, on every backend: SQLite hands stored times
back without an offset, which a client would read as its own local time."""

from __future__ import annotations

import importlib
import pkgutil
from datetime import datetime
from datetime import timedelta
from typing import Annotated
from typing import Any
from typing import get_args
from typing import get_origin
from typing import get_type_hints

from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from service.api import schemas
from service.api.schemas.common import Out
from service.domain.moments import as_utc
from tests.service.api.world import World
from tests.service.feedback360.f360_people import FULL_RATERS
from tests.service.feedback360.f360_people import answer
from tests.service.feedback360.f360_people import build_team
from tests.service.feedback360.f360_people import close
from tests.service.feedback360.f360_people import ratings
from tests.service.feedback360.f360_people import start


def _utc(moment: str | None) -> bool:
    return moment is not None and datetime.fromisoformat(moment).utcoffset() == timedelta(0)


def test_feedback_round_moments_carry_their_offset(
    client: FlaskClient, world: World, session: Session
) -> None:
    team = build_team(session, world)
    started = start(client, team, FULL_RATERS)
    assert started.status_code == 201, started.get_data(as_text=True)
    round_id = started.json["id"]
    answered = answer(client, team, round_id, "P1", ratings())
    assert answered.status_code == 201
    assert _utc(answered.json["answered_at"]), answered.json
    closed = close(client, team, round_id)
    assert closed.status_code == 200
    read = client.get(f"/api/v1/feedback-rounds/{round_id}", headers=team.headers("supervisor"))
    for body in (started.json, closed.json, read.json):
        assert _utc(body["created_at"]), body
    for body in (closed.json, read.json):
        assert _utc(body["closed_at"]), body


def test_every_answer_model_says_its_moments_are_utc() -> None:
    """Every datetime field of every response model is a `Moment` (converted to UTC with its
    offset), not a bare `datetime`, which SQLite would answer without an offset: a new
    schema cannot forget it (the SKP template and the signatures did, found by the fuzzing)."""
    bare = [
        f"{model.__module__}.{model.__name__}.{name}"
        for model in _answer_models()
        for name, hint in get_type_hints(model, include_extras=True).items()
        if _has_bare_datetime(hint)
    ]
    assert bare == []


def _answer_models() -> list[type]:
    for module in pkgutil.iter_modules(schemas.__path__):
        importlib.import_module(f"{schemas.__name__}.{module.name}")
    found, waiting = [], [Out]
    while waiting:
        model = waiting.pop()
        found.append(model)
        waiting.extend(model.__subclasses__())
    return found


def _has_bare_datetime(hint: Any) -> bool:
    if hint is datetime:
        return True
    if get_origin(hint) is Annotated:
        base, *extras = get_args(hint)
        utc = any(getattr(extra, "func", None) is as_utc for extra in extras)
        return base is datetime and not utc or (base is not datetime and _has_bare_datetime(base))
    return any(_has_bare_datetime(arg) for arg in get_args(hint))
