"""Rows of issue 8 that tests (and the route x role walk of test_policy) act on.

`approved_skp` gives a person an approved SKP with RHK and indicators; `continuous_objects`
adds, per person of the standard world, two activity entries, a dialogue with one agreed
action, and a notification per login.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from service.db.models import ActivityLog
from service.db.models import DialogueAction
from service.db.models import Indicator
from service.db.models import Notification
from service.db.models import PerformanceDialogue
from service.db.models import Rhk
from service.db.models import Skp
from service.domain.entities import DialogueKind
from service.domain.entities import IndicatorAspect
from service.domain.entities import NotificationKind
from service.domain.entities import RhkKind
from service.domain.entities import SkpStatus
from tests.service.api.world import World
from tests.service.api.world import add_skp

DAY = date(2025, 3, 3)


def approved_skp(
    session: Session, world: World, person: str, year: int, indicators: int = 2
) -> tuple[int, int, list[int]]:
    """Add an approved SKP of `person` with one RHK and `indicators` indicators.

    Returns (skp id, RHK id, indicator ids); flushes, never commits.
    """
    skp_id = add_skp(session, world, person, year, None)
    skp = session.get(Skp, skp_id)
    assert skp is not None
    skp.status = SkpStatus.DITETAPKAN
    rhk = Rhk(skp_id=skp_id, kind=RhkKind.UTAMA, description=f"Layanan {person} {year}")
    session.add(rhk)
    session.flush()
    rows = [
        Indicator(
            rhk_id=rhk.id,
            aspect=IndicatorAspect.KUANTITAS,
            description=f"indikator {n}",
            target_value=10,
        )
        for n in range(indicators)
    ]
    session.add_all(rows)
    session.flush()
    return skp_id, rhk.id, [row.id for row in rows]


def continuous_objects(session: Session, world: World) -> dict[str, dict[int, int]]:
    """Per employee: `activity`, `activity_ack`, `dialogue_action`; per user: `notification`."""
    objects: dict[str, dict[int, int]] = {
        k: {} for k in ("activity", "activity_ack", "dialogue_action", "notification")
    }
    for employee_id in world.employees.values():
        for kind in ("activity", "activity_ack"):
            objects[kind][employee_id] = _add(
                session, ActivityLog(employee_id=employee_id, activity_date=DAY, description="x")
            )
        dialogue = _add(
            session,
            PerformanceDialogue(
                employee_id=employee_id,
                supervisor_employee_id=employee_id,
                held_on=DAY,
                kind=DialogueKind.DIALOG,
                topics="target",
            ),
        )
        action = DialogueAction(dialogue_id=dialogue, description="laporan")
        objects["dialogue_action"][employee_id] = _add(session, action)
    for user_id in world.users.values():
        notification = Notification(
            recipient_user_id=user_id,
            kind=NotificationKind.EVALUATION_DUE,
            subject_key=f"test:{user_id}",
            message="pesan",
            message_en="message",
        )
        objects["notification"][user_id] = _add(session, notification)
    return objects


def _add(session: Session, row: Any) -> int:
    session.add(row)
    session.flush()
    return int(row.id)
