"""The personal-data export: the person's (or, on request, the admin's) copy of every record
about them, nothing about anyone else, no secrets, no 360 rater identities; audited."""

from __future__ import annotations

from datetime import UTC
from datetime import datetime

from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.db.models import AttendanceMonth
from service.db.models import AuditEntry
from service.db.models import EvaluationRevision
from service.db.models import EvaluationSignature
from service.db.models import FeedbackRater
from service.db.models import FeedbackRound
from service.db.models import Indicator
from service.db.models import Rhk
from service.db.models import RiskFeatureRow
from service.db.models import RiskScore
from service.domain.entities import IndicatorAspect
from service.domain.entities import RhkKind
from service.domain.feedback360_terms import RaterGroup
from service.domain.revision_terms import RevisionCause
from service.domain.signature_terms import SignerRole
from tests.factories import make_evaluation
from tests.service.api.world import World
from tests.service.api.world import add_objection
from tests.service.api.world import add_skp


def _records(session: Session, world: World) -> dict[str, int]:
    """Records of E1 in several tables, and an evaluation of E2 that must not appear."""
    e1, e2 = world.employees["E1"], world.employees["E2"]
    skp = add_skp(session, world, "E1", 2025, "S")
    rhk = Rhk(skp_id=skp, kind=RhkKind.UTAMA, description="Layanan")
    session.add(rhk)
    session.flush()
    indicator = Indicator(
        rhk_id=rhk.id, aspect=IndicatorAspect.KUANTITAS, description="laporan", target_value=4
    )
    session.add(indicator)
    own = make_evaluation(session, employee_id=e1, rater_id=world.employees["S"], period="2024")
    other = make_evaluation(session, employee_id=e2, period="2024")
    session.add(AttendanceMonth(employee_id=e1, month="2025-01", work_days=21, present_days=20))
    session.add(
        RiskScore(
            employee_id=e1, period="2025-Q4", status="ok", probability=0.2, threshold=0.5,
            drivers=[], model_name="kinerja-risk", model_version="1",
            scored_at=datetime.now(UTC), feature_set="abc",
        )
    )  # fmt: skip
    session.add(RiskFeatureRow(employee_id=e1, period="2025-Q4", features=b"\x00" * 8))
    feedback = FeedbackRound(employee_id=e1, period="2024")
    session.add(feedback)
    session.flush()
    session.add(
        FeedbackRater(round_id=feedback.id, rater_employee_id=e2, rater_group=RaterGroup.PEER)
    )
    objection = add_objection(session, e1)
    signed = [
        EvaluationSignature(
            evaluation_id=evaluation.id, role=SignerRole.EMPLOYEE, signer_id=signer,
            evaluation_version=1, digest="0" * 64,
        )
        for evaluation, signer in ((own, e1), (other, e2))
    ]  # fmt: skip
    session.add_all(signed)
    revised = [
        EvaluationRevision(
            evaluation_id=evaluation.id, version=1, cause=RevisionCause.CORRECTION,
            work_result_rating=evaluation.work_result_rating,
            behavior_rating=evaluation.behavior_rating, predikat=evaluation.predikat,
            predikat_source=evaluation.predikat_source,
        )
        for evaluation in (own, other)
    ]  # fmt: skip
    session.add_all(revised)
    session.commit()
    return {
        "revision": revised[0].id,
        "evaluation": own.id,
        "other": other.id,
        "indicator": indicator.id,
        "objection": objection,
        "signature": signed[0].id,
    }


def test_employee_exports_their_own_records_and_nothing_else(
    client: FlaskClient, world: World, session: Session
) -> None:
    ids = _records(session, world)
    path = f"/api/v1/employees/{world.employees['E1']}/personal-data"
    answer = client.get(path, headers=world.headers("employee"))
    assert answer.status_code == 200, answer.json
    sections = answer.json["sections"]
    assert [row["id"] for row in sections["employee"]] == [world.employees["E1"]]
    assert {row["id"] for row in sections["evaluations"]} >= {ids["evaluation"]}
    assert ids["other"] not in {row["id"] for row in sections["evaluations"]}
    assert {row["employee_id"] for name in ("evaluations", "objections", "skps", "risk_scores",
            "attendance_months", "feedback_rounds") for row in sections[name]} == {
        world.employees["E1"]
    }  # fmt: skip
    assert [row["id"] for row in sections["indicators"]] == [ids["indicator"]]
    assert [row["id"] for row in sections["objections"]] == [ids["objection"]]
    assert [row["id"] for row in sections["evaluation_signatures"]] == [ids["signature"]]
    assert [row["id"] for row in sections["evaluation_revisions"]] == [ids["revision"]]
    assert [row["username"] for row in sections["users"]] == ["user-employee"]
    assert "password_hash" not in sections["users"][0]
    assert "features" not in sections["risk_scores"][0]
    assert "risk_feature_rows" not in sections  # derived from the records exported
    assert not any("rater" in name or "answer" in name for name in sections)  # 360 anonymity
    assert datetime.fromisoformat(sections["evaluations"][0]["created_at"]).tzinfo is not None
    audit = select(AuditEntry.action, AuditEntry.resource, AuditEntry.employee_id)
    assert ("export", "personal_data", world.employees["E1"]) in {
        (str(a), r, e) for a, r, e in session.execute(audit)
    }


def test_only_the_person_or_an_admin_exports(
    client: FlaskClient, world: World, session: Session
) -> None:
    def status(role: str, person: str) -> int:
        path = f"/api/v1/employees/{world.employees[person]}/personal-data"
        return client.get(path, headers=world.headers(role)).status_code

    assert status("admin", "E1") == 200  # on the person's recorded request
    assert status("supervisor", "E1") == 403  # sees E1, may not take all of it
    assert status("hr", "E1") == 403
    assert status("employee", "E2") == 404
    assert status("employee", "O") == 404
    assert status("data", "E1") == 403
    exports = select(AuditEntry.id).where(AuditEntry.resource == "personal_data")
    assert len(session.scalars(exports).all()) == 1
