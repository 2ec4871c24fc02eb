"""The employee page's download of all one's personal data (the API's export as a file)."""

from __future__ import annotations

import json

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.db.models import AuditEntry
from tests.service.api.world import World
from tests.service.web.conftest import sign_in


def test_employee_downloads_their_personal_data(
    app: object, world: World, session: Session
) -> None:
    client = app.test_client()  # type: ignore[attr-defined]
    assert sign_in(client, "employee").status_code in (302, 303)
    me = world.employees["E1"]
    page = client.get(f"/employees/{me}").get_data(as_text=True)
    assert f"/employees/{me}/personal-data.json" in page
    other = client.get(f"/employees/{world.employees['E2']}")
    assert "personal-data.json" not in other.get_data(as_text=True)
    download = client.get(f"/employees/{me}/personal-data.json")
    assert download.status_code == 200
    assert download.headers["Content-Disposition"].startswith("attachment;")
    data = json.loads(download.get_data(as_text=True))
    assert data["sections"]["employee"][0]["nip"] == world.nips["E1"]
    audit = select(AuditEntry.employee_id).where(AuditEntry.resource == "personal_data")
    assert session.scalars(audit).all() == [me]
