"""The caller's notifications through the API: unread first, marked read once, private."""

from __future__ import annotations

from datetime import UTC
from datetime import datetime

from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from service.db.models import Notification
from service.domain.entities import NotificationKind
from tests.service.api.world import World


def _notify(session: Session, user_id: int, subject: str, minute: int) -> int:
    row = Notification(
        recipient_user_id=user_id,
        kind=NotificationKind.EVALUATION_DUE,
        subject_key=subject,
        message=f"pesan {subject}",
        message_en=f"message {subject}",
        created_at=datetime(2026, 7, 5, 8, minute, tzinfo=UTC),
    )
    session.add(row)
    session.flush()
    return row.id


def test_unread_come_first_and_reading_is_kept(
    client: FlaskClient, world: World, session: Session
) -> None:
    user = world.users["supervisor"]
    old, new, other = (_notify(session, user, s, m) for s, m in (("a", 1), ("b", 2), ("c", 3)))
    foreign = _notify(session, world.users["employee"], "d", 4)
    session.commit()
    headers = world.headers("supervisor")
    first = client.post(f"/api/v1/notifications/{other}/read", headers=headers)
    assert first.status_code == 200 and first.get_json()["read_at"] is not None
    again = client.post(f"/api/v1/notifications/{other}/read", headers=headers)
    assert again.get_json()["read_at"] == first.get_json()["read_at"]
    listed = client.get("/api/v1/notifications/me", headers=headers).get_json()
    assert [item["id"] for item in listed["items"]] == [new, old, other]
    assert (listed["total"], listed["unread"]) == (3, 2)
    unread = client.get("/api/v1/notifications/me?unread=true&limit=1", headers=headers)
    assert (unread.get_json()["total"], [i["id"] for i in unread.get_json()["items"]]) == (
        2,
        [new],
    )
    stranger = client.post(f"/api/v1/notifications/{foreign}/read", headers=world.headers("admin"))
    assert stranger.status_code == 404
