"""Validated bearer tokens are trusted per worker for API_TOKEN_CACHE_SECONDS, no longer."""

from __future__ import annotations

import time
from datetime import UTC
from datetime import datetime

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import update
from sqlalchemy.orm import Session

from service.db.models import ApiToken
from tests.service.api.world import World


def _revoke_elsewhere(session: Session) -> None:
    """Revoke every token in the database, as another worker's /auth/revoke would."""
    session.execute(update(ApiToken).values(revoked_at=datetime.now(UTC)))
    session.commit()


def test_a_revocation_elsewhere_holds_once_the_cache_lapses(
    app: Flask, client: FlaskClient, world: World, session: Session
) -> None:
    app.extensions["token_cache"].seconds = 0.5
    headers = world.headers("hr")
    assert client.get("/api/v1/auth/me", headers=headers).status_code == 200
    _revoke_elsewhere(session)
    assert client.get("/api/v1/auth/me", headers=headers).status_code == 200  # still trusted
    time.sleep(0.6)
    assert client.get("/api/v1/auth/me", headers=headers).status_code == 401


def test_without_a_cache_a_revocation_elsewhere_is_immediate(
    app: Flask, client: FlaskClient, world: World, session: Session
) -> None:
    app.extensions["token_cache"].seconds = 0
    headers = world.headers("hr")
    assert client.get("/api/v1/auth/me", headers=headers).status_code == 200
    _revoke_elsewhere(session)
    assert client.get("/api/v1/auth/me", headers=headers).status_code == 401


def test_revoking_through_this_worker_is_immediate(client: FlaskClient, world: World) -> None:
    headers = world.headers("supervisor")
    assert client.get("/api/v1/auth/me", headers=headers).status_code == 200
    assert client.post("/api/v1/auth/revoke", headers=headers).status_code == 204
    assert client.get("/api/v1/auth/me", headers=headers).status_code == 401
