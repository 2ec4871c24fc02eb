"""Reopening a calibration closing on a real session: a closing reopened meanwhile by
another request is not reopened a second time over its reason (SQLite and PostgreSQL)."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy.orm import Session

from service.db.models import CalibrationClosing
from service.domain.audit import Actor
from service.domain.calibration_closings import reopen_calibration
from service.domain.entities import Role
from service.domain.errors import Conflict
from tests.service.api.world import World
from tests.service.api.world import build_world

SNAPSHOT = {"size": 0, "counts": {}, "grade": None, "warnings": []}


@pytest.fixture
def world(session: Session) -> World:
    return build_world(session)


def test_a_closing_reopened_meanwhile_keeps_the_first_reason(
    app: Flask, world: World, session: Session
) -> None:
    closing = CalibrationClosing(unit_id=world.units["A"], period="2025", snapshot=SNAPSHOT)
    session.add(closing)
    session.commit()
    hr = Actor(world.users["hr"], "user-hr", Role.HR, world.employees["H"], world.units["A"])
    assert session.get(CalibrationClosing, closing.id).reopened_at is None  # type: ignore[union-attr]
    with app.extensions["db"].sessions() as other:  # another request reopens it first
        reopen_calibration(other, hr, world.units["A"], closing.id, "Alasan pertama")
        other.commit()
    with pytest.raises(Conflict, match="reopened already"):
        reopen_calibration(session, hr, world.units["A"], closing.id, "Alasan kedua")
    session.rollback()
    session.expire_all()
    assert session.get(CalibrationClosing, closing.id).reopen_reason == "Alasan pertama"  # type: ignore[union-attr]
